#!/bin/sh
# Entry point of the container image.
#
#   docker-entrypoint.sh                 warm the speech cache in the background if the
#                                        scenarios or the voice changed, then run
#                                        `mockloop serve`
#   docker-entrypoint.sh warm-speech [TEXTS.json]
#                                        synthesize the missing lines into the speech cache
#                                        now, in the foreground: every line of the scenarios,
#                                        or the texts listed in a JSON file (the image build)
#   docker-entrypoint.sh stamp-speech    record that the cache holds the scenarios' lines
#   docker-entrypoint.sh CMD ...         any other command runs as given
#
# The image is built with the cache already warm for its own scenarios and the bundled
# voice. A fingerprint of the scenario files and the voice setting is stored beside the
# cache; when the container starts with other scenarios or another voice, the missing
# lines are synthesized in the background, with the progress in the log, while the server
# already answers. MOCKLOOP_WARM_SPEECH=0 turns that off.
set -eu

scenarios=${MOCKLOOP_SCENARIOS_DIR:-/app/scenarios}
cache=${MOCKLOOP_SPEECH_CACHE_DIR:-${MOCKLOOP_DATA_DIR:-/data}/speech}

# Cheap enough to run on every start: no Python, no model.
fingerprint() {
  {
    printf 'voice=%s\n' "${MOCKLOOP_TTS_VOICE:-}"
    cd "$scenarios" && find . -type f -name '*.yaml' -exec sha256sum {} + | LC_ALL=C sort -k 2
  } | sha256sum | cut -d ' ' -f 1
}

warm() {
  # $1: optional JSON file of texts; without it, the scenarios' lines (and a stamp).
  stamp=
  [ -n "${1:-}" ] || stamp=$(fingerprint)
  python3 - "$scenarios" "$cache" "$stamp" "${1:-}" <<'PY'
import json
import os
import sys
import time
from pathlib import Path

from server.speech.tts import PiperSynthesizer, SpeechCache

root, cache_dir, fingerprint, texts_file = Path(sys.argv[1]), Path(sys.argv[2]), *sys.argv[3:]
voice = os.environ.get("MOCKLOOP_TTS_VOICE", "")


def say(message: str) -> None:
    print(f"speech cache: {message}", flush=True)


if voice and not voice.endswith(".onnx"):
    say(f"MOCKLOOP_TTS_VOICE={voice!r} is not a piper voice file (.onnx); not warming")
    sys.exit(0)
# Spread one synthesis over the cores: this runs at build time or beside an idle server.
threads = max(1, min(4, os.cpu_count() or 1))
cache = SpeechCache(cache_dir, PiperSynthesizer(voice or None, threads=threads))
if texts_file:
    texts = json.loads(Path(texts_file).read_text(encoding="utf-8"))
else:
    from interviewer import load_catalog

    catalog = load_catalog(root)
    texts = list(dict.fromkeys(line.text for sc in catalog.values() for line in sc.lines()))
missing = [text for text in texts if not cache.path_for(text).is_file()]
say(f"{len(texts)} lines, {len(missing)} to synthesize into {cache_dir}")
start = time.monotonic()
step = max(1, len(missing) // 10)


def progress(done: int, total: int) -> None:
    if done % step == 0 or done == total:
        say(f"{done}/{total} lines ({time.monotonic() - start:.0f} s)")


cache.warm(missing, progress)
if not texts_file:
    cache_dir.mkdir(parents=True, exist_ok=True)
    (cache_dir / ".warmed").write_text(fingerprint + "\n")
say(f"ready in {time.monotonic() - start:.0f} s")
PY
}

case "${1:-serve}" in
  serve)
    if [ "${MOCKLOOP_WARM_SPEECH:-1}" != 0 ] \
      && [ "$(cat "$cache/.warmed" 2>/dev/null || true)" != "$(fingerprint)" ]; then
      # Low priority: the server and the interviews under way come first.
      (nice -n 10 "$0" warm-speech || echo "speech cache: warming failed; lines are synthesized when first needed") &
    fi
    exec mockloop serve
    ;;
  warm-speech)
    warm "${2:-}"
    ;;
  stamp-speech)
    mkdir -p "$cache"
    fingerprint >"$cache/.warmed"
    ;;
  *)
    exec "$@"
    ;;
esac
