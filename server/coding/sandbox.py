"""Run one Python program in a fresh, fenced process and collect what it said.

`run_python` is synchronous and blocks for up to the wall limit: callers on an event
loop run it in a thread. Per run: a scratch directory (removed after), a cleared
environment, a new session (the whole process group is killed on timeout), and two
stages in the child: child_launch.py (resource limits, unprivileged user, namespaces,
no_new_privs, Landlock) execs child_boot.py (numpy preloaded, audit hook, the program).
docs/SANDBOX.md says what each layer stops and where it holds.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import pwd
import resource
import selectors
import shutil
import signal
import stat
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .limits import Limits

HERE = Path(__file__).resolve().parent
RUNNER_DIR = "_runner"
# Read-only (no execute: no shell, no other program) for the interpreter's shared
# libraries; Landlock only, the audit hook allows Python-level reads of the Python
# installation alone.
SYSTEM_READ = ("/usr", "/lib", "/lib64", "/lib32", "/etc/ld.so.cache", "/sys/devices/system/cpu")
DEVICES = ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random")
THREADS_ONE = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")
SIGNAL_NOTES = {
    signal.SIGXCPU: "the CPU time limit ({cpu} s) was reached",
    signal.SIGXFSZ: "a file grew past the file size limit ({file} bytes)",
}


@dataclass(frozen=True)
class SandboxResult:
    stdout: str
    stderr: str
    exit_code: int  # negative: killed by that signal
    timed_out: bool
    seconds: float
    truncated: bool  # some output was cut
    # What the runner sent on the result channel (never the program's stdout).
    channel: bytes = b""
    # Which layer held, as the child's launcher reported it ({} if it never got there).
    layers: Mapping[str, str] = field(default_factory=dict)
    peak_rss_bytes: int = 0


@dataclass
class _Stream:
    keep: int
    data: bytearray = field(default_factory=bytearray)
    total: int = 0

    def add(self, chunk: bytes) -> None:
        room = self.keep - len(self.data)
        if room > 0:
            self.data += chunk[:room]
        self.total += len(chunk)

    @property
    def cut(self) -> int:
        return self.total - len(self.data)


def _reachable_by_others(path: str) -> bool:
    """Whether a user with no rights of its own can read `path` (every directory above
    it searchable by others, the path itself readable by others)."""
    p = Path(path)
    try:
        if not os.stat(p).st_mode & stat.S_IROTH:
            return False
        return all(os.stat(parent).st_mode & stat.S_IXOTH for parent in p.parents)
    except OSError:
        return False


@functools.cache
def python_roots() -> tuple[str, ...]:
    """The Python installation the child reads: prefixes, stdlib, site-packages."""
    found = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    found |= {p for p in sysconfig.get_paths().values() if p}
    found.add(str(Path(sys.executable).parent))
    roots = {os.path.realpath(p) for p in found} | {os.path.abspath(p) for p in found}
    return tuple(sorted(r for r in roots if os.path.isdir(r)))


@functools.cache
def elf_interpreter(path: str) -> str | None:
    """The dynamic loader an ELF executable names (PT_INTERP): the kernel opens it for
    execution, so Landlock must allow executing it. 64-bit little-endian ELF only."""
    try:
        with open(path, "rb") as f:
            head = f.read(64)
            if head[:4] != b"\x7fELF" or head[4] != 2 or head[5] != 1:
                return None
            phoff = int.from_bytes(head[32:40], "little")
            size, count = (
                int.from_bytes(head[54:56], "little"),
                int.from_bytes(head[56:58], "little"),
            )
            for i in range(count):
                f.seek(phoff + i * size)
                entry = f.read(size)
                if int.from_bytes(entry[0:4], "little") == 3:  # PT_INTERP
                    offset = int.from_bytes(entry[8:16], "little")
                    length = int.from_bytes(entry[32:40], "little")
                    f.seek(offset)
                    return f.read(length).rstrip(b"\0").decode()
    except (OSError, ValueError, IndexError):
        return None
    return None


@functools.cache
def unprivileged_user() -> tuple[int, int] | None:
    """(uid, gid) of `nobody` when the server runs as root and that user can run the
    interpreter; None when there is nothing to drop or it cannot be dropped."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam("nobody")
    except KeyError:
        return None
    needed = [os.path.realpath(sys.executable), *python_roots()]
    if not all(_reachable_by_others(p) for p in needed):
        return None  # e.g. the interpreter lives under /root: run as root, fenced in
    return entry.pw_uid, entry.pw_gid


def _user_tasks(uid: int) -> int:
    """Tasks (threads included) the user runs now: RLIMIT_NPROC counts them all."""
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry.name}/task"))
            except OSError:
                continue
    return count


def _environment(scratch: str) -> dict[str, str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": scratch,
        "TMPDIR": scratch,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TZ": "UTC",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8",
    }
    env.update(dict.fromkeys(THREADS_ONE, "1"))
    return env


def _write_files(scratch: Path, files: Mapping[str, str]) -> None:
    runner = scratch / RUNNER_DIR
    runner.mkdir()
    for name in ("child_launch.py", "child_boot.py"):
        shutil.copyfile(HERE / name, runner / name)
    for name, text in files.items():
        rel = Path(name)
        if rel.is_absolute() or ".." in rel.parts or not rel.parts:
            raise ValueError(f"file name outside the scratch directory: {name!r}")
        target = scratch / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def _chown_tree(root: Path, uid: int, gid: int) -> None:
    os.chown(root, uid, gid)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            os.chown(os.path.join(dirpath, name), uid, gid)


def _remove_tree(root: Path) -> None:
    def retry(func: Any, path: str, _exc: Any) -> None:
        try:
            os.chmod(os.path.dirname(path), 0o700)
            os.chmod(path, 0o700)
            func(path)
        except OSError:
            pass

    shutil.rmtree(root, onerror=retry)


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _command(
    scratch: str,
    main: str,
    limits: Limits,
    channel_fd: int,
    *,
    runner: bool,
    fences: dict[str, bool],
) -> list[str]:
    drop = unprivileged_user()
    rlimits = {
        "core": 0,
        "file": limits.file_bytes,
        "nofile": limits.open_files,
        "cpu": limits.cpu_seconds,
        "memory": limits.memory_bytes,
    }
    if drop is not None:
        rlimits["nproc"] = _user_tasks(drop[0]) + limits.processes
    elif os.geteuid() != 0:
        rlimits["nproc"] = _user_tasks(os.geteuid()) + limits.processes
    reading = list(python_roots())
    loader = elf_interpreter(os.path.realpath(sys.executable))
    if loader:
        reading.append(loader)
    boot = {
        "scratch": scratch,
        "main": main,
        "channel": channel_fd,
        "runner": runner,
        "audit": fences["audit"],
        "preload": ["numpy"],
        "read": reading,
        "devices": list(DEVICES),
    }
    launch = {
        "limits": rlimits,
        "drop": list(drop) if drop else None,
        "netns": fences["netns"],
        "landlock": fences["landlock"],
        # Execute only the interpreter (and its loader): where the Python installation is
        # the system's own (`/usr`, as in the container), executing under it would let a
        # shell run. The rest is read-only.
        "read": [os.path.realpath(sys.executable), *([loader] if loader else [])],
        "read_only": [*reading, *SYSTEM_READ],
        "write": [scratch],
        "devices": list(DEVICES),
        "channel": channel_fd,
        "python": sys.executable,
        "argv": [
            sys.executable,
            "-s",
            "-P",
            "-B",
            f"{scratch}/{RUNNER_DIR}/child_boot.py",
            json.dumps(boot),
        ],
    }
    return [
        sys.executable,
        "-I",
        "-S",
        f"{scratch}/{RUNNER_DIR}/child_launch.py",
        json.dumps(launch),
    ]


def run_python(
    files: Mapping[str, str],
    main: str,
    limits: Limits = Limits(),  # noqa: B008 (frozen, so one shared default is safe)
    *,
    runner: bool = False,
    audit: bool = True,
    netns: bool = True,
    landlock: bool = True,
) -> SandboxResult:
    """Write `files` into a fresh scratch directory and run `main` (one of them) as
    `__main__`. `runner=True` hands the script the result channel (its descriptor as
    argv[1]): for the project's own grading script, never for candidate code. `audit`,
    `netns` and `landlock` turn single layers off, for the tests of the layers beneath."""
    scratch = Path(tempfile.mkdtemp(prefix="mockloop-run-")).resolve()
    read_fd, write_fd = os.pipe()
    proc: subprocess.Popen[bytes] | None = None
    try:
        _write_files(scratch, files)
        drop = unprivileged_user()
        if drop is not None:
            _chown_tree(scratch, *drop)
        fences = {"audit": audit, "netns": netns, "landlock": landlock}
        command = _command(str(scratch), main, limits, write_fd, runner=runner, fences=fences)
        started = time.monotonic()
        proc = subprocess.Popen(
            command,
            cwd=scratch,
            env=_environment(str(scratch)),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(write_fd,),
            start_new_session=True,
        )
        os.close(write_fd)
        write_fd = -1
        result = _collect(proc, read_fd, limits, started)
        # Paths as the candidate knows them: relative to their own directory.
        prefix = f"{scratch}/"
        return replace(
            result,
            stdout=result.stdout.replace(prefix, ""),
            stderr=result.stderr.replace(prefix, ""),
        )
    finally:
        if proc is not None:
            _kill_group(proc.pid)
            for pipe in (proc.stdout, proc.stderr):
                if pipe is not None:
                    pipe.close()
        for fd in (read_fd, write_fd):
            if fd >= 0:
                os.close(fd)
        _remove_tree(scratch)


def _collect(
    proc: subprocess.Popen[bytes], channel_fd: int, limits: Limits, started: float
) -> SandboxResult:
    assert proc.stdout is not None and proc.stderr is not None
    out, err = _Stream(limits.output_bytes), _Stream(limits.output_bytes)
    chan = _Stream(limits.channel_bytes)
    streams = {proc.stdout.fileno(): out, proc.stderr.fileno(): err, channel_fd: chan}
    selector = selectors.DefaultSelector()
    for fd in streams:
        os.set_blocking(fd, False)
        selector.register(fd, selectors.EVENT_READ)
    deadline = started + limits.wall_seconds
    timed_out = flooded = False
    status: int | None = None
    rusage: resource.struct_rusage | None = None
    drain_until: float | None = None
    while True:
        now = time.monotonic()
        if status is None and now >= deadline:
            timed_out = True
            _kill_group(proc.pid)
        if status is None:
            pid, code, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                status, rusage = code, usage
                ended = time.monotonic()
                _kill_group(proc.pid)  # anything it left behind
                drain_until = time.monotonic() + 0.5
        if not selector.get_map() and status is not None:
            break
        if drain_until is not None and time.monotonic() > drain_until:
            break
        wait = 0.05 if status is None else max(0.0, (drain_until or 0) - time.monotonic())
        for key, _ in selector.select(
            timeout=min(wait, max(0.0, deadline - time.monotonic()) + 0.01)
        ):
            fd = int(key.fd)
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                continue
            if not chunk:
                selector.unregister(fd)
                continue
            streams[fd].add(chunk)
            if (
                streams[fd] is not chan
                and streams[fd].total > limits.output_stop_bytes
                and not flooded
            ):
                flooded = True
                _kill_group(proc.pid)
    selector.close()
    assert status is not None
    proc.returncode = exit_code = os.waitstatus_to_exitcode(status)
    layers, channel = _split_channel(bytes(chan.data))
    notes = _notes(exit_code, timed_out, flooded, limits)
    stdout = out.data.decode("utf-8", "replace")
    stderr = err.data.decode("utf-8", "replace")
    if out.cut:
        stdout += f"\n[output cut: {out.cut} more bytes]"
    if err.cut:
        stderr += f"\n[output cut: {err.cut} more bytes]"
    if notes:
        stderr = (stderr + "\n" if stderr and not stderr.endswith("\n") else stderr) + notes
    return SandboxResult(
        stdout=stdout,
        stderr=stderr,
        exit_code=exit_code,
        timed_out=timed_out,
        seconds=round(ended - started, 3),
        truncated=bool(out.cut or err.cut),
        channel=channel,
        layers=layers,
        peak_rss_bytes=(rusage.ru_maxrss * 1024) if rusage else 0,
    )


def _split_channel(data: bytes) -> tuple[dict[str, str], bytes]:
    """The launcher's first line says which layers held; the rest is the runner's."""
    first, _, rest = data.partition(b"\n")
    try:
        record: dict[str, Any] = json.loads(first)
        return {str(k): str(v) for k, v in record["layers"].items()}, rest
    except (ValueError, KeyError, AttributeError):
        return {}, data


def _notes(exit_code: int, timed_out: bool, flooded: bool, limits: Limits) -> str:
    if timed_out:
        return f"[stopped: the run took longer than {limits.wall_seconds:g} s]"
    if flooded:
        return f"[stopped: more than {limits.output_stop_bytes} bytes of output]"
    if exit_code < 0:
        sig = signal.Signals(-exit_code)
        if sig in SIGNAL_NOTES:
            text = SIGNAL_NOTES[sig].format(cpu=limits.cpu_seconds, file=limits.file_bytes)
            return f"[stopped: {text}]"
        if sig == signal.SIGKILL:
            return "[stopped: killed (SIGKILL), most likely the CPU time limit]"
        return f"[stopped by signal {sig.name}]"
    return ""
