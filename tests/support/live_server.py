"""A real `mockloop` server in a subprocess, for tests that need the whole thing.

Shared by the live-server, browser and hardening tests: a free port, its own data dir and
log, start (waits for /healthz), SIGKILL, restart on the same port and data, stop.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from websockets.sync.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 90.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    def __init__(
        self,
        data_dir: Path,
        log_path: Path | None = None,
        *,
        scenarios: Path | None = None,
        cli: bool = False,
        env: dict[str, str] | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.log_path = log_path or data_dir.parent / f"server-{self.port}.log"
        self.cli = cli
        # The test decides every setting: nothing leaks in from the caller's environment.
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("MOCKLOOP_")}
        if scenarios is not None:
            self.env["MOCKLOOP_SCENARIOS_DIR"] = str(scenarios)
        self.env.update(env or {})
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    base = url

    def start(self) -> None:
        args = ["--host", "127.0.0.1", "--port", str(self.port), "--data-dir", str(self.data_dir)]
        if self.cli:
            cmd = [str(Path(sys.executable).parent / "mockloop"), "serve", *args]
        else:
            cmd = [sys.executable, "-m", "server.main", *args]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                cmd, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.log()[-3000:]}")
            with (
                contextlib.suppress(OSError, urllib.error.URLError, ValueError),
                urllib.request.urlopen(self.url + "/healthz", timeout=2) as response,
            ):
                if json.load(response).get("status") == "ok":
                    return
            time.sleep(0.1)
        raise RuntimeError(f"server did not come up:\n{self.log()[-3000:]}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """Gone without a goodbye, as when the process crashes or the machine sleeps."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None

    kill9 = kill

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def ws(self, path: str) -> ClientConnection:
        return connect(f"ws://127.0.0.1:{self.port}{path}", open_timeout=10, origin=self.url)
