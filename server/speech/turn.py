"""Does the answer sound finished? Two signals for ending a turn early.

The silence alone cannot tell a finished answer from a thinking pause: both are quiet.
So a short silence (about 0.4 s) ends the turn only when two judges agree:

- the words: `text_sounds_finished` on the speculative transcript. Whisper writes "..."
  or a comma after an unfinished phrase, and an answer rarely ends on "to", "because",
  "and" or a filler. No model: a rule over the text.
- the sound: `SmartTurn`, Pipecat's Smart Turn v3.2, an audio classifier (not
  generative) of whether the last 8 s of speech end a turn, from its intonation and
  pace. 8.7 MB of ONNX, BSD-2-Clause, shipped in the `pipecat-ai` wheel: `make
  turn-model` takes that one file out of the pinned wheel (downloaded without its
  dependencies) and checks its sha256. Run on onnxruntime with one thread, off the
  event loop (about 0.1 to 0.2 s a call on this machine's cores).

Either judge alone cut in on thinking pauses of the spoken evaluation set (the words 4
of 21, the sound 8 of 21 at 0.5); both together once, on a 2.6 s pause (docs/VOICE.md).
When they do not agree, the turn waits for the scenario's longer silence.
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from server.speech.audio import SAMPLE_RATE

SMART_TURN_FILE = "smart-turn-v3.2-cpu.onnx"
SMART_TURN_SHA256 = "2bb026316b14a660486a75b1733cd3fbab8c2fd0314dc9af7be49f8cca967e4f"
SMART_TURN_SECONDS = 8
"""The classifier hears the last 8 s, left-padded with silence when shorter."""

# Words an answer does not end on: articles, prepositions, conjunctions, auxiliaries,
# subject pronouns, fillers. "I would." is a phrase cut short, not an answer.
_OPEN_TEXT = """a an the to of for with and but or so because if when while that which who
    whose is was are were be been being am would could should will can may might must do
    does did have has had i i'm we you they he she it's my our your their his her its um uh
    er like than as at in on by from into about just then also very really think mean guess
    whether where what how why"""
_OPEN_WORDS = frozenset(_OPEN_TEXT.split())
_NOT_LETTERS = re.compile(r"[^a-z']+")


def text_sounds_finished(text: str) -> bool:
    """Whether a transcript reads like a finished answer (see the module's text)."""
    text = text.strip()
    if not text or text.endswith(("...", "…", ",", "-", ":", ";")):
        return False
    if not text.endswith((".", "!", "?")):
        return False
    last = _NOT_LETTERS.sub("", text.split()[-1].lower())
    return bool(last) and last not in _OPEN_WORDS


def default_smart_turn_path() -> Path:
    """Where `make turn-model` puts the model: beside the environment's other data."""
    return Path(sys.prefix) / "share" / "mockloop" / SMART_TURN_FILE


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class SmartTurn:
    """Smart Turn v3.2 on onnxruntime: `probability(audio)` that the speech is finished.

    Thread-safe (onnxruntime's `run` may be called concurrently); call it off the event
    loop. The file must have the pinned sha256.
    """

    def __init__(self, path: str | Path | None = None, *, threads: int = 1) -> None:
        import onnxruntime
        from faster_whisper.feature_extractor import FeatureExtractor

        self.path = Path(path) if path is not None else default_smart_turn_path()
        if not self.path.is_file():
            raise FileNotFoundError(f"Smart Turn model not found: {self.path} (make turn-model)")
        if sha256_of(self.path) != SMART_TURN_SHA256:
            raise ValueError(f"Smart Turn model {self.path} is not the pinned file")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session: Any = onnxruntime.InferenceSession(
            str(self.path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        # The model takes Whisper's log-mel features of 8 s (80 x 800), which
        # faster-whisper's extractor computes to within 1e-6 of the reference.
        self._features = FeatureExtractor(feature_size=80, chunk_length=SMART_TURN_SECONDS)

    def probability(self, audio: npt.ArrayLike) -> float:
        """Mono float32 16 kHz speech up to now; the last 8 s are heard."""
        n = SMART_TURN_SECONDS * SAMPLE_RATE
        x = np.asarray(audio, dtype=np.float32).reshape(-1)[-n:]
        if x.size < n:
            x = np.pad(x, (n - x.size, 0))
        x = (x - x.mean()) / np.sqrt(x.var() + 1e-7)
        features = self._features(x, padding=0)[:, : SMART_TURN_SECONDS * 100]
        (logits,) = self._session.run(None, {"input_features": features[None].astype(np.float32)})
        return float(np.asarray(logits).reshape(-1)[0])
