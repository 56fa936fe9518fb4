"""Replay benchmark: how long the replay audio mix of a voice round takes to make.

    .venv/bin/python scripts/bench_replay.py [--minutes 10 45] [--lines-per-minute 1.5]

For each length, writes a candidate recording of that many minutes (Ogg/Opus, as the
voice channel does: speech-like noise bursts and pauses), places interviewer clips (MP3,
a few seconds each) along it, and times `replay_audio`: the work that used to hold the
first view of a replay page and is now done in the background when the round ends.
Prints seconds, the real-time factor and the size of the mix.

A benchmark, not a test: run it on a quiet machine and read the figures.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from server.messages import messages_from_stored  # noqa: E402
from server.review.audio import replay_audio  # noqa: E402
from server.speech.audio import SAMPLE_RATE, CompressedWriter  # noqa: E402
from server.storage import AudioTrack  # noqa: E402


def speechlike(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """Bursts of shaped noise (words) and gaps (pauses), so the encoder does real work."""
    n = round(seconds * SAMPLE_RATE)
    out = np.zeros(n, dtype=np.float32)
    i = 0
    while i < n:
        burst = int(rng.uniform(0.2, 3.0) * SAMPLE_RATE)
        out[i : i + burst] = (0.2 * rng.standard_normal(min(burst, n - i))).astype(np.float32)
        i += burst + int(rng.uniform(0.1, 1.5) * SAMPLE_RATE)
    return out


def write(path: Path, samples: np.ndarray, codec: str) -> None:
    writer = CompressedWriter(path, codec=codec)  # type: ignore[arg-type]
    for i in range(0, samples.size, SAMPLE_RATE * 10):
        writer.write(samples[i : i + SAMPLE_RATE * 10])
    writer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[10.0, 45.0])
    parser.add_argument("--lines-per-minute", type=float, default=1.5)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        clips = []
        for k in range(8):
            clip = root / f"{k:016x}.mp3"
            write(clip, speechlike(rng.uniform(3.0, 8.0), rng), "mp3")
            clips.append(clip)
        for minutes in args.minutes:
            folder = root / f"session-{minutes:g}"
            folder.mkdir()
            mic = folder / "candidate.ogg"
            write(mic, speechlike(minutes * 60.0, rng), "opus")
            track = AudioTrack("candidate", mic, "audio/ogg", 0.0, minutes * 60.0)
            count = int(minutes * args.lines_per_minute)
            messages = messages_from_stored(
                [
                    {
                        "seq": i,
                        "type": "interviewer",
                        "audio": f"/speech/{clips[i % 8].name}",
                        "at": i * 60.0 / args.lines_per_minute,
                    }
                    for i in range(count)
                ]
            )
            began = time.perf_counter()
            mixed = replay_audio(
                folder, [track], messages, lambda url: root / url.rsplit("/", 1)[-1]
            )
            seconds = time.perf_counter() - began
            assert mixed is not None
            print(
                f"{minutes:g} min round, {count} interviewer lines: mix made in {seconds:.1f} s "
                f"(real-time factor {seconds / (minutes * 60.0):.4f}), "
                f"{mixed.stat().st_size / 1e6:.1f} MB"
            )


if __name__ == "__main__":
    main()
