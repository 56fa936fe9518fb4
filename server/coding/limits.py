"""What one run of candidate code may use. The defaults fit the coding tasks (numpy on
small arrays, a few thousand lines of output at most) with room to spare."""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    # Wall-clock seconds from start to kill (the whole process group).
    wall_seconds: float = 20.0
    # CPU seconds (RLIMIT_CPU: SIGXCPU at the limit, SIGKILL one second later).
    cpu_seconds: int = 15
    # Address space (RLIMIT_AS). numpy with one BLAS thread imports in well under this.
    memory_bytes: int = 1024 * MIB
    # Kept per stream (stdout, stderr); the rest is counted and cut with a note.
    output_bytes: int = 64 * 1024
    # A stream that passes this many bytes stops the run: nobody reads that much output.
    output_stop_bytes: int = 4 * MIB
    # Largest file the program may write (RLIMIT_FSIZE: SIGXFSZ, then EFBIG).
    file_bytes: int = 16 * MIB
    # Open file descriptors (RLIMIT_NOFILE).
    open_files: int = 64
    # Tasks (processes and threads) the program may add (RLIMIT_NPROC). The kernel counts
    # every task of the user, the server's own threads included, so the limit is set to
    # what the user already runs plus this many.
    processes: int = 16
    # The bytes the result channel keeps (the grading figures are a few hundred bytes).
    channel_bytes: int = 1 * MIB
