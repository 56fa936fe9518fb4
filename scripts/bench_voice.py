#!/usr/bin/env python3
"""Voice benchmark: spoken turns over the websocket against a real `mockloop serve`.

    .venv/bin/python scripts/bench_voice.py [--turns 8] [--concurrency 1,2,4,6]
                                            [--scenario culture-dual-use-release]
                                            [--speech-cache DIR] [--json]

It synthesizes candidate answers with the bundled piper voice (and uses
`../shared/audio/jfk.flac`, real speech, when it is there), measures the speech
recognition's real-time factor in this process, then starts the server on a free loopback
port with a temporary data dir and streams the answers into voice sessions at real-time
pace in 32 ms PCM16 frames, each answer followed by silence (or by `done`). It prints:

- reaction after the endpoint: from the server's end-of-turn decision (the `decided`
  time in its `thinking` state message, same clock: same machine) to the `interviewer`
  message arriving, for the silence endpoint and for `done` sent straight after speaking;
- from the end of speech to the `interviewer` message without `done` (the early end of
  a turn when the answer sounds finished, else the scenario's end silence), and how many
  answers a pause inside them cut in two;
- the real-time factor of one transcription (tiny.en, as the server runs it);
- concurrent voice sessions (each alternating silence and `done` turns, started
  staggered): reaction p50/p95 per level, and which levels keep p95 under 1.5 s;
- the server's resident memory with both models loaded, and its peak.

The speech cache is warmed in this process before the server starts (the same voice
gives the same files), so piper does not compete with the measurement; `--cold` leaves it
empty. Figures from a shared machine vary with its load: the load average is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from benchlib import ROOT, ServerProcess
from benchlib import percentile as pct
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

sys.path.insert(0, str(ROOT))

from interviewer import load_catalog
from server.speech.audio import (
    SAMPLE_RATE,
    decode_audio,
    float32_to_pcm16,
    resample,
)

JFK = ROOT.parent / "shared" / "audio" / "jfk.flac"
FRAME = 512  # samples: 32 ms at 16 kHz
ANSWERS = [
    "I would release it with a staged rollout because defenders benefit.",
    "I would start with trusted access for vetted security teams and watch the misuse "
    "signals closely before going wider.",
    "The key mechanism is a classifier on the outputs plus rate limits, and a kill switch "
    "if we see exploit generation at scale.",
    "Honestly, I think the uplift study matters most here: if the model gives attackers "
    "real uplift over existing tools, I would hold it back.",
    "The strongest argument against me is that attackers only need to succeed once, and "
    "I take that seriously.",
]
TARGETS = {
    "silence_p50": 0.150,
    "done_p50": 1.0,
    "concurrent_p95": 1.5,
    "rss_mb": 800,
}


# ------------------------------------------------------------------ audio


def answers(include_jfk: bool) -> list[tuple[str, np.ndarray[Any, np.dtype[np.float32]]]]:
    from server.speech.tts import PiperSynthesizer

    voice = PiperSynthesizer(threads=2)
    out = [
        (text, resample(voice.synthesize(text), voice.sample_rate, SAMPLE_RATE)) for text in ANSWERS
    ]
    if include_jfk and JFK.is_file():
        out.append(("jfk", decode_audio(JFK)))
    return out


def real_time_factor(
    clips: list[tuple[str, np.ndarray[Any, np.dtype[np.float32]]]],
) -> dict[str, float]:
    """Seconds of transcription per second of audio, one call at a time, as the server runs it."""
    from server.speech.stt import FasterWhisperTranscriber

    stt = FasterWhisperTranscriber()
    stt.transcribe(clips[0][1])  # warm-up
    spent = audio = 0.0
    per_call: list[float] = []
    for _, samples in clips:
        t0 = time.perf_counter()
        stt.transcribe(samples)
        took = time.perf_counter() - t0
        per_call.append(took)
        spent += took
        audio += samples.size / SAMPLE_RATE
    return {
        "rtf": spent / audio,
        "seconds_per_call_p50": statistics.median(per_call),
        "audio_seconds": audio,
    }


def warm_cache(directory: Path, scenario_ids: list[str]) -> int:
    from server.speech.tts import PiperSynthesizer, SpeechCache

    catalog = load_catalog(ROOT / "scenarios")
    cache = SpeechCache(directory, PiperSynthesizer(threads=2))
    texts = [line.text for sid in scenario_ids for line in catalog[sid].lines()]
    missing = [t for t in dict.fromkeys(texts) if not cache.path_for(t).is_file()]
    cache.warm(missing)
    return len(missing)


# ------------------------------------------------------------------ the server


class Server(ServerProcess):
    """The server with the bench's speech cache, ready once voice is."""

    def __init__(self, data_dir: Path, speech_cache: Path) -> None:
        super().__init__(
            data_dir,
            {
                "MOCKLOOP_SPEECH_CACHE_DIR": str(speech_cache),
                "MOCKLOOP_RATE_SESSIONS_PER_MINUTE": "1000",
            },
        )

    def start_voice(self, timeout: float = 180.0) -> dict[str, Any]:
        """Seconds from launch until `/healthz` answers ok, and until voice is ready."""
        up: float | None = None

        def voice_ready(health: dict[str, Any]) -> bool:
            nonlocal up
            if up is None and health.get("status") == "ok":
                up = time.monotonic() - self.started
            voice = health.get("voice", {})
            if voice.get("status") in ("unavailable", "off"):
                raise SystemExit(f"voice is {voice}")
            return bool(voice.get("status") == "ready")

        self.start(voice_ready, timeout, "voice did not become ready")
        return {"up_seconds": up, "voice_ready_seconds": time.monotonic() - self.started}

    def turn_log(self, since: int) -> tuple[int, list[tuple[float, float]]]:
        """(log size now, [(transcript wait, commit) in seconds]) from the server's
        per-turn log lines written after byte `since`."""
        data = self.log_path.read_bytes()
        found = re.findall(
            rb"voice turn \((?:silence|done)\): transcript (-?\d+) ms after the end, "
            rb"committed (\d+) ms later",
            data[since:],
        )
        return len(data), [(int(a) / 1000, int(b) / 1000) for a, b in found]


# ------------------------------------------------------------------ sessions


class RoundOver(Exception):
    pass


@dataclass
class TurnResult:
    mode: str  # "silence" or "done"
    reaction: float  # decision -> interviewer message
    from_speech_end: float  # last speech frame sent (or done) -> interviewer message
    text: str
    expected: str


@dataclass
class SessionLog:
    turns: list[TurnResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    splits: int = 0


class Voice:
    """One voice session over the websocket, streaming at real-time pace."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.inbox: asyncio.Queue[tuple[float, dict[str, Any]]] = asyncio.Queue()
        self.reader = asyncio.create_task(self._read())
        self.clock = time.perf_counter()
        self.sent = 0  # frames sent since the pace clock started
        self.splits = 0  # answers cut in two by a pause taken for their end

    async def _read(self) -> None:
        with contextlib.suppress(Exception):
            async for raw in self.ws:
                if isinstance(raw, str):
                    await self.inbox.put((time.time(), json.loads(raw)))
        await self.inbox.put((time.time(), {"type": "closed"}))

    async def frame(self, pcm: bytes) -> None:
        try:
            await self.ws.send(pcm)
        except ConnectionClosed as exc:  # the round ended and the server closed
            raise RoundOver from exc
        self.sent += 1
        delay = self.clock + self.sent * FRAME / SAMPLE_RATE - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        elif delay < -0.5:  # fell behind (a busy machine): do not burst to catch up
            self.clock, self.sent = time.perf_counter(), 0

    async def until(self, kind: str, timeout: float) -> tuple[float, dict[str, Any]]:
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {kind} message in {timeout} s")
            at, msg = await asyncio.wait_for(self.inbox.get(), timeout=left)
            if msg["type"] == kind:
                return at, msg
            if msg["type"] == "closed":
                raise ConnectionError("closed")
            if msg["type"] == "error":
                raise RuntimeError(f"server error: {msg}")


async def one_turn(
    voice: Voice,
    mode: str,
    text: str,
    samples: np.ndarray[Any, np.dtype[np.float32]],
    timeout: float = 20.0,
) -> tuple[TurnResult | None, bool]:
    """Speak, then wait in silence (or say done); (result, the round ended)."""
    try:
        return await _one_turn(voice, mode, text, samples, timeout)
    except RoundOver:
        return None, True


async def _one_turn(
    voice: Voice,
    mode: str,
    text: str,
    samples: np.ndarray[Any, np.dtype[np.float32]],
    timeout: float,
) -> tuple[TurnResult | None, bool]:
    pcm = float32_to_pcm16(samples)
    silence = b"\x00\x00" * FRAME
    for i in range(0, len(pcm), 2 * FRAME):
        chunk = pcm[i : i + 2 * FRAME]
        await voice.frame(chunk + b"\x00" * (2 * FRAME - len(chunk)))
    spoke = time.time()
    if mode == "done":
        await voice.ws.send(json.dumps({"type": "done"}))
    decided: float | None = None
    candidate: dict[str, Any] | None = None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # Keep the microphone running (silence) while waiting, as a browser does.
        await voice.frame(silence)
        while not voice.inbox.empty():
            at, msg = voice.inbox.get_nowait()
            kind = msg["type"]
            if kind == "state" and msg.get("value") == "thinking" and decided is None:
                if float(msg["decided"]) < spoke - 0.05:
                    # A pause inside the answer ended a turn (the early end of a turn
                    # took it for the end): that turn and its reply are not this one.
                    voice.splits += 1
                else:
                    decided = float(msg["decided"])
            elif kind == "candidate" and decided is not None:
                candidate = msg
            elif kind == "interviewer" and candidate is not None:
                if decided is None:
                    return None, False
                result = TurnResult(mode, at - decided, at - spoke, candidate["text"], text)
                return result, False
            elif kind in ("ended", "closed"):
                return None, True
            elif kind == "error":
                raise RuntimeError(f"server error: {msg}")
    raise TimeoutError(f"no reply within {timeout} s ({mode})")


async def run_sessions(
    base: str,
    scenario: str,
    clips: list[tuple[str, np.ndarray[Any, np.dtype[np.float32]]]],
    turns: int,
    modes: list[str],
    delay: float,
    index: int,
) -> SessionLog:
    log = SessionLog()
    await asyncio.sleep(delay)
    n = 0
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        while n < turns:
            r = await http.post("/api/sessions", json={"scenario": scenario, "mode": "voice"})
            r.raise_for_status()
            s = r.json()
            url = base.replace("http://", "ws://") + s["ws"]
            try:
                async with connect(url, origin=base, compression=None, max_size=2**20) as ws:  # type: ignore[arg-type]
                    voice = Voice(ws)
                    await ws.send(json.dumps({"type": "hello", "token": s["token"], "last_seq": 0}))
                    await voice.until("interviewer", 120)
                    voice.clock, voice.sent = time.perf_counter(), 0
                    ended = False
                    while n < turns and not ended:
                        text, samples = clips[(index + n) % len(clips)]
                        mode = modes[n % len(modes)]
                        result, ended = await one_turn(voice, mode, text, samples)
                        if result is not None:
                            log.turns.append(result)
                        n += 1
                    log.splits += voice.splits
                    voice.reader.cancel()
            except Exception as exc:
                log.errors.append(f"{type(exc).__name__}: {exc}")
                n += 1
    return log


# ------------------------------------------------------------------ figures


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": pct(values, 50),
        "p95": pct(values, 95),
        "max": max(values) if values else float("nan"),
    }


def ms(s: float) -> str:
    return "n/a" if math.isnan(s) else f"{s * 1000:.0f} ms"


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    report: dict[str, Any] = {"load_average_start": os.getloadavg()}
    print(
        f"load average at start: {os.getloadavg()[0]:.2f} "
        "(two cores: above 2 the figures are inflated)"
    )
    clips = answers(include_jfk=not args.no_jfk)
    print(
        f"{len(clips)} answers ready "
        f"({sum(c[1].size for c in clips) / SAMPLE_RATE:.1f} s of speech)"
    )
    if not args.skip_rtf:
        rtf = real_time_factor(clips)
        report["stt"] = rtf
        print(
            f"STT real-time factor (tiny.en, int8, 2 threads): {rtf['rtf']:.3f} "
            f"({rtf['seconds_per_call_p50']:.2f} s per call, median)"
        )
    cache = Path(args.speech_cache)
    if not args.cold:
        made = warm_cache(cache, [args.scenario])
        print(f"speech cache {cache}: {made} lines synthesized")
    tmp = Path(tempfile.mkdtemp(prefix="mockloop-bench-voice-"))
    server = Server(tmp / "data", cache)
    try:
        started = server.start_voice()
        report["startup"] = started
        up = started["up_seconds"]
        print(
            f"server answers after {up:.1f} s; "
            f"voice ready after {started['voice_ready_seconds']:.1f} s"
        )
        report["memory_ready_mb"] = server.memory_mb()
        print(f"server memory with both models loaded: {report['memory_ready_mb']}")

        mark, _ = server.turn_log(0)

        def where(label: str) -> None:
            """The server's own split of the phase's turns: transcript wait, commit."""
            nonlocal mark
            mark, split = server.turn_log(mark)
            waits, commits = [w for w, _ in split], [c for _, c in split]
            report.setdefault("server_split", {})[label] = {
                "transcript_wait": summary(waits),
                "commit": summary(commits),
            }
            print(
                f"    server side: transcript ready p50 {ms(pct(waits, 50))} / "
                f"p95 {ms(pct(waits, 95))} after the end; committed and sent "
                f"p50 {ms(pct(commits, 50))} / p95 {ms(pct(commits, 95))} later"
            )

        solo = await run_sessions(server.base, args.scenario, clips, args.turns, ["silence"], 0, 0)
        sil = [t.reaction for t in solo.turns]
        speech_end = [t.from_speech_end for t in solo.turns]
        report["silence"] = summary(sil)
        report["speech_end_to_reply"] = summary(speech_end)
        print(
            f"silence endpoint -> interviewer: p50 {ms(pct(sil, 50))}, "
            f"p95 {ms(pct(sil, 95))} (n={len(sil)})"
        )
        report["splits"] = solo.splits
        print(
            f"end of speech -> interviewer (no done: the early end of a turn, else the end "
            f"silence): p50 {ms(pct(speech_end, 50))}, p95 {ms(pct(speech_end, 95))}; "
            f"answers cut in two by a pause: {solo.splits}"
        )
        where("silence")
        done = await run_sessions(server.base, args.scenario, clips, args.turns, ["done"], 0, 1)
        dn = [t.reaction for t in done.turns]
        dn_spoke = [t.from_speech_end for t in done.turns]
        report["done"] = summary(dn)
        report["done_from_press"] = summary(dn_spoke)
        print(
            f"done (straight after speaking) -> interviewer: p50 {ms(pct(dn, 50))}, "
            f"p95 {ms(pct(dn, 95))}"
        )
        where("done")
        errors = solo.errors + done.errors
        if args.show_text:
            for t in solo.turns + done.turns:
                print(f"  {t.mode:7} reaction {ms(t.reaction):>8}  heard: {t.text!r}")

        report["concurrency"] = {}
        sustained = 0
        for n in args.concurrency:
            cycle = 9.0
            logs = await asyncio.gather(
                *[
                    run_sessions(
                        server.base,
                        args.scenario,
                        clips,
                        args.turns,
                        ["silence", "done"],
                        i * cycle / n,
                        i,
                    )
                    for i in range(n)
                ]
            )
            all_turns = [t for lg in logs for t in lg.turns]
            reactions = [t.reaction for t in all_turns]
            by_mode = {
                m: [t.reaction for t in all_turns if t.mode == m] for m in ("silence", "done")
            }
            errs = [e for lg in logs for e in lg.errors]
            errors += errs
            figures = {
                "all": summary(reactions),
                "silence": summary(by_mode["silence"]),
                "done": summary(by_mode["done"]),
                "errors": len(errs),
            }
            report["concurrency"][n] = figures
            ok = not errs and pct(reactions, 95) < TARGETS["concurrent_p95"]
            if ok:
                sustained = n
            print(
                f"{n} concurrent voice session(s): reaction p50 {ms(pct(reactions, 50))}, "
                f"p95 {ms(pct(reactions, 95))} (silence p95 {ms(pct(by_mode['silence'], 95))}, "
                f"done p95 {ms(pct(by_mode['done'], 95))}; "
                f"{len(reactions)} turns, {len(errs)} errors)"
                + ("" if ok else "  <- over 1.5 s or errors")
            )
            where(f"concurrent-{n}")
        report["sustained_sessions"] = sustained
        report["memory_end_mb"] = server.memory_mb()
        print(f"server memory at the end: {report['memory_end_mb']} (VmHWM is the peak)")
        report["errors"] = errors
        for e in errors[:10]:
            print(f"  error: {e}")
    finally:
        server.stop()
    report["load_average_end"] = os.getloadavg()
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    return report


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--turns", type=int, default=8, help="turns per measurement (per session)")
    parser.add_argument("--concurrency", default="1,2,4,6", help="concurrent sessions to try")
    parser.add_argument("--scenario", default="culture-dual-use-release")
    parser.add_argument(
        "--speech-cache",
        default=str(Path(tempfile.gettempdir()) / "mockloop-bench-speech"),
        help="kept between runs, so the lines are synthesized once",
    )
    parser.add_argument("--cold", action="store_true", help="do not warm the speech cache first")
    parser.add_argument("--skip-rtf", action="store_true")
    parser.add_argument("--no-jfk", action="store_true")
    parser.add_argument("--show-text", action="store_true", help="print what the server heard")
    parser.add_argument("--json", action="store_true", help="print the report as JSON at the end")
    args = parser.parse_args()
    args.concurrency = [int(x) for x in str(args.concurrency).split(",") if x.strip()]
    report = asyncio.run(main_async(args))
    if args.json:
        print(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
