"""First stage of a sandboxed run, in the child, before the program's interpreter starts.

Run as `python -I -S child_launch.py CONFIG` (CONFIG a JSON object, see sandbox.py). It
sets the resource limits, drops to an unprivileged user when asked, unshares a user and a
network namespace, turns on no_new_privs, restricts the file system, TCP and signals with
Landlock where the kernel has it, tells the parent which of these held (one JSON line on
the result channel), then execs the second stage. Each layer that the kernel refuses is
skipped quietly: the record says so. Standard library only; nothing of the project.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import sys
from typing import Any

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
PR_SET_NO_NEW_PRIVS = 38

# Landlock (linux/landlock.h). The syscall numbers are the same on every architecture.
SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF = 444, 445, 446
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH = 1
FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1, 2, 4, 8
FS_V1_ALL = (1 << 13) - 1  # execute .. make_sym
FS_REFER, FS_TRUNCATE, FS_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
FS_MAKE_CHAR, FS_MAKE_BLOCK = 1 << 6, 1 << 11
NET_BIND_TCP, NET_CONNECT_TCP = 1, 2
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1, 2
FILE_ONLY = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV

_libc = ctypes.CDLL(None, use_errno=True)


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _syscall(number: int, *args: Any) -> int:
    # Every argument as a long: syscall(2) is variadic and reads each one as a long.
    wide = [ctypes.c_long(a) if isinstance(a, int) else a for a in args]
    result = int(_libc.syscall(ctypes.c_long(number), *wide))
    if result < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return result


def set_limits(limits: dict[str, int]) -> None:
    names = {
        "core": resource.RLIMIT_CORE,
        "file": resource.RLIMIT_FSIZE,
        "nofile": resource.RLIMIT_NOFILE,
        "cpu": resource.RLIMIT_CPU,
        "memory": resource.RLIMIT_AS,
        "nproc": resource.RLIMIT_NPROC,
    }
    for key, value in limits.items():
        # CPU: SIGXCPU at the soft limit, SIGKILL at the hard one a second later.
        hard = value + 1 if key == "cpu" else value
        resource.setrlimit(names[key], (value, hard))


def drop_user(uid: int, gid: int) -> None:
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def unshare_network(*, user: bool) -> str:
    """A fresh network namespace (no interface up: nothing to connect to, not even the
    host's loopback). With `user`, a user namespace around it too, which takes away every
    capability in the host's namespaces (root that stays root needs that; a dropped or
    ordinary user has none to lose). When the kernel refuses, the plain network namespace
    (root only), then nothing."""
    if user:
        uid, gid = os.getuid(), os.getgid()
        if _libc.unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0:
            try:
                _write("/proc/self/setgroups", "deny")
                _write("/proc/self/uid_map", f"{uid} {uid} 1")
                _write("/proc/self/gid_map", f"{gid} {gid} 1")
            except OSError as e:
                return f"user+net, but the user map failed: {e.strerror}"
            return "user+net"
    if _libc.unshare(CLONE_NEWNET) == 0:
        return "net"
    return "refused: " + os.strerror(ctypes.get_errno())


def landlock(read: list[str], read_only: list[str], write: list[str], devices: list[str]) -> str:
    """Restrict the file system to `read` (read and execute), `read_only`, `write`
    (everything) and `devices` (read and write files), TCP to nothing, and signals and
    abstract unix sockets to this process's own domain, as far as the kernel's Landlock
    ABI goes."""
    try:
        abi = _syscall(SYS_CREATE_RULESET, None, ctypes.c_size_t(0), CREATE_RULESET_VERSION)
    except OSError as e:
        return f"refused: {e.strerror}"
    fs = FS_V1_ALL | (FS_REFER if abi >= 2 else 0) | (FS_TRUNCATE if abi >= 3 else 0)
    fs |= FS_IOCTL_DEV if abi >= 5 else 0
    attr = _RulesetAttr(fs, NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0, 0)
    if abi >= 6:
        attr.scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL
    size = 8 if abi < 4 else 16 if abi < 6 else 24
    ruleset = _syscall(SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), 0)
    reading = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR
    rules = [(p, reading) for p in read] + [(p, reading & ~FS_EXECUTE) for p in read_only]
    rules += [(p, fs & ~(FS_MAKE_CHAR | FS_MAKE_BLOCK)) for p in write]
    rules += [(p, FS_READ_FILE | FS_WRITE_FILE | (fs & FS_TRUNCATE)) for p in devices]
    for path, access in rules:
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            continue  # a root that does not exist here
        if not os.path.isdir(path):
            access &= FILE_ONLY
        rule = _PathBeneath(access & fs, fd)
        try:
            _syscall(SYS_ADD_RULE, ruleset, RULE_PATH_BENEATH, ctypes.byref(rule), 0)
        finally:
            os.close(fd)
    _syscall(SYS_RESTRICT_SELF, ruleset, 0)
    os.close(ruleset)
    return f"abi {abi}" + (", tcp" if abi >= 4 else "") + (", signals" if abi >= 6 else "")


def main(config: dict[str, Any]) -> None:
    layers: dict[str, str] = {}
    set_limits(config["limits"])
    layers["rlimits"] = "set"
    drop = config.get("drop")
    # Root unshares the network first, while it may; a dropped user needs no user
    # namespace (it has no capabilities), the others do.
    if config.get("netns", True):
        layers["namespaces"] = unshare_network(user=not drop)
    else:
        layers["namespaces"] = "off"
    if drop:
        drop_user(*drop)
        layers["user"] = f"uid {os.getuid()}"
    else:
        layers["user"] = f"uid {os.getuid()} (kept)"
    if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0:
        layers["no_new_privs"] = "set"
    if config.get("landlock", True):
        try:
            layers["landlock"] = landlock(
                config["read"], config["read_only"], config["write"], config["devices"]
            )
        except OSError as e:
            layers["landlock"] = f"refused: {e.strerror}"
    else:
        layers["landlock"] = "off"
    channel = int(config["channel"])
    os.write(channel, (json.dumps({"layers": layers}) + "\n").encode())
    os.execve(config["python"], config["argv"], dict(os.environ))


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
