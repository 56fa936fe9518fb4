"""Files: written so that a reader never sees half of one, even after a crash; model
files checked against their pinned digest, in the one place they are kept."""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from pathlib import Path


def model_dir() -> Path:
    """Where model files taken out of pinned wheels live: the environment's own data."""
    return Path(sys.prefix) / "share" / "mockloop"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_atomically(target: Path, data: bytes) -> None:
    """Write to a temporary file beside `target`, flush it to disk, then rename over it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
