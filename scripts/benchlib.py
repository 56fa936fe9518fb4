"""What the benchmark scripts share: a real `mockloop serve` in a subprocess, and
nearest-rank percentiles."""

from __future__ import annotations

import contextlib
import math
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], p: float) -> float:
    """Nearest rank; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


class ServerProcess:
    """`python -m server.main` on a free loopback port with its own data dir, no
    MOCKLOOP_ setting inherited but `env_extra`, and its output in `server.log` beside
    the data dir."""

    def __init__(self, data_dir: Path, env_extra: dict[str, str]) -> None:
        self.port = free_port()
        self.data_dir = data_dir
        self.log_path = data_dir.parent / "server.log"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("MOCKLOOP_")}
        self.env.update(env_extra)
        self.proc: subprocess.Popen[bytes] | None = None
        self.started = 0.0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready: Callable[[dict[str, Any]], bool], timeout: float, what: str) -> None:
        """Launch, then poll `/healthz` until `ready(health)` holds; `what` names the wait
        in the error when it does not."""
        args = ["--host", "127.0.0.1", "--port", str(self.port), "--data-dir", str(self.data_dir)]
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.started = time.monotonic()
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "server.main", *args],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit("server exited:\n" + self.log())
            with contextlib.suppress(httpx.HTTPError, ValueError):
                if ready(httpx.get(self.base + "/healthz", timeout=1).json()):
                    return
            time.sleep(0.1)
        raise SystemExit(f"{what}:\n" + self.log())

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_problems(self) -> list[str]:
        return [
            line
            for line in self.log().splitlines()
            if re.search(r"\b(ERROR|CRITICAL)\b|Traceback|Exception", line)
        ]

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server so far (Linux)."""
        if self.proc is None:
            return 0.0
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def memory_mb(self) -> dict[str, float]:
        """Resident memory now (VmRSS) and at its peak (VmHWM), in MB (Linux)."""
        out: dict[str, float] = {}
        if self.proc is None:
            return out
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0]) / 1024
        return out

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
