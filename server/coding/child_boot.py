"""Second stage of a sandboxed run: the interpreter that runs the program.

Run as `python -s -P -B child_boot.py CONFIG` in a cleared environment (the launcher
execs it). It preloads numpy (which loads ctypes), installs an audit hook that refuses
what the program has no business doing, runs the target script as `__main__` and leaves
with `os._exit`, so the interpreter's finalisation (when audit hooks are cleared) never
runs code of the program. Standard library only; nothing of the project.

The hook is a tripwire with clear messages, not a security boundary: the kernel layers
under it (rlimits, namespaces, Landlock, the user) are what hold against a determined
program. It keeps no mutable state and reads no globals, so a program that reaches its
frame (through a traceback) finds nothing it can change.
"""

# Long because the audit hook is one function on purpose: a helper it called would be
# reachable from a traceback's frames, and a helper's closure can be rewritten.
from __future__ import annotations

import contextlib
import json
import os
import posix
import runpy
import sys
import traceback
from collections.abc import Callable
from typing import Any

# Events refused outright, by prefix or exact name.
REFUSED_PREFIXES = ("socket.", "ctypes.", "syslog.", "sqlite3.enable_load_extension")
REFUSED_EVENTS = frozenset(
    {
        "os.system",
        "os.exec",
        "os.posix_spawn",
        "os.spawn",
        "os.fork",
        "os.forkpty",
        "subprocess.Popen",
        "pty.spawn",
        "webbrowser.open",
        "resource.setrlimit",
        "resource.prlimit",
        "sys.addaudithook",
        "code.__new__",
        "gc.get_objects",
        "gc.get_referrers",
        "gc.get_referents",
        "sys._current_frames",
    }
)
# `_posixsubprocess.fork_exec` starts a process without raising any audit event.
REFUSED_IMPORTS = frozenset({"_posixsubprocess"})
# Events whose first argument(s) are paths the program changes: scratch only.
WRITE_EVENTS = frozenset(
    {
        "os.remove",
        "os.rmdir",
        "os.mkdir",
        "os.chmod",
        "os.chown",
        "os.truncate",
        "os.utime",
        "os.chflags",
        "os.lchflags",
        "os.setxattr",
        "os.removexattr",
        "shutil.chown",
    }
)
TWO_PATH_EVENTS = frozenset({"os.rename", "os.link"})
READ_EVENTS = frozenset({"os.listdir", "os.scandir", "os.chdir", "os.listxattr", "os.getxattr"})
PROCESS_SIGNALS = frozenset({"os.kill", "os.killpg", "signal.pthread_kill"})
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def make_hook(
    read_roots: tuple[str, ...], write_roots: tuple[str, ...], devices: frozenset[str]
) -> Callable[[str, tuple[Any, ...]], None]:
    """The audit hook. It is one function with everything inlined: what it closes over is
    immutable (tuples, strings, builtins), so a program that reaches its frame through
    the traceback of a refusal finds nothing to change, and replacing a builtin, a module
    attribute or an entry of `sys.modules` later changes nothing it does."""
    getcwd, lstat, readlink, getpid = posix.getcwd, posix.lstat, posix.readlink, posix.getpid
    is_a, str_, bytes_, int_, len_, reversed_ = isinstance, str, bytes, int, len, reversed
    refused_prefixes, refused_events, refused_imports = (
        REFUSED_PREFIXES,
        REFUSED_EVENTS,
        REFUSED_IMPORTS,
    )
    write_events, two_path_events, read_events = WRITE_EVENTS, TWO_PATH_EVENTS, READ_EVENTS
    process_signals, write_flags = PROCESS_SIGNALS, WRITE_FLAGS
    deny, os_error = PermissionError, OSError
    link_mode, type_mask = 0o120000, 0o170000

    def hook(event: str, args: tuple[Any, ...]) -> None:
        checks: tuple[tuple[Any, bool], ...] = ()
        if event == "open":
            mode, flags = args[1], args[2]
            write = (
                is_a(mode, str_) and ("w" in mode or "a" in mode or "x" in mode or "+" in mode)
            ) or (is_a(flags, int_) and flags & write_flags != 0)
            checks = ((args[0], write),)
        elif event in write_events:
            checks = ((args[0], True),)
        elif event in two_path_events:
            checks = ((args[0], True), (args[1], True))
        elif event == "os.symlink":
            checks = ((args[1], True),)  # where the link goes; following it is checked
        elif event in read_events:
            checks = ((args[0] if len_(args) and args[0] is not None else ".", False),)
        elif event == "sqlite3.connect":
            checks = ((args[0], True),)
        elif event == "import":
            if args[0] in refused_imports:
                raise deny(f"sandbox: importing {args[0]} is not allowed (no subprocesses)")
            return
        elif event in process_signals:
            if args[0] not in (0, getpid()):
                raise deny("sandbox: signalling other processes is not allowed")
            return
        elif event in refused_events or event.startswith(refused_prefixes):
            raise deny(f"sandbox: {event} is not allowed here")
        else:
            return
        for path, write in checks:
            if is_a(path, int_):
                continue  # an open descriptor: checked when it was opened
            # The real absolute path, symlinks followed; None when it cannot be known.
            real: str | None = None
            text = path.decode("utf-8", "surrogateescape") if is_a(path, bytes_) else path
            if is_a(text, str_) and "\0" not in text:
                pending = text.split("/")
                if text.startswith("/") or ".." not in pending:
                    # (a relative ".." could be relative to a descriptor we cannot see)
                    if not text.startswith("/"):
                        pending = getcwd().split("/") + pending
                    pending = list(reversed_(pending))
                    done: list[str] = []
                    hops = 0
                    while pending and hops <= 40:
                        part = pending.pop()
                        if part == "" or part == ".":
                            continue
                        if part == "..":
                            if done:
                                done.pop()
                            continue
                        done.append(part)
                        try:
                            st_mode = lstat("/" + "/".join(done)).st_mode
                        except os_error:
                            continue  # does not exist (yet): the rest cannot be a link
                        if st_mode & type_mask == link_mode:
                            hops += 1
                            target = readlink("/" + "/".join(done))
                            done.pop()
                            if target.startswith("/"):
                                done = []
                            pending.extend(reversed_(target.split("/")))
                    if hops <= 40:
                        real = "/" + "/".join(done)
            if real is not None and real in devices:
                continue
            allowed = False
            if real is not None:
                for root in write_roots if write else read_roots:
                    if real == root or real.startswith(root + "/"):
                        allowed = True
            if not allowed and write:
                raise deny(f"sandbox: writing {text} is not allowed (only the scratch directory)")
            if not allowed:
                raise deny(
                    f"sandbox: reading {text} is not allowed "
                    "(only the scratch directory and the Python installation)"
                )

    return hook


def preload(names: list[str]) -> None:
    """Import `names` before the hook is in place, then forget `_posixsubprocess` if
    they pulled it in: its `fork_exec` raises no audit event, so the only way to keep
    it out is to refuse its import, which works only for a module not yet loaded."""
    for name in names:
        with contextlib.suppress(ImportError):
            __import__(name)
    if sys.modules.pop("_posixsubprocess", None) is not None:
        for module in list(sys.modules.values()):
            for attr in ("_posixsubprocess", "_fork_exec"):
                if module is not None and attr in vars(module):
                    setattr(module, attr, None)


def run_script(path: str) -> int:
    """Run `path` as `__main__`; print an uncaught exception's traceback from the
    program's first frame on (the runner's own frames are noise)."""
    try:
        runpy.run_path(path, run_name="__main__")
    except SystemExit as e:
        code = e.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        print(code, file=sys.stderr)
        return 1
    except BaseException as e:  # the program's own error: report it like python does
        print_error(e, path)
        return 1
    return 0


def print_error(error: BaseException, path: str) -> None:
    """The traceback from the program's first frame on, without the runner's frames
    (runpy, this file, the audit hook): they are noise to the candidate."""
    runner = os.path.dirname(os.path.abspath(__file__))
    frames = traceback.extract_tb(error.__traceback__)
    while frames and frames[0].filename != path:
        frames.pop(0)
    kept = traceback.StackSummary.from_list(
        [f for f in frames if not f.filename.startswith(runner + os.sep)]
    )
    text = "".join(kept.format()) if kept else ""
    head = "Traceback (most recent call last):\n" if text else ""
    tail = "".join(traceback.format_exception_only(type(error), error))
    sys.stderr.write(head + text + tail)


def main(config: dict[str, Any]) -> None:
    scratch = config["scratch"]
    channel = int(config["channel"])
    target = os.path.join(scratch, config["main"])
    if config["runner"]:
        sys.argv = [target, str(channel)]  # the runner takes the channel and clears argv
    else:
        os.close(channel)
        sys.argv = [target]
    sys.path.insert(0, scratch)
    preload(config["preload"])
    if config["audit"]:
        sys.addaudithook(
            make_hook(
                (*config["read"], scratch),
                (scratch,),
                frozenset(config["devices"]),
            )
        )
    code = 1
    try:
        code = run_script(target)
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # closed or broken: nothing more to say
                stream.flush()
        os._exit(code & 0xFF if code >= 0 else 1)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
