"""Turn-taking and hearing on the spoken evaluation set (tests/speech/eval).

    .venv/bin/python scripts/bench_turns.py [--models tiny,base,DIR] [--limit N] [--pace 1.0]

Each answer of the set (several voices, thinking pauses of 1 to 3 s after unfinished
phrases, fillers, some with room noise at 20 dB SNR, and jfk.flac) is streamed through
the real Listener (Silero VAD, the endpointer, Whisper on one worker thread) with the
culture rounds' settings (end silence 3 s, the speculative guess 0.6 s into a pause, the
culture glossary as hotwords). Prints, for each speech model option:

- cut-ins: turns ended inside a thinking pause, for pauses up to 2.5 s and up to 3 s;
- end of a complete answer to reply: from the last word to the `Turn` (the silence
  waited plus the wait for the transcript), p50 and p95;
- word error rate over the set, and filler recall ("um", "uh" kept / said).

- splits: turns ended inside an answer anywhere else (a pause between sentences, after a
  comma), which cut the answer in two just the same;

and for each turn policy (`--policies`): `silence` (the end silence alone), `early` (the
server's `MOCKLOOP_VOICE_EARLY_TURN`: 0.4 s into a pause when Smart Turn and the
transcript's wording both say finished, `--text-silence` into it when the wording does),
`both` (only the first of those), `text` (the wording alone, 0.4 s into a pause).

`--pace` above 1 streams faster than real time for quick runs while developing: the
silence waited is measured in audio time, so it stays right, but the transcription has
less time to finish during the pause, so waits come out longer (an upper bound). The
figures to quote are at `--pace 1`, on a quiet machine.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import resource
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import jiwer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "speech" / "eval"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import spoken_set  # type: ignore[import-not-found]  # noqa: E402
from benchlib import percentile  # noqa: E402

from interviewer import load_catalog  # noqa: E402
from server.speech import whisper_models  # noqa: E402
from server.speech.audio import float32_to_pcm16  # noqa: E402
from server.speech.listener import Listener, ListenerEvent, Turn  # noqa: E402
from server.speech.models import SpeechModels, load_default_models  # noqa: E402
from server.speech.stt import FasterWhisperTranscriber, hotwords_from_glossary  # noqa: E402
from server.speech.turn import MID_PHRASE_HOLD, TEXT_SILENCE  # noqa: E402
from server.voice_channel import endpoint_config  # noqa: E402

SCENARIO = "culture-dual-use-release"


class AlwaysComplete:
    """A turn model that always says "finished": the transcript's wording decides alone."""

    def probability(self, audio: object) -> float:
        return 1.0


@dataclass
class Result:
    clip: spoken_set.Clip
    turns: list[tuple[Turn, float]] = field(default_factory=list)
    """Each turn and the seconds from the end-of-turn decision to its transcript."""

    @property
    def text(self) -> str:
        return " ".join(t.text for t, _ in self.turns)


async def run_clip(
    models: SpeechModels,
    executor: ThreadPoolExecutor,
    clip: spoken_set.Clip,
    *,
    end_silence: float,
    hotwords: str | None,
    pace: float,
    policy: str,
    text_silence: float,
) -> Result:
    result = Result(clip)

    async def on_event(event: ListenerEvent) -> None:
        if isinstance(event, Turn):
            # The Listener notes the turn's wait for its transcript just before the Turn.
            result.turns.append((event, listener.stats.waits[-1]))

    listener = Listener(
        models.vad,
        models.transcriber,
        executor,
        on_event,
        config=endpoint_config(end_silence, early=policy != "silence"),
        hotwords=hotwords,
        turn_model={
            "silence": None,
            "both": models.turn,
            "early": models.turn,
            "text": AlwaysComplete(),
        }[policy],
        text_silence=text_silence if policy == "early" else None,
    )
    pcm = float32_to_pcm16(clip.audio)
    frame = 512
    start = time.perf_counter()
    for i in range(0, clip.audio.size, frame):
        await listener.feed(pcm[2 * i : 2 * (i + frame)])
        due = start + (i + frame) / 16_000 / pace
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
    await listener.drain()
    await listener.aclose()
    return result


def wer_by_voice(results: list[Result]) -> list[tuple[str, float]]:
    """Word error rate per kind of voice: piper's neural voices, espeak-ng's formant
    voices (robotic, the hardest to hear), and the recorded human speech."""
    groups: dict[str, tuple[list[str], list[str]]] = {}
    for r in results:
        kind = r.clip.voice.split("-")[0]
        refs, hyps = groups.setdefault(kind, ([], []))
        refs.append(" ".join(spoken_set.words(r.clip.answer.text)))
        hyps.append(" ".join(spoken_set.words(r.text)))
    return [(kind, jiwer.wer(refs, hyps)) for kind, (refs, hyps) in sorted(groups.items())]


def score(results: list[Result]) -> dict[str, float]:
    cut_25 = cut_30 = pauses_25 = pauses_30 = splits = 0
    latencies: list[float] = []
    refs: list[str] = []
    hyps: list[str] = []
    fillers_said = fillers_heard = 0
    for r in results:
        clip = r.clip
        for start, end in clip.pauses:
            length = end - start
            cut = any(start < turn.at <= end + 0.05 for turn, _ in r.turns)
            if length <= 2.5 + 1e-6:
                pauses_25 += 1
                cut_25 += cut
            if length <= 3.0 + 1e-6:
                pauses_30 += 1
                cut_30 += cut
        splits += sum(
            turn.at < clip.speech_end - 0.05
            and not any(start < turn.at <= end + 0.05 for start, end in clip.pauses)
            for turn, _ in r.turns
        )
        last = [(t, w) for t, w in r.turns if t.at > clip.speech_end - 0.05]
        if last:
            turn, wait = last[0]
            latencies.append(turn.at - clip.speech_end + wait)
        ref = " ".join(spoken_set.words(clip.answer.text))
        hyp = " ".join(spoken_set.words(r.text))
        refs.append(ref)
        hyps.append(hyp)
        said = ref.split()
        heard = hyp.split()
        for filler in spoken_set.FILLERS:
            fillers_said += said.count(filler)
            fillers_heard += min(said.count(filler), heard.count(filler))
    no_filler = [" ".join(w for w in s.split() if w not in spoken_set.FILLERS) for s in refs]
    no_filler_hyp = [" ".join(w for w in s.split() if w not in spoken_set.FILLERS) for s in hyps]
    return {
        "answers": len(results),
        "pauses_25": pauses_25,
        "cut_25": cut_25,
        "pauses_30": pauses_30,
        "cut_30": cut_30,
        "splits": splits,
        "replied": len(latencies),
        "reply_p50": percentile(latencies, 50),
        "reply_p95": percentile(latencies, 95),
        "wer": jiwer.wer(refs, hyps),
        "wer_no_fillers": jiwer.wer(no_filler, no_filler_hyp),
        "filler_recall": fillers_heard / fillers_said if fillers_said else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--models",
        default="tiny",
        help="comma-separated Whisper options: 'tiny' (the bundled tiny.en), 'base' (the "
        "whisper-base extra) or a model dir",
    )
    parser.add_argument("--limit", type=int, default=None, help="first N answers only")
    parser.add_argument("--pace", type=float, default=1.0, help="times real time")
    parser.add_argument("--end-silence", type=float, default=3.0)
    parser.add_argument("--policies", default="silence,early", help="silence, early, both, text")
    parser.add_argument(
        "--text-silence",
        type=float,
        default=TEXT_SILENCE,
        help="seconds into a pause after which the wording alone ends a turn (policy early)",
    )
    parser.add_argument("--show-text", action="store_true")
    args = parser.parse_args()

    # Silence after each answer: enough for the longest wait, a pause held past the end
    # silence because the words stopped mid-phrase.
    tail = args.end_silence + MID_PHRASE_HOLD + 1.0
    voices = spoken_set.build(piper=spoken_set.piper_voice, limit=args.limit, tail=tail)
    catalog = load_catalog(ROOT / "scenarios")
    hotwords = hotwords_from_glossary(catalog[SCENARIO].glossary)
    print(
        f"{len(voices)} answers, voices: {sorted({c.voice for c in voices})}, "
        f"{sum(c.snr_db is not None for c in voices)} with noise; pace {args.pace:g}; "
        f"end silence {args.end_silence:g} s"
    )
    base = load_default_models()
    if base.turn is None and ("both" in args.policies or "early" in args.policies):
        sys.exit("no Smart Turn model installed: make turn-model")
    runs = [(m, p) for m in args.models.split(",") for p in args.policies.split(",")]
    for option, policy in runs:
        if option != "tiny":
            base.transcriber = FasterWhisperTranscriber(whisper_models.resolve(option))
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stt")
        t0 = time.process_time()
        results = [
            asyncio.run(
                run_clip(
                    base,
                    executor,
                    clip,
                    end_silence=args.end_silence,
                    hotwords=hotwords,
                    pace=args.pace,
                    policy=policy,
                    text_silence=args.text_silence,
                )
            )
            for clip in voices
        ]
        cpu = time.process_time() - t0
        executor.shutdown()
        s = score(results)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        label = f"{policy} (text alone at {args.text_silence:g} s)" if policy == "early" else policy
        print(f"\n== {option}, turns by {label}  (CPU {cpu:.0f} s, peak RSS {rss:.0f} MB)")
        print(
            f"cut-ins on pauses <= 2.5 s: {s['cut_25']} of {s['pauses_25']}; "
            f"<= 3 s: {s['cut_30']} of {s['pauses_30']}; splits elsewhere: {s['splits']}"
        )
        print(
            f"end of a complete answer -> turn: p50 {s['reply_p50'] * 1000:.0f} ms, "
            f"p95 {s['reply_p95'] * 1000:.0f} ms ({s['replied']} of {s['answers']} answers)"
        )
        print(
            f"WER {s['wer'] * 100:.1f}% (without fillers {s['wer_no_fillers'] * 100:.1f}%), "
            f"filler recall {s['filler_recall'] * 100:.0f}%"
        )
        print("WER by voice: " + ", ".join(f"{k} {v * 100:.1f}%" for k, v in wer_by_voice(results)))
        if args.show_text:
            for r in results:
                ends = " ".join(
                    f"[{t.at - r.clip.speech_end:+.2f} s, wait {w:.2f} s]" for t, w in r.turns
                )
                print(f"  {r.clip.id} {r.clip.voice:17s} {ends} {r.text}")
        gc.collect()


if __name__ == "__main__":
    main()
