#!/bin/sh
# Entry point of the container image.
#
#   docker-entrypoint.sh                 warm the speech cache if needed (in the background),
#                                        then run `mockloop serve`
#   docker-entrypoint.sh warm-speech     synthesize every scenario line into the speech cache
#                                        now, in the foreground (the image build does this)
#   docker-entrypoint.sh mockloop ...    any other command runs as given
#
# The image is built with the cache already warm for its own scenarios and the bundled
# voice. A fingerprint of the scenario files and the voice setting is stored beside the
# cache; when the container starts with other scenarios or another voice, the lines are
# synthesized in the background with the progress in the log, and the server answers at
# once (a line not cached yet is synthesized when it is first needed).
set -eu

warm() {
  # $1: "always" or "if-changed"
  python3 - "$1" <<'PY'
import hashlib
import os
import sys
import time
from pathlib import Path

from interviewer import load_catalog
from interviewer.loader import DEFAULT_ROOT, scenario_files
from server.settings import Settings

mode = sys.argv[1]
settings = Settings()
root = settings.scenarios_dir or DEFAULT_ROOT
cache_dir = settings.speech_cache_dir or settings.data_dir / "speech"
stamp = cache_dir / ".warmed"
voice = settings.tts_voice


def say(message: str) -> None:
    print(f"speech cache: {message}", flush=True)


digest = hashlib.sha256(f"voice={voice}\n".encode())
for path in sorted(scenario_files(root)):
    digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
fingerprint = digest.hexdigest()
if mode == "if-changed" and stamp.is_file() and stamp.read_text().strip() == fingerprint:
    sys.exit(0)

# Only these imports load onnxruntime and piper: keep them off the unchanged path.
from server.speech.tts import PiperSynthesizer, SpeechCache  # noqa: E402

if voice and not voice.endswith(".onnx"):
    say(f"MOCKLOOP_TTS_VOICE={voice!r} is not a path to a .onnx piper voice; not warming")
    sys.exit(0)
threads = max(1, min(4, os.cpu_count() or 1))
synthesizer = PiperSynthesizer(voice or None, threads=threads)
cache = SpeechCache(cache_dir, synthesizer)
catalog = load_catalog(root)
texts = list(dict.fromkeys(line.text for sc in catalog.values() for line in sc.lines()))
missing = [t for t in texts if not cache.path_for(t).is_file()]
say(f"{len(texts)} lines in {len(catalog)} scenarios, {len(missing)} to synthesize into {cache_dir}")
start = time.monotonic()
step = max(1, len(missing) // 10)


def progress(done: int, total: int) -> None:
    if done % step == 0 or done == total:
        say(f"{done}/{total} lines ({time.monotonic() - start:.0f} s)")


cache.warm(missing, progress)
cache_dir.mkdir(parents=True, exist_ok=True)
stamp.write_text(fingerprint + "\n")
say(f"ready ({time.monotonic() - start:.0f} s)")
PY
}

case "${1:-serve}" in
  warm-speech)
    warm always
    ;;
  serve)
    if [ "${MOCKLOOP_WARM_SPEECH:-1}" != 0 ]; then
      # Low priority: the server's own start-up and the first interviews come first.
      (nice -n 10 "$0" warm-if-changed || echo "speech cache: warming failed; lines will be synthesized on demand") &
    fi
    exec mockloop serve
    ;;
  warm-if-changed)
    warm if-changed
    ;;
  *)
    exec "$@"
    ;;
esac
