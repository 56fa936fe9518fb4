#!/usr/bin/env python3
"""The voice flood, measured from outside: a real `mockloop serve` with the real speech
models, one client pushing 64 KiB audio frames into a voice session as fast as it can,
and beside it `/healthz` and another session's chat replies, timed before and during.

    .venv/bin/python tests/hardening/voice_flood.py [--seconds 10] [--tail 20]
                                                    [--source DIR] [--json]

`--source` runs the server from another checkout of the project (the same virtualenv),
so that one command measures a tree before a change and after it. The flood sends real
speech (../shared/audio/jfk.flac, looped) so that the voice activity detector hears an
answer and speech recognition has work to do, as an attacker's recording would give it.

It prints, for the quiet phase and the flood (and the tail after it, while the server
works off what it took in): the server's CPU seconds, `/healthz` latency (p50, p95,
max), the other session's reply latency (say to interviewer line), the audio the flood
got in (seconds of speech at 16 kHz), how its connection ended, and the load average.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

from hardening_support import LONG, SERVER_SCENARIOS, write_long_scenario  # noqa: E402
from websockets.exceptions import ConnectionClosed  # noqa: E402
from websockets.sync.client import connect  # noqa: E402

FRAME = 64 * 1024
BYTES_PER_SECOND = 32_000  # PCM16 mono at 16 kHz
JFK = ROOT.parent / "shared" / "audio" / "jfk.flac"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def summary(values: list[float]) -> dict[str, Any]:
    return {
        "n": len(values),
        "p50_ms": round(pct(values, 50) * 1000, 1),
        "p95_ms": round(pct(values, 95) * 1000, 1),
        "max_ms": round(max(values) * 1000, 1) if values else None,
    }


def get_json(url: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="GET" if body is None else "POST")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def speech_pcm() -> bytes:
    """Real speech as PCM16 at 16 kHz, about a minute of it (a tone when jfk.flac is
    not there)."""
    import numpy as np

    from server.speech.audio import SAMPLE_RATE, decode_audio, float32_to_pcm16

    if JFK.is_file():
        one = decode_audio(JFK)
    else:
        t = np.arange(11 * SAMPLE_RATE, dtype=np.float32) / SAMPLE_RATE
        one = (0.3 * np.sin(2 * np.pi * 220.0 * t)).astype(np.float32)
    pause = np.zeros(SAMPLE_RATE // 2, dtype=np.float32)
    return float32_to_pcm16(np.concatenate([one, pause] * 6))


class Server:
    def __init__(self, source: Path, data: Path, scenarios: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = data.parent / "server.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("MOCKLOOP_")}
        env.update(
            PYTHONPATH=str(source),
            MOCKLOOP_SCENARIOS_DIR=str(scenarios),
            MOCKLOOP_RATE_SESSIONS_PER_MINUTE="1000",
            MOCKLOOP_SPEECH_CACHE_DIR=str(data.parent / "speech"),
        )
        args = ["--host", "127.0.0.1", "--port", str(self.port), "--data-dir", str(data)]
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "server.main", *args],
                cwd=source,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, timeout: float = 180.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit("server exited:\n" + self.log.read_text(errors="replace"))
            with contextlib.suppress(OSError, ValueError):
                if get_json(self.url + "/healthz").get("voice", {}).get("status") == "ready":
                    return
            time.sleep(0.2)
        raise SystemExit("voice never got ready:\n" + self.log.read_text(errors="replace"))

    def cpu(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def threads(self) -> dict[str, float]:
        """CPU seconds so far of the event loop (the main thread) and of all the other
        threads together (speech, database, audio workers)."""
        out = {"event_loop": 0.0, "other_threads": 0.0}
        tick = os.sysconf("SC_CLK_TCK")
        for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
            with contextlib.suppress(OSError):
                fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
                name = "event_loop" if task.name == str(self.proc.pid) else "other_threads"
                out[name] += (int(fields[11]) + int(fields[12])) / tick
        return out

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


class Probe(threading.Thread):
    """`/healthz` every 100 ms, and a chat session answering with 0.2 s of thought; each
    timing is kept with the moment it was taken."""

    def __init__(self, server: Server) -> None:
        super().__init__(daemon=True)
        self.server = server
        self.stop = threading.Event()
        self.health: list[tuple[float, float]] = []
        self.replies: list[tuple[float, float]] = []
        self.chat = threading.Thread(target=self._chat, daemon=True)

    def run(self) -> None:
        self.chat.start()
        while not self.stop.is_set():
            began = time.monotonic()
            with contextlib.suppress(OSError, ValueError):
                get_json(self.server.url + "/healthz")
                self.health.append((began, time.monotonic() - began))
            self.stop.wait(max(0.0, 0.1 - (time.monotonic() - began)))
        self.chat.join(15)

    def _chat(self) -> None:
        s = get_json(self.server.url + "/api/sessions", {"scenario": LONG})
        ws_url = self.server.url.replace("http", "ws", 1) + s["ws"]
        with connect(ws_url, open_timeout=30) as ws:
            ws.send(json.dumps({"type": "hello", "token": s["token"], "last_seq": 0}))
            self._until(ws, "interviewer")
            n = 0
            while not self.stop.is_set():
                n += 1
                began = time.monotonic()
                ws.send(json.dumps({"type": "say", "text": f"Answer number {n}."}))
                self._until(ws, "candidate")
                self._until(ws, "interviewer")
                self.replies.append((began, time.monotonic() - began))
                self.stop.wait(0.2)

    @staticmethod
    def _until(ws: Any, kind: str) -> dict[str, Any]:
        while True:
            message = json.loads(ws.recv(timeout=60))
            if message.get("type") == kind:
                return message  # type: ignore[no-any-return]


def voice_session(server: Server) -> tuple[dict[str, Any], Any]:
    """The flood's session, its round begun: the first connection, after the opening
    line (made once, with the rest of the script's lines in the background)."""
    s = get_json(server.url + "/api/sessions", {"scenario": "server-test-chat", "mode": "voice"})
    ws = connect(server.url.replace("http", "ws", 1) + s["ws"], open_timeout=60, max_size=None)
    ws.send(json.dumps({"type": "hello", "token": s["token"], "last_seq": 0}))
    while json.loads(ws.recv(timeout=120)).get("type") != "interviewer":
        pass
    return s, ws


def wait_idle(server: Server, timeout: float = 180.0) -> None:
    """Until the server spends under 2% of a core (the script's lines are made)."""
    deadline = time.monotonic() + timeout
    before = server.cpu()
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = server.cpu()
        if now - before < 0.02:
            return
        before = now


def flood(
    server: Server,
    seconds: float,
    pcm: bytes,
    marks: list[tuple[float, float]],
    s: dict[str, Any],
    first: Any,
    once: bool = False,
) -> dict[str, Any]:
    """One voice session, 64 KiB frames as fast as the socket takes them, for `seconds`;
    when the server closes the connection, the client reconnects at once and goes on
    (unless `once`).
    `marks` gets (moment, server CPU) when the first frame goes out and when the last
    connection is closed. The audio the server took in is read from the session's
    recordings afterwards."""
    ws_url = server.url.replace("http", "ws", 1) + s["ws"]
    sent = 0
    errors: list[str] = []
    closes: list[int | None] = []
    connections = 0
    began: float | None = None
    offset = 0
    while began is None or time.monotonic() - began < seconds:
        if began is None:
            ws = first
            began = time.monotonic()
            marks.append((began, server.cpu()))
        elif once:
            break
        else:
            ws = connect(ws_url, open_timeout=60, max_size=None)
            ws.send(json.dumps({"type": "hello", "token": s["token"], "last_seq": 10**6}))
        with ws:
            connections += 1
            try:
                while time.monotonic() - began < seconds:
                    frame = pcm[offset : offset + FRAME]
                    if len(frame) < FRAME:
                        offset, frame = 0, pcm[:FRAME]
                    offset += FRAME
                    ws.send(frame)
                    sent += len(frame)
                    with contextlib.suppress(TimeoutError):
                        while True:
                            message = json.loads(ws.recv(timeout=0))
                            if message.get("type") == "error":
                                errors.append(str(message.get("code")))
            except ConnectionClosed as exc:
                closes.append(exc.rcvd.code if exc.rcvd is not None else None)
    assert began is not None
    took = time.monotonic() - began
    marks.append((time.monotonic(), server.cpu()))
    taken = 0.0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        request = urllib.request.Request(
            f"{server.url}/api/sessions/{s['id']}/export?format=json",
            headers={"Authorization": f"Bearer {s['token']}"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            tracks = json.loads(response.read())["audio"]
        if tracks and all(t["duration"] is not None for t in tracks):
            taken = sum(t["duration"] for t in tracks)
            break
        time.sleep(0.5)
    return {
        "sent_audio_seconds": round(sent / BYTES_PER_SECOND, 1),
        "taken_audio_seconds": round(taken, 1),
        "flood_seconds": round(took, 2),
        "connections": connections,
        "errors": sorted(set(errors)),
        "close_codes": sorted({c for c in closes if c is not None}),
    }


def between(samples: list[tuple[float, float]], start: float, end: float) -> list[float]:
    return [v for t, v in samples if start <= t < end]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="flood length")
    parser.add_argument("--quiet", type=float, default=5.0, help="measured before the flood")
    parser.add_argument("--tail", type=float, default=20.0, help="measured after the flood")
    parser.add_argument("--source", type=Path, default=ROOT, help="the tree to serve from")
    parser.add_argument("--once", action="store_true", help="no reconnecting after a close")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--profile", type=Path, help="sample the server with py-spy during the flood (collapsed)"
    )
    args = parser.parse_args()

    pcm = speech_pcm()
    with tempfile.TemporaryDirectory(prefix="voice-flood-") as tmp:
        scenarios = Path(tmp) / "scenarios"
        write_long_scenario(scenarios)
        for path in SERVER_SCENARIOS.glob("*.yaml"):
            (scenarios / path.name).write_text(path.read_text())
        server = Server(args.source.resolve(), Path(tmp) / "data", scenarios)
        load_before = os.getloadavg()
        try:
            server.wait_ready()
            s, first = voice_session(server)
            wait_idle(server)
            probe = Probe(server)
            probe.start()
            time.sleep(1.0)  # the chat session is under way
            t0, cpu0 = time.monotonic(), server.cpu()
            time.sleep(args.quiet)
            tq, cpuq = time.monotonic(), server.cpu()
            marks: list[tuple[float, float]] = []
            threads_before = server.threads()
            spy = None
            if args.profile is not None:
                spy = subprocess.Popen(
                    [
                        str(Path(sys.executable).with_name("py-spy")),
                        "record",
                        "--pid",
                        str(server.proc.pid),
                        "--format",
                        "raw",
                        "--threads",
                        "--nonblocking",
                        "--output",
                        str(args.profile),
                        "--duration",
                        str(round(args.seconds + 2)),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            result = flood(server, args.seconds, pcm, marks, s, first, args.once)
            threads_after = server.threads()
            if spy is not None:
                spy.wait(60)
            (t1, cpu1), (t2, cpu2) = marks
            time.sleep(args.tail)
            t3, cpu3 = time.monotonic(), server.cpu()
            probe.stop.set()
            probe.join(30)
        finally:
            server.stop()
        load_after = os.getloadavg()
        problems = [
            line
            for line in server.log.read_text(errors="replace").splitlines()
            if "ERROR" in line or "Traceback" in line
        ]

    phases = {"quiet": (t0, tq, cpuq - cpu0), "flood": (t1, t2, cpu2 - cpu1)}
    phases["tail"] = (t2, t3, cpu3 - cpu2)
    out: dict[str, Any] = {"source": str(args.source), "flood": result, "phases": {}}
    for name, (start, end, cpu) in phases.items():
        out["phases"][name] = {
            "seconds": round(end - start, 1),
            "server_cpu_seconds": round(cpu, 2),
            "healthz": summary(between(probe.health, start, end)),
            "chat_reply": summary(between(probe.replies, start, end)),
        }
    # Threads that ended during the flood are missing from the second count.
    out["flood_cpu_by_thread"] = {
        name: round(seconds - threads_before.get(name, 0.0), 2)
        for name, seconds in threads_after.items()
    }
    out["load_average"] = [round(load_before[0], 2), round(load_after[0], 2)]
    out["server_log_errors"] = problems[:10]
    if args.json:
        print(json.dumps(out, indent=2))
        return
    print(f"source {out['source']}; load average {out['load_average']}")
    print(f"flood: {result}")
    print(f"server CPU seconds by thread during the flood: {out['flood_cpu_by_thread']}")
    for name, phase in out["phases"].items():
        h, c = phase["healthz"], phase["chat_reply"]
        cpu = phase["server_cpu_seconds"]
        print(
            f"{name:>5}: {phase['seconds']:5.1f} s, server CPU {cpu:5.2f} s;"
            f" /healthz p50 {h['p50_ms']} ms p95 {h['p95_ms']} ms max {h['max_ms']} ms"
            f" (n={h['n']}); chat reply p50 {c['p50_ms']} ms p95 {c['p95_ms']} ms"
            f" max {c['max_ms']} ms (n={c['n']})"
        )
    if problems:
        print("server log errors:", *problems[:10], sep="\n  ")
    print(
        "median /healthz overall:", round(statistics.median(v for _, v in probe.health) * 1000, 1)
    )


if __name__ == "__main__":
    main()
