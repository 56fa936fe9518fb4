"""The sandbox against real escapes. Each test runs hostile code and checks three things:
this process (the server) is still here, the result says what happened, and nothing that
should stay outside (a secret, a connection, a process) got out. Where a layer can be
tested alone, the layers above it are turned off for that test."""

from __future__ import annotations

import os
import socket
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.coding.limits import Limits
from server.coding.sandbox import SandboxResult, run_python, unprivileged_user

SECRET = "s3cr3t-interview-notes"
QUICK = Limits(wall_seconds=8, cpu_seconds=4)


def run(code: str, limits: Limits = QUICK, **layers: bool) -> SandboxResult:
    return run_python({"solution.py": textwrap.dedent(code)}, "solution.py", limits, **layers)


def landlock_holds() -> bool:
    return run("print('ok')").layers.get("landlock", "").startswith("abi")


def netns_holds() -> bool:
    return run("print('ok')").layers.get("namespaces", "") in ("user+net", "net")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A stand-in for the server's data directory, with a secret in it."""
    (tmp_path / "secret.txt").write_text(SECRET)
    return tmp_path


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(0.3)
    yield server
    server.close()


def assert_no_connection(server: socket.socket) -> None:
    with pytest.raises(TimeoutError):
        conn, _ = server.accept()
        conn.close()


def test_a_plain_program_runs_and_reports_its_layers() -> None:
    result = run("import numpy as np\nprint(int(np.arange(4).sum()))")
    assert (result.stdout, result.exit_code, result.timed_out) == ("6\n", 0, False)
    assert result.layers["rlimits"] == "set"
    assert result.layers["no_new_privs"] == "set"
    assert "mockloop-run-" not in result.stderr + result.stdout


def test_an_uncaught_error_shows_the_programs_traceback_only() -> None:
    result = run("def f():\n    raise ValueError('boom')\nf()\n")
    assert result.exit_code == 1
    assert 'File "solution.py", line 2, in f' in result.stderr
    assert "ValueError: boom" in result.stderr
    assert "_runner" not in result.stderr and "runpy" not in result.stderr


def test_fork_bomb_with_os_fork_is_refused() -> None:
    result = run("import os\nwhile True:\n    os.fork()\n")
    assert result.exit_code == 1 and not result.timed_out
    assert "sandbox: os.fork is not allowed" in result.stderr


def test_fork_bomb_with_multiprocessing_is_refused() -> None:
    result = run(
        """
        import multiprocessing as mp
        def spin():
            while True:
                pass
        if __name__ == "__main__":
            while True:
                mp.Process(target=spin).start()
        """
    )
    assert result.exit_code == 1 and not result.timed_out
    # multiprocessing forks through _posixsubprocess: its import is refused first.
    assert "PermissionError: sandbox:" in result.stderr and "not allowed" in result.stderr


def test_fork_bomb_without_the_audit_hook_hits_the_process_limit(data_dir: Path) -> None:
    if os.geteuid() == 0 and unprivileged_user() is None:
        # RLIMIT_NPROC does not bind root and the uid drop cannot hold for this
        # interpreter: the limit is shown for a server that is itself nobody, under the
        # system interpreter.
        words = _system_probe(data_dir, "nobody").split()
        assert words[3] == "forks" and int(words[4]) <= 16
        return
    result = run(
        "import os, time\nn = 0\ntry:\n    while True:\n        if os.fork() == 0:\n"
        "            time.sleep(30)\n        n += 1\nexcept OSError as e:\n"
        "    print('stopped after', n, type(e).__name__)\n",
        audit=False,
    )
    assert "stopped after" in result.stdout and "BlockingIOError" in result.stdout


def test_an_endless_computation_hits_the_cpu_limit() -> None:
    result = run("while True:\n    pass\n", Limits(wall_seconds=10, cpu_seconds=1))
    assert result.exit_code < 0 and not result.timed_out
    assert "CPU time limit" in result.stderr
    assert result.seconds < 5


def test_sleeping_forever_hits_the_wall_limit() -> None:
    result = run(
        "import time\nprint('start', flush=True)\ntime.sleep(60)\n", Limits(wall_seconds=1.5)
    )
    assert result.timed_out and result.exit_code == -9
    assert result.stdout == "start\n"
    assert "took longer than 1.5 s" in result.stderr
    assert result.seconds < 4


def test_a_hundred_megabytes_of_output_are_cut() -> None:
    result = run(
        "import sys\nline = 'x' * 999 + '\\n'\n"
        "for _ in range(100_000):\n    sys.stdout.write(line)\n"
    )
    assert result.truncated
    assert len(result.stdout) < QUICK.output_bytes + 200
    assert "[output cut:" in result.stdout
    assert "bytes of output" in result.stderr  # stopped, not read to the end
    assert result.seconds < 5


def test_a_four_gigabyte_allocation_fails_inside_the_program() -> None:
    result = run(
        """
        import numpy as np
        try:
            big = np.ones(4 * 1024**3 // 8)
        except MemoryError as e:
            print("numpy refused:", type(e).__name__)
        blob = bytearray(4 * 1024**3)
        """
    )
    assert "numpy refused: MemoryError" in result.stdout
    assert result.exit_code == 1 and "MemoryError" in result.stderr


@pytest.mark.parametrize("audit", [True, False], ids=["all-layers", "without-audit-hook"])
def test_reading_the_data_directory_fails(data_dir: Path, audit: bool) -> None:
    if not audit and not landlock_holds() and unprivileged_user() is None:
        pytest.fail(
            "neither Landlock nor the uid drop holds on this machine: this kernel "
            "cannot show the layer under test (CI's can)"
        )
    result = run(f"print(open({str(data_dir / 'secret.txt')!r}).read())", audit=audit)
    assert result.exit_code == 1
    assert "PermissionError" in result.stderr
    assert SECRET not in result.stdout + result.stderr


def test_listing_the_data_directory_and_passwd_fail(data_dir: Path) -> None:
    result = run(
        f"""
        import os
        for attempt in (lambda: os.listdir({str(data_dir)!r}), lambda: open('/etc/passwd').read()):
            try:
                print(attempt())
            except PermissionError as e:
                print('refused:', e)
        """
    )
    assert result.stdout.count("refused: sandbox:") == 2
    assert "secret.txt" not in result.stdout.replace(str(data_dir), "")
    assert "root:" not in result.stdout


def test_a_symlink_out_of_scratch_does_not_help(data_dir: Path) -> None:
    result = run(
        f"import os\nos.symlink({str(data_dir / 'secret.txt')!r}, 'here.txt')\n"
        "print(open('here.txt').read())\n"
    )
    assert "sandbox: reading here.txt is not allowed" in result.stderr
    assert SECRET not in result.stdout


@pytest.mark.parametrize("audit", [True, False], ids=["all-layers", "without-audit-hook"])
def test_writing_outside_scratch_fails(data_dir: Path, audit: bool) -> None:
    if not audit and not landlock_holds() and unprivileged_user() is None:
        pytest.fail(
            "neither Landlock nor the uid drop holds on this machine: this kernel "
            "cannot show the layer under test (CI's can)"
        )
    target = data_dir / "planted.txt"
    result = run(f"open({str(target)!r}, 'w').write('x')", audit=audit)
    assert result.exit_code == 1 and "PermissionError" in result.stderr
    assert not target.exists()


def test_writing_in_scratch_works_and_is_removed_after() -> None:
    result = run("import os\nopen('notes.txt', 'w').write('hi')\nprint(os.getcwd())")
    assert result.exit_code == 0
    assert not Path(result.stdout.strip()).exists()


@pytest.mark.parametrize(
    "layers",
    [
        {},
        {"audit": False},
        {"audit": False, "landlock": False},
        {"audit": False, "netns": False},
    ],
    ids=["all-layers", "kernel-layers", "namespace-only", "landlock-only"],
)
def test_a_socket_reaches_no_listener(listener: socket.socket, layers: dict[str, bool]) -> None:
    if layers.get("landlock") is False and not netns_holds():
        pytest.fail("the network namespace is refused on this machine (CI's allows it)")
    if layers.get("netns") is False and not run("").layers.get("landlock", "").endswith("signals"):
        pytest.fail("Landlock without TCP rules on this kernel (CI's has them)")
    port = listener.getsockname()[1]
    result = run(
        f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2)\n", **layers
    )
    assert result.exit_code == 1
    assert "Error" in result.stderr
    assert_no_connection(listener)
    if not layers:
        assert "PermissionError: sandbox: socket." in result.stderr


def test_subprocess_is_refused() -> None:
    result = run("import subprocess\nsubprocess.run(['sh', '-c', 'echo pwned'])\n")
    # subprocess imports _posixsubprocess, whose fork_exec raises no audit event: refused.
    assert result.exit_code == 1
    assert "sandbox: importing _posixsubprocess is not allowed (no subprocesses)" in result.stderr
    assert "pwned" not in result.stdout


def test_without_the_audit_hook_no_shell_can_be_executed() -> None:
    if not landlock_holds():
        pytest.fail("Landlock is refused on this machine (CI's allows it)")
    result = run("import os\nos.execv('/bin/sh', ['sh', '-c', 'echo pwned'])\n", audit=False)
    assert result.exit_code == 1 and "PermissionError" in result.stderr
    assert "pwned" not in result.stdout


def test_a_direct_fork_exec_is_refused() -> None:
    result = run("import _posixsubprocess\n")
    assert "sandbox: importing _posixsubprocess is not allowed" in result.stderr


def test_os_system_and_exec_are_refused() -> None:
    result = run(
        """
        import os
        for attempt in (lambda: os.system('echo pwned'), lambda: os.execv('/bin/sh', ['sh'])):
            try:
                attempt()
            except PermissionError as e:
                print('refused:', e)
        """
    )
    assert result.stdout.count("refused: sandbox:") == 2 and "pwned" not in result.stdout


def test_ctypes_calling_libc_system_is_refused() -> None:
    result = run(
        """
        import ctypes
        for attempt in (
            lambda: ctypes.CDLL("libc.so.6").system(b"echo pwned"),
            lambda: ctypes.CDLL(None).system(b"echo pwned"),
            lambda: ctypes.pythonapi.PyRun_SimpleString(b"print('pwned')"),
        ):
            try:
                attempt()
            except PermissionError as e:
                print('refused:', e)
        """
    )
    assert result.stdout.count("refused: sandbox: ctypes.") == 3, result.stderr
    assert "pwned" not in result.stdout.replace("refused", "")


def test_sys_modules_tricks_do_not_remove_the_hook(data_dir: Path) -> None:
    secret = str(data_dir / "secret.txt")
    result = run(
        f"""
        import builtins, sys
        sys.modules['posix'] = None
        sys.modules.pop('os', None)
        sys.modules.pop('posixpath', None)
        builtins.isinstance = lambda *a: False
        builtins.any = lambda *a: True
        import io
        sys.addaudithook(lambda event, args: print('HOOKED', event))  # silently not added
        for attempt in (
            lambda: io.open({secret!r}).read(),
            lambda: __import__('gc').get_objects(),
        ):
            try:
                print(attempt())
            except PermissionError as e:
                print('refused:', e)
        """
    )
    assert result.stdout.count("refused: sandbox:") == 2, result.stderr
    assert SECRET not in result.stdout and "HOOKED" not in result.stdout


def test_the_hooks_frame_offers_nothing_to_change(data_dir: Path) -> None:
    secret = str(data_dir / "secret.txt")
    result = run(
        f"""
        try:
            open({secret!r})
        except PermissionError as e:
            tb = e.__traceback__
            while tb.tb_next is not None:
                tb = tb.tb_next
            hook_locals = tb.tb_frame.f_locals
            for name, value in list(hook_locals.items()):
                if isinstance(value, (list, dict, set)):
                    value.clear() if not isinstance(value, list) else value.append("/")
                hook_locals[name] = ("/",)
        print(open({secret!r}).read())
        """
    )
    assert result.exit_code == 1 and "sandbox: reading" in result.stderr
    assert SECRET not in result.stdout


def test_code_at_interpreter_exit_never_runs(data_dir: Path) -> None:
    secret = str(data_dir / "secret.txt")
    result = run(
        f"""
        import atexit
        class Late:
            def __del__(self):
                print(open({secret!r}).read())
        keep = Late()
        atexit.register(lambda: print(open({secret!r}).read()))
        print('done')
        """
    )
    assert result.stdout == "done\n" and result.exit_code == 0
    assert SECRET not in result.stdout + result.stderr


def test_signalling_the_server_is_refused() -> None:
    for audit in (True, False):
        result = run("import os\nos.kill(os.getppid(), 0)\nprint('reached')", audit=audit)
        if audit:
            assert "sandbox: signalling other processes is not allowed" in result.stderr
        if not audit and not result.layers.get("landlock", "").endswith("signals"):
            continue  # no signal scoping in this kernel: the uid is the only fence
        assert "reached" not in result.stdout and "PermissionError" in result.stderr


def test_the_environment_is_cleared() -> None:
    os.environ["MOCKLOOP_SANDBOX_TEST_SECRET"] = SECRET
    try:
        result = run("import os, sys\nprint(sorted(os.environ))\nprint(hash('abc'))")
    finally:
        del os.environ["MOCKLOOP_SANDBOX_TEST_SECRET"]
    assert SECRET not in result.stdout and "MOCKLOOP" not in result.stdout
    assert run("print(hash('abc'))").stdout == result.stdout.splitlines()[1] + "\n"


def test_closing_its_output_does_not_hide_a_hang() -> None:
    result = run(
        "import os, time\nos.close(1)\nos.close(2)\ntime.sleep(60)\n", Limits(wall_seconds=1)
    )
    assert result.timed_out and result.seconds < 4


SYSTEM_PYTHON = Path("/usr/bin/python3")


PROBE = """
import sys
from server.coding.sandbox import run_python, unprivileged_user
secret, landlock = sys.argv[1], sys.argv[2] == "landlock"
code = (
    "import os, time\\nprint(os.getuid())\\n"
    f"try:\\n    print(open({secret!r}).read())\\n"
    "except PermissionError:\\n    print('refused')\\n"
    "n = 0\\ntry:\\n    while True:\\n        if os.fork() == 0:\\n"
    "            time.sleep(5)\\n            os._exit(0)\\n        n += 1\\n"
    "except OSError:\\n    print('forks', n)\\n"
)
result = run_python({"solution.py": code}, "solution.py", audit=False, landlock=landlock)
print(unprivileged_user() is not None, result.stdout)
"""


@pytest.mark.parametrize("server", ["root", "nobody"])
def test_the_user_layers_under_the_system_interpreter(data_dir: Path, server: str) -> None:
    """This machine's venv lives under /root, which nobody may enter, so the uid drop
    cannot hold for it. The system interpreter (readable by all) shows the two other
    cases: a root server drops the child to nobody (the uid alone refuses a root-only
    file), and a server that is itself nobody keeps its uid, where RLIMIT_NPROC binds
    and Landlock alone refuses a file anyone may read. Both need the suite run as root,
    as CI runs it."""
    assert os.geteuid() == 0, "run as root: a server that is not root has no user to drop to"
    words = _system_probe(data_dir, server).split()
    assert words[:3] == [str(server == "root"), "65534", "refused"], words
    assert words[3] == "forks" and int(words[4]) <= 16


def _system_probe(data_dir: Path, server: str) -> str:
    """PROBE's report, run by the system interpreter as a root or a nobody server."""
    import subprocess

    assert SYSTEM_PYTHON.exists(), f"{SYSTEM_PYTHON} is missing"
    if server == "root":
        (data_dir / "secret.txt").chmod(0o600)
        secret, command = str(data_dir / "secret.txt"), [str(SYSTEM_PYTHON)]
        fence = "no-landlock"
    else:
        secret, fence = str(Path(__file__).resolve()), "landlock"
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        command += [str(SYSTEM_PYTHON)]
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [*command, "-c", PROBE, secret, fence],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin", "HOME": "/tmp"},
        cwd="/",
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_file_size_and_open_file_limits() -> None:
    result = run(
        """
        try:
            with open("big.bin", "wb") as f:
                f.write(b"x" * (20 * 1024 * 1024))
        except OSError as e:
            print("write:", e.strerror)
        kept = []
        try:
            for i in range(200):
                kept.append(open(f"f{i}.txt", "w"))
        except OSError as e:
            print("open:", e.strerror)
        """
    )
    assert "write: File too large" in result.stdout
    assert "open: Too many open files" in result.stdout


def test_runs_at_the_same_time_keep_to_themselves() -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda n: run(f"print({n} * 2)"), range(6)))
    assert [r.stdout for r in results] == [f"{n * 2}\n" for n in range(6)]
