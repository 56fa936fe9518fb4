#!/usr/bin/env python3
"""Load benchmark: a fleet of websocket clients against a real `mockloop serve` process.

    .venv/bin/python scripts/bench_load.py [--sessions 200] [--turns 6] [--think 1.0]
                                           [--voice M] [--database-url URL] [--json]

It starts the server itself on a free loopback port with a temporary data dir (the
per-address session rate limit raised for the run), runs N chat sessions at once, each
answering several turns, and prints:

- errors: client exceptions, `error` messages, unexpected closes, timeouts, and ERROR
  lines or tracebacks in the server's own output;
- integrity: per session, seq contiguity (lost, duplicated, out of order), a `candidate`
  echo for every `say` and an interviewer reply after it, and the stored transcript
  (`GET /api/sessions/{id}`) equal to what the client received;
- latency: from sending `say` to receiving the interviewer reply (p50/p95/p99/max), and
  from `hello` to the opening line.

Each candidate "thinks" between turns (uniform around `--think` seconds), so N sessions
offer roughly N/think turns per second; `--think 0` is a closed loop that measures the
saturated throughput instead. With `--voice M`, M voice sessions stream speech at
real-time pace alongside; when voice mode is not wired into the server yet, the voice part
is skipped with a message.

Exit status: 0 when every check holds and the p99 is under `--target-p99-ms`; 1 on any
error or lost/duplicated message; 2 when only the latency target was missed. Loopback
only, bounded in count and time (`--deadline`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from benchlib import ServerProcess, percentile
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

# A linear chat scenario of the benchmark's own: every answer gets the next question, so
# "each say gets a reply" is exact, and no timer fires during the run.
BENCH_SCENARIO = """\
id: bench-chat
title: Load benchmark chat
round: behavioral
minutes: 240
summary: One question after another, no timers.
signals:
  numbers:
    phrases: ["percent", "milliseconds", "latency"]
start: q1
closing: "That's all, thank you."
nodes:
{nodes}
rubric:
  - id: specificity
    title: Gives specific answers
    anchors:
      1: Vague throughout.
      3: Some detail.
      5: Numbers, units or named techniques.
    levels:
      - level: 5
        if: heard('numbers')
      - level: 1
    evidence: [numbers]
"""

ANSWERS = [
    "I led the migration of our ranking service to a two-tower model, which cut p99 latency "
    "by forty percent while keeping recall flat; the hard part was the feature backfill.",
    "We measured it with an offline replay of a week of traffic first, then a one percent "
    "canary, and I wrote the rollback runbook before we shipped anything.",
    "The disagreement was about evaluation: I argued for a held-out set built after the "
    "cutoff, and we settled it by running both and comparing the variance.",
    "Looking back I would have instrumented the queueing delay earlier; most of the "
    "milliseconds we chased were spent waiting, not computing.",
    "For the on-call load we batched alerts by service and added a weekly review, which "
    "halved the pages in a month without hiding real incidents.",
]


def bench_scenario(questions: int) -> str:
    lines = []
    for i in range(1, questions + 1):
        nxt = f"q{i + 1}" if i < questions else "end"
        lines += [
            f"  q{i}:",
            f'    say: "Question {i}: tell me about something you built and measured."',
            "    next:",
            f"      - goto: {nxt}",
        ]
    return BENCH_SCENARIO.format(nodes="\n".join(lines))


# ------------------------------------------------------------------ one session


@dataclass
class Result:
    kind: str = "chat"
    ok: bool = False
    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)  # seconds, say -> interviewer
    sent_at: list[float] = field(default_factory=list)  # perf_counter at each say
    opening: float | None = None  # seconds, hello -> first interviewer line
    create: float | None = None  # seconds, POST /api/sessions
    turns: int = 0
    messages: int = 0
    lost: int = 0
    duplicated: int = 0
    out_of_order: int = 0
    missing_echo: int = 0
    missing_reply: int = 0
    stored_mismatch: bool = False


class Protocol(Exception):
    pass


class Gate:
    """Holds every session after its opening line until all have one (or failed), so
    that the turns are measured with every session live at once, apart from the ramp."""

    def __init__(self, expected: int, on_open: Any = None) -> None:
        self.waiting = expected
        self.opened = asyncio.Event()
        self.on_open = on_open

    def leave(self) -> None:
        self.waiting -= 1
        if self.waiting <= 0 and not self.opened.is_set():
            if self.on_open is not None:
                self.on_open()
            self.opened.set()

    async def arrive(self) -> None:
        self.leave()
        await self.opened.wait()


class Client:
    """One candidate: receives every message, checks seq as it goes."""

    def __init__(self, ws: ClientConnection, result: Result, timeout: float) -> None:
        self.ws = ws
        self.result = result
        self.timeout = timeout
        self.received: list[dict[str, Any]] = []
        self.last_seq = 0
        self.seen: set[int] = set()

    async def next(self) -> dict[str, Any]:
        try:
            raw = await asyncio.wait_for(self.ws.recv(), timeout=self.timeout)
        except TimeoutError:
            raise Protocol(f"no message within {self.timeout:g} s") from None
        except ConnectionClosed as exc:
            raise Protocol(f"closed unexpectedly ({exc.rcvd.code if exc.rcvd else None})") from None
        if isinstance(raw, bytes):
            raise Protocol("binary frame from the server")
        message: dict[str, Any] = json.loads(raw)
        if message.get("type") == "error":
            self.result.errors.append(f"error message: {message.get('code')}")
            return message
        seq = message.get("seq")
        if isinstance(seq, int):
            if seq in self.seen:
                self.result.duplicated += 1
            elif seq < self.last_seq:
                self.result.out_of_order += 1
            elif seq > self.last_seq + 1:
                # counted as lost until (unless) they arrive late, out of order
                self.result.lost += seq - self.last_seq - 1
            self.seen.add(seq)
            self.last_seq = max(self.last_seq, seq)
            self.received.append(message)
            self.result.messages += 1
        return message

    async def until(self, *types: str) -> dict[str, Any]:
        while True:
            message = await self.next()
            if message.get("type") in types:
                return message

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))


async def chat_session(
    i: int,
    base: str,
    http: httpx.AsyncClient,
    args: argparse.Namespace,
    scenario: str,
    gate: Gate,
    done: Gate,
) -> Result:
    result = Result()
    rng = random.Random(i)
    arrived = finished = False
    try:
        await asyncio.sleep(rng.uniform(0, args.ramp))
        t0 = time.perf_counter()
        r = await http.post("/api/sessions", json={"scenario": scenario, "mode": "chat", "seed": i})
        result.create = time.perf_counter() - t0
        if r.status_code != 201:
            result.errors.append(f"create: HTTP {r.status_code}")
            return result
        s = r.json()
        ws_url = base.replace("http://", "ws://") + s["ws"]
        async with connect(
            ws_url, compression=None, open_timeout=args.timeout, max_size=2**20
        ) as ws:
            client = Client(ws, result, args.timeout)
            t0 = time.perf_counter()
            await client.send({"type": "hello", "token": s["token"], "last_seq": 0})
            await client.until("interviewer")
            result.opening = time.perf_counter() - t0
            arrived = True
            await gate.arrive()
            ended = False
            for turn in range(args.turns):
                if args.think > 0:
                    await asyncio.sleep(rng.uniform(0.5 * args.think, 1.5 * args.think))
                text = f"[{i}.{turn}] {ANSWERS[(i + turn) % len(ANSWERS)]}"
                t0 = time.perf_counter()
                await client.send({"type": "say", "text": text})
                echo = await client.until("candidate", "ended")
                if echo.get("type") != "candidate" or echo.get("text") != text:
                    result.missing_echo += 1
                    break
                reply = await client.until("interviewer", "ended")
                if reply.get("type") != "interviewer":
                    result.missing_reply += 1
                    ended = True
                    break
                result.latencies.append(time.perf_counter() - t0)
                result.sent_at.append(t0)
                result.turns += 1
            if not ended:
                await client.send({"type": "end"})
                await client.until("ended")
            # The server closes with 1000 after `ended`.
            with contextlib.suppress(TimeoutError, ConnectionClosed):
                await asyncio.wait_for(ws.recv(), timeout=args.timeout)
            if ws.close_code not in (1000, None):
                result.errors.append(f"close code {ws.close_code}")
        # Checked once every session is done: the check reads whole transcripts, which
        # is not what a candidate's turn waits behind.
        finished = True
        await done.arrive()
        stored = await http.get(
            f"/api/sessions/{s['id']}", headers={"Authorization": f"Bearer {s['token']}"}
        )
        if stored.status_code != 200 or stored.json()["messages"] != client.received:
            result.stored_mismatch = True
        result.ok = not result.errors
    except Protocol as exc:
        result.errors.append(str(exc))
    except Exception as exc:
        result.errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        if not arrived:
            gate.leave()
        if not finished:
            done.leave()
    return result


# ------------------------------------------------------------------ voice (optional)


async def voice_available(base: str, http: httpx.AsyncClient, scenario: str) -> str | None:
    """None when voice mode is wired in; otherwise why not."""
    r = await http.post("/api/sessions", json={"scenario": scenario, "mode": "voice"})
    if r.status_code != 201:
        return f"voice session refused (HTTP {r.status_code})"
    s = r.json()
    ws_url = base.replace("http://", "ws://") + s["ws"]
    async with connect(ws_url, compression=None) as ws:
        await ws.send(json.dumps({"type": "hello", "token": s["token"], "last_seq": 0}))
        await ws.send(b"\x00\x00" * 512)
        try:
            while True:
                raw = await asyncio.wait_for(ws.recv(), timeout=2.0)
                message = json.loads(raw)
                if message.get("type") == "error" and message.get("code") == "unsupported":
                    return "the server has no speech pipeline for voice mode yet"
        except (TimeoutError, ConnectionClosed):
            pass
        if ws.close_code == 1003:
            return "the server has no speech pipeline for voice mode yet"
    return None


def speech_pcm() -> bytes:
    """A spoken answer as PCM16 mono 16 kHz, synthesized with the bundled voice."""
    from server.speech.audio import resample_pcm16
    from server.speech.tts import synthesize

    pcm, rate = synthesize("I would shard the queue by tenant and cap the batch size.")
    data: bytes = resample_pcm16(pcm, rate, 16000)
    return data


async def voice_session(
    i: int, base: str, http: httpx.AsyncClient, args: argparse.Namespace, scenario: str, pcm: bytes
) -> Result:
    result = Result(kind="voice")
    frame = 1024  # 512 samples, 32 ms
    silence = b"\x00\x00" * 512
    try:
        r = await http.post("/api/sessions", json={"scenario": scenario, "mode": "voice"})
        s = r.json()
        ws_url = base.replace("http://", "ws://") + s["ws"]
        async with connect(ws_url, compression=None, max_size=2**20) as ws:
            client = Client(ws, result, args.timeout * 4)
            await client.send({"type": "hello", "token": s["token"], "last_seq": 0})
            await client.until("interviewer")
            reader = asyncio.create_task(client.until("candidate"))
            for turn in range(args.turns):
                start = time.perf_counter()
                chunks = [pcm[k : k + frame] for k in range(0, len(pcm), frame)] + [silence] * 10
                for n, chunk in enumerate(chunks):
                    await ws.send(chunk)
                    # real-time pace: frame n goes out 32 ms after frame n-1
                    delay = start + (n + 1) * 0.032 - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                t0 = time.perf_counter()
                await client.send({"type": "done"})
                await reader
                await client.until("interviewer")
                result.latencies.append(time.perf_counter() - t0)
                result.turns += 1
                if turn + 1 < args.turns:
                    reader = asyncio.create_task(client.until("candidate"))
            await client.send({"type": "end"})
            await client.until("ended")
        result.ok = not result.errors
    except Protocol as exc:
        result.errors.append(str(exc))
    except Exception as exc:
        result.errors.append(f"{type(exc).__name__}: {exc}")
    return result


# ------------------------------------------------------------------ the run


def ms(value: float) -> str:
    return f"{value * 1000:.1f} ms"


async def run(args: argparse.Namespace) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="mockloop-bench-"))
    scenarios_dir: Path | None = None
    scenario = args.scenario
    if scenario == "bench-chat":
        scenarios_dir = tmp / "scenarios"
        scenarios_dir.mkdir()
        # one question more than the turns, so that no answer ends the round
        (scenarios_dir / "bench-chat.yaml").write_text(bench_scenario(args.turns + 1))
    env = {
        "MOCKLOOP_RATE_SESSIONS_PER_MINUTE": str(10 * (args.sessions + args.voice) + 100),
        "MOCKLOOP_LOG_LEVEL": "info",
        # chat only unless voice sessions were asked for: no speech models loading
        "MOCKLOOP_VOICE": "true" if args.voice else "false",
    }
    if args.database_url:
        env["MOCKLOOP_DATABASE_URL"] = args.database_url
    if scenarios_dir is not None:
        env["MOCKLOOP_SCENARIOS_DIR"] = str(scenarios_dir)
    server = ServerProcess(tmp / "data", env)
    server.start(lambda health: health.get("status") == "ok", 60.0, "server did not come up")
    profiler: subprocess.Popen[bytes] | None = None
    if args.profile:
        # py-spy (the dev extra) samples the server until it exits; --format raw writes
        # collapsed stacks, one line per stack with its sample count.
        assert server.proc is not None
        profiler = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "py-spy"),
                "record",
                "--pid",
                str(server.proc.pid),
                "--format",
                "raw",
                "--rate",
                "200",
                "--gil",
                "--output",
                str(Path(args.profile).resolve()),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(1.0)
    report: dict[str, Any] = {
        "cores": os.cpu_count(),
        # Other work on the machine takes CPU from the server and the clients alike.
        "load_average_before": os.getloadavg()[0],
        "sessions": args.sessions,
        "turns_per_session": args.turns,
        "think_seconds": args.think,
        "database": "postgresql" if args.database_url else "sqlite",
    }
    try:
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        async with httpx.AsyncClient(base_url=server.base, limits=limits, timeout=30) as http:
            voice_pcm = b""
            if args.voice:
                why = await voice_available(server.base, http, scenario)
                if why is None:
                    try:
                        voice_pcm = speech_pcm()
                    except Exception as exc:  # the helpers are the voice person's to add
                        why = f"cannot synthesize the test speech ({type(exc).__name__})"
                if why is not None:
                    print(f"voice: skipping {args.voice} voice session(s): {why}")
                    report["voice_skipped"] = why
            marks: dict[str, float] = {}

            def on_open() -> None:
                marks.update(
                    wall=time.perf_counter(), cpu=server.cpu_seconds(), client=time.process_time()
                )

            gate = Gate(args.sessions, on_open)

            def on_done() -> None:
                marks.update(
                    done=time.perf_counter(),
                    done_cpu=server.cpu_seconds(),
                    done_client=time.process_time(),
                )

            done = Gate(args.sessions, on_done)
            cpu0, wall0 = server.cpu_seconds(), time.perf_counter()
            client_cpu0 = time.process_time()
            tasks = [
                chat_session(i, server.base, http, args, scenario, gate, done)
                for i in range(args.sessions)
            ]
            if voice_pcm:
                tasks += [
                    voice_session(i, server.base, http, args, scenario, voice_pcm)
                    for i in range(args.voice)
                ]
            results: list[Result] = await asyncio.wait_for(
                asyncio.gather(*tasks), timeout=args.deadline
            )
            # the turn phase: from every session live to every session ended
            end = marks.get("done", time.perf_counter())
            wall = end - marks.get("wall", wall0)
            cpu = marks.get("done_cpu", server.cpu_seconds()) - marks.get("cpu", cpu0)
            client_cpu = marks.get("done_client", time.process_time()) - marks.get(
                "client", client_cpu0
            )
            setup = {
                "seconds": round(marks.get("wall", wall0) - wall0, 2),
                "server_cpu_seconds": round(marks.get("cpu", cpu0) - cpu0, 2),
            }
    finally:
        server.stop()
        if profiler is not None:
            profiler.wait(timeout=60)
            print(f"profile: {args.profile} (collapsed stacks; see --top)")
    report["load_average_after"] = os.getloadavg()[0]
    problems = server.log_problems()
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        report["data"] = str(tmp)

    chat = [r for r in results if r.kind == "chat"]
    voice = [r for r in results if r.kind == "voice"]
    errors = Counter(e for r in results for e in r.errors)
    lat = [x for r in chat for x in r.latencies]
    timeline: dict[int, list[float]] = {}
    start = marks.get("wall", 0.0)
    for r in chat:
        for t0, x in zip(r.sent_at, r.latencies, strict=True):
            timeline.setdefault(int(t0 - start), []).append(x)
    by_second = [
        (sec, len(xs), round(percentile(xs, 50) * 1000), round(max(xs) * 1000))
        for sec, xs in sorted(timeline.items())
    ]
    by_turn = [
        round(percentile([r.latencies[t] for r in chat if len(r.latencies) > t], 99) * 1000, 1)
        for t in range(args.turns)
    ]
    opening = [r.opening for r in chat if r.opening is not None]
    create = [r.create for r in chat if r.create is not None]
    turns = sum(r.turns for r in results)
    report.update(
        {
            "ok_sessions": sum(r.ok for r in chat),
            "turns": turns,
            "messages": sum(r.messages for r in results),
            "errors": sum(errors.values()),
            "error_kinds": dict(errors.most_common(10)),
            "server_log_problems": len(problems),
            "lost": sum(r.lost for r in results),
            "duplicated": sum(r.duplicated for r in results),
            "out_of_order": sum(r.out_of_order for r in results),
            "missing_echo": sum(r.missing_echo for r in results),
            "missing_reply": sum(r.missing_reply for r in results),
            "stored_mismatch": sum(r.stored_mismatch for r in results),
            "setup": setup,
            "wall_seconds": round(wall, 2),
            "turns_per_second": round(turns / wall, 1) if wall else 0.0,
            "server_cpu_seconds": round(cpu, 2),
            "client_cpu_seconds": round(client_cpu, 2),
            "reply_ms": {
                "p50": round(percentile(lat, 50) * 1000, 1),
                "p95": round(percentile(lat, 95) * 1000, 1),
                "p99": round(percentile(lat, 99) * 1000, 1),
                "max": round(max(lat) * 1000, 1) if lat else None,
                "mean": round(statistics.fmean(lat) * 1000, 1) if lat else None,
                "p99_by_turn": by_turn,
                "by_second": by_second,
            },
            "opening_ms": {
                "p50": round(percentile(opening, 50) * 1000, 1),
                "p99": round(percentile(opening, 99) * 1000, 1),
            },
            "create_ms": {
                "p50": round(percentile(create, 50) * 1000, 1),
                "p99": round(percentile(create, 99) * 1000, 1),
            },
        }
    )
    if voice:
        vlat = [x for r in voice for x in r.latencies]
        report["voice"] = {
            "sessions": len(voice),
            "ok_sessions": sum(r.ok for r in voice),
            "turns": sum(r.turns for r in voice),
            "done_to_reply_ms": {
                "p50": round(percentile(vlat, 50) * 1000, 1),
                "p95": round(percentile(vlat, 95) * 1000, 1),
                "p99": round(percentile(vlat, 99) * 1000, 1),
            },
        }
    if problems:
        report["server_log_sample"] = problems[:5]
    return report


def print_report(report: dict[str, Any]) -> None:
    r = report
    print(
        f"mockloop load: {r['sessions']} chat sessions x {r['turns_per_session']} turns, "
        f"think {r['think_seconds']:g} s, {r['database']}; {r['cores']} cores, load average "
        f"{r['load_average_before']:.1f} before, {r['load_average_after']:.1f} after"
    )
    print(
        f"  sessions ok      {r['ok_sessions']}/{r['sessions']}   turns {r['turns']}   "
        f"messages {r['messages']}"
    )
    print(f"  errors           {r['errors']}   server log problems {r['server_log_problems']}")
    for kind, n in r["error_kinds"].items():
        print(f"    {n:5d}  {kind}")
    print(
        f"  lost {r['lost']}   duplicated {r['duplicated']}   out of order {r['out_of_order']}   "
        f"missing echo {r['missing_echo']}   missing reply {r['missing_reply']}   "
        f"stored != received {r['stored_mismatch']}"
    )
    lat = r["reply_ms"]
    print(
        f"  reply latency    p50 {lat['p50']} ms   p95 {lat['p95']} ms   p99 {lat['p99']} ms   "
        f"max {lat['max']} ms"
    )
    print(f"  p99 by turn      {' '.join(f'{x:g}' for x in lat['p99_by_turn'])} ms")
    print(
        f"  hello->opening   p50 {r['opening_ms']['p50']} ms   p99 {r['opening_ms']['p99']} ms   "
        f"create p50 {r['create_ms']['p50']} ms   p99 {r['create_ms']['p99']} ms"
    )
    print(
        f"  setup            {r['sessions']} sessions live after {r['setup']['seconds']} s "
        f"(server CPU {r['setup']['server_cpu_seconds']} s)"
    )
    print(
        f"  turn phase       {r['turns_per_second']} turns/s over {r['wall_seconds']} s; "
        f"CPU: server {r['server_cpu_seconds']} s, clients {r['client_cpu_seconds']} s"
    )
    if "voice" in r:
        v = r["voice"]
        d = v["done_to_reply_ms"]
        print(
            f"  voice            {v['ok_sessions']}/{v['sessions']} ok, {v['turns']} turns, "
            f"done->reply p50 {d['p50']} ms p95 {d['p95']} ms p99 {d['p99']} ms"
        )
    for line in r.get("server_log_sample", []):
        print(f"  server: {line[:200]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=200, help="concurrent chat sessions")
    parser.add_argument("--turns", type=int, default=6, help="answers per session")
    parser.add_argument(
        "--think", type=float, default=2.0, help="mean seconds between a reply and the next say"
    )
    parser.add_argument(
        "--ramp", type=float, default=5.0, help="seconds over which sessions connect"
    )
    parser.add_argument("--voice", type=int, default=0, help="voice sessions besides the chat ones")
    parser.add_argument("--scenario", default="bench-chat", help="scenario id (default: built in)")
    parser.add_argument("--database-url", default="", help="e.g. postgresql://u:p@127.0.0.1/db")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for a message")
    parser.add_argument("--deadline", type=float, default=600.0, help="seconds for the whole run")
    parser.add_argument("--target-p99-ms", type=float, default=100.0)
    parser.add_argument("--profile", default="", help="write py-spy collapsed stacks here")
    parser.add_argument("--keep", action="store_true", help="keep the data dir and server log")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if not 1 <= args.sessions <= 2000 or not 1 <= args.turns <= 50 or not 0 <= args.voice <= 200:
        parser.error("sessions 1-2000, turns 1-50, voice 0-200")

    report = asyncio.run(run(args))
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    broken = (
        report["errors"]
        or report["server_log_problems"]
        or report["lost"]
        or report["duplicated"]
        or report["out_of_order"]
        or report["missing_echo"]
        or report["missing_reply"]
        or report["stored_mismatch"]
        or report["ok_sessions"] != report["sessions"]
    )
    if broken:
        return 1
    if report["reply_ms"]["p99"] > args.target_p99_ms:
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
