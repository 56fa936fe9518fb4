"""Speech benchmark: STT speed, the Listener's reaction latency, and memory.

    .venv/bin/python scripts/bench_stt.py [--threads 2] [--rounds 1] [--pace 1.0] [--sweep]

Prints, for faster-whisper tiny.en (int8) on this machine:
- model load times and resident memory (RSS) with the VAD, Whisper and piper loaded;
- real-time factor and time per call on jfk.flac and on piper-synthesized answers;
- VAD cost per 32 ms window;
- the Listener's reaction latency, from the end-of-turn decision to the transcript being
  available, for the silence endpoint (speculative transcription) and for "done" pressed
  right after speaking (p50/p95). Answers are streamed at real-time pace (`--pace`);
- with `--sweep`: single-call latency and two-call throughput for other thread layouts.

A benchmark, not a test: run it on a quiet machine and read the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import numpy.typing as npt

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from server.speech import audio  # noqa: E402
from server.speech.listener import Listener, ListenerEvent, Turn  # noqa: E402
from server.speech.models import SpeechModels, load_default_models, stt_executor  # noqa: E402
from server.speech.stt import FasterWhisperTranscriber, hotwords_from_glossary  # noqa: E402
from server.speech.vad import WINDOW  # noqa: E402

JFK = REPO.parent / "shared" / "audio" / "jfk.flac"
GLOSSARY = ["RLHF", "KV cache", "Constitutional AI", "tensor parallelism"]
ANSWERS = [
    "I would start by clarifying the goal of the system and who the users are.",
    "We fine tuned the model with RLHF and measured the win rate against the baseline.",
    "The main bottleneck was memory, so we reused the KV cache between turns.",
    "I think the honest answer is that we shipped it too early, and I learned from that.",
    "For training at that scale we combined data parallelism with tensor parallelism.",
    "Constitutional AI lets the model critique its own answers against written principles.",
    "My first step would be to look at the failure cases by hand before changing anything.",
    "Latency matters more than throughput here, because a person waits for every reply.",
    "I disagreed with my manager, but I wrote down my reasons and we ran a small experiment.",
    "We evaluated on a held out set and asked people to rate a random sample of outputs.",
]

Samples = npt.NDArray[np.float32]


def rss_mb(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.0f} ms"


def time_calls(
    transcriber: FasterWhisperTranscriber, clips: Sequence[Samples], hotwords: str | None
) -> list[tuple[float, float, float]]:
    """(audio seconds, wall seconds, CPU seconds of this process) per call."""
    out = []
    for clip in clips:
        start, cpu = time.perf_counter(), time.process_time()
        transcriber.transcribe(clip, hotwords)
        out.append(
            (
                clip.size / audio.SAMPLE_RATE,
                time.perf_counter() - start,
                time.process_time() - cpu,
            )
        )
    return out


def report_calls(name: str, timings: list[tuple[float, float, float]]) -> dict[str, float]:
    calls = [c for _, c, _ in timings]
    cpu = statistics.median(c for _, _, c in timings)
    rtf = sum(calls) / sum(a for a, _, _ in timings)
    print(
        f"  {name:<28} calls {len(calls):2d}  per call p50 {ms(statistics.median(calls))}"
        f"  max {ms(max(calls))}  RTF {rtf:.3f}  CPU per call {ms(cpu)}"
    )
    return {"p50_s": statistics.median(calls), "max_s": max(calls), "rtf": rtf, "cpu_s": cpu}


async def listener_trial(
    models: SpeechModels,
    executor: ThreadPoolExecutor,
    clip: Samples,
    *,
    ending: str,
    pace: float,
    end_silence: float,
    done_after: float,
) -> tuple[float, Turn, bool]:
    """Stream one answer; return (reaction latency, the turn, transcript ready at the end)."""
    turns: list[tuple[float, Turn]] = []

    async def on_event(event: ListenerEvent) -> None:
        if isinstance(event, Turn):
            turns.append((time.perf_counter(), event))

    listener = Listener(
        models.vad,
        models.transcriber,
        executor,
        on_event,
        end_silence=end_silence,
        hotwords=hotwords_from_glossary(GLOSSARY),
    )
    tail = end_silence + 0.5 if ending == "silence" else done_after
    samples = np.concatenate([clip, np.zeros(int(tail * audio.SAMPLE_RATE), dtype=np.float32)])
    pcm = audio.float32_to_pcm16(samples)
    fed: list[tuple[float, float]] = []  # (audio time at the end of the chunk, wall time fed)
    start = time.perf_counter()
    for i in range(0, samples.size, WINDOW):
        await listener.feed(pcm[2 * i : 2 * (i + WINDOW)])
        fed.append((min(i + WINDOW, samples.size) / audio.SAMPLE_RATE, time.perf_counter()))
        due = start + (i + WINDOW) / audio.SAMPLE_RATE / pace
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
    if ending == "done":
        decided = time.perf_counter()
        await listener.done()
    await listener.drain()
    await listener.aclose()
    if len(turns) != 1:
        raise RuntimeError(f"expected one turn, got {len(turns)}")
    got, turn = turns[0]
    if ending == "silence":
        decided = next(wall for t, wall in fed if t >= turn.at - 1e-6)
    return got - decided, turn, listener.stats.ready_on_end == 1


async def listener_bench(
    models: SpeechModels, clips: Sequence[Samples], args: argparse.Namespace
) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    with stt_executor() as executor:
        for ending in ("silence", "done"):
            latencies: list[float] = []
            ready = 0
            for _ in range(args.rounds):
                for clip in clips:
                    latency, _turn, was_ready = await listener_trial(
                        models,
                        executor,
                        clip,
                        ending=ending,
                        pace=args.pace,
                        end_silence=args.end_silence,
                        done_after=args.done_after,
                    )
                    latencies.append(latency)
                    ready += was_ready
            p50, p95 = pct(latencies, 50), pct(latencies, 95)
            label = (
                f"silence endpoint ({args.end_silence:g} s)"
                if ending == "silence"
                else f"done {args.done_after:g} s after speech"
            )
            print(
                f"  {label:<28} trials {len(latencies):2d}  p50 {ms(p50)}  p95 {ms(p95)}"
                f"  max {ms(max(latencies))}  ready at end {ready}/{len(latencies)}"
            )
            results[ending] = {"p50_s": p50, "p95_s": p95, "max_s": max(latencies)}
    return results


def sweep(clip: Samples) -> None:
    """Other thread layouts: one call's latency, and two calls at once (throughput)."""
    for threads, workers in ((1, 1), (2, 1), (1, 2), (2, 2)):
        model = FasterWhisperTranscriber(cpu_threads=threads, num_workers=workers)
        model.transcribe(clip)
        single = min(time_calls(model, [clip] * 3, None), key=lambda x: x[1])[1]
        with ThreadPoolExecutor(max_workers=2) as pool:
            start = time.perf_counter()
            list(pool.map(model.transcribe, [clip] * 4))
            pair = (time.perf_counter() - start) / 4
        print(
            f"  cpu_threads={threads} num_workers={workers}:  one call {ms(single)}"
            f"   4 calls from 2 threads {ms(pair)} per call"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2, help="ctranslate2 cpu_threads")
    parser.add_argument("--calls", type=int, default=5, help="STT calls on jfk")
    parser.add_argument("--rounds", type=int, default=1, help="passes over the answers")
    parser.add_argument("--pace", type=float, default=1.0, help="streaming speed (1 = real time)")
    parser.add_argument("--end-silence", type=float, default=2.5)
    parser.add_argument("--done-after", type=float, default=0.2, help="silence before done")
    parser.add_argument(
        "--encoder-seconds",
        type=float,
        default=10.0,
        help="floor of the shortened encoder input; 0 for Whisper's full 30 s",
    )
    parser.add_argument("--sweep", action="store_true", help="also try other thread layouts")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args()

    figures: dict[str, object] = {"rss_start_mb": rss_mb(), "load_before": os.getloadavg()[0]}
    print(f"load average before: {figures['load_before']:.2f} on {os.cpu_count()} CPUs")
    start = time.perf_counter()
    encoder_seconds = args.encoder_seconds or None
    models = load_default_models(cpu_threads=args.threads, encoder_seconds=encoder_seconds)
    figures["load_s"] = time.perf_counter() - start
    figures["rss_loaded_mb"] = rss_mb()
    print(f"models loaded in {figures['load_s']:.2f} s; RSS {figures['rss_loaded_mb']:.0f} MB")

    jfk = audio.decode_audio(JFK)
    start = time.perf_counter()
    spoken = [models.synthesizer.synthesize(line) for line in ANSWERS]
    synth_s = time.perf_counter() - start
    synth_audio = sum(s.size for s in spoken) / models.synthesizer.sample_rate
    clips = [audio.resample(s, models.synthesizer.sample_rate, audio.SAMPLE_RATE) for s in spoken]
    print(
        f"piper: {len(ANSWERS)} lines, {synth_audio:.1f} s of speech in {synth_s:.2f} s"
        f" (RTF {synth_s / synth_audio:.3f})"
    )
    figures["piper_rtf"] = synth_s / synth_audio

    models.transcriber.transcribe(jfk)  # warm-up: first call allocates
    encoder = f"at least {encoder_seconds:g} s" if encoder_seconds else "30 s"
    print(f"\nSTT, tiny.en int8, cpu_threads={args.threads}, encoder input {encoder}:")
    figures["stt_jfk"] = report_calls(
        "jfk.flac (11 s)", time_calls(models.transcriber, [jfk] * args.calls, None)
    )
    hotwords = hotwords_from_glossary(GLOSSARY)
    figures["stt_answers"] = report_calls(
        "piper answers (3-6 s)", time_calls(models.transcriber, clips, hotwords)
    )

    stream = models.vad.new_stream()
    windows = jfk[: jfk.size // WINDOW * WINDOW].reshape(-1, WINDOW)
    start = time.perf_counter()
    for window in windows:
        stream.process(window)
    vad_ms = (time.perf_counter() - start) / len(windows) * 1000
    print(f"  {'VAD per 32 ms window':<28} {vad_ms:.3f} ms")
    figures["vad_ms_per_window"] = vad_ms

    print(f"\nListener reaction (decision -> transcript), pace {args.pace:g}x real time:")
    figures["listener"] = asyncio.run(listener_bench(models, clips, args))

    figures["rss_mb"] = rss_mb()
    figures["rss_peak_mb"] = rss_mb("VmHWM")
    print(
        f"\nRSS with VAD + Whisper + piper loaded and used: {figures['rss_mb']:.0f} MB"
        f" (peak {figures['rss_peak_mb']:.0f} MB)"
    )
    figures["load_after"] = os.getloadavg()[0]
    print(f"load average after: {figures['load_after']:.2f}")
    if args.sweep:
        print("\nthread layouts (jfk.flac):")
        sweep(jfk)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
