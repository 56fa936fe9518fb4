"""Streaming Silero VAD, with the v6 ONNX model that ships inside faster-whisper.

How the model is driven (as faster-whisper's own batch code does it): each call takes a
matrix of rows of 64 context samples followed by 512 new samples (32 ms at 16 kHz), and
the recurrent state `h`, `c` (each 1x1x128). The rows are consumed as one sequence, so
streaming one row per call while carrying `h`, `c` and the last 64 samples of the
previous window gives the same probabilities as a batch over the whole recording.

One `SileroVad` (one ONNX session) serves every stream: `InferenceSession.run` is
thread-safe, and each `VadStream` owns its state.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from server.speech.audio import SAMPLE_RATE, Samples

WINDOW = 512
"""Samples per VAD window: 32 ms at 16 kHz, the only size the model takes at that rate."""

CONTEXT = 64
"""Samples of the previous window the model sees before each new one."""

WINDOW_SECONDS = WINDOW / SAMPLE_RATE

_STATE_SHAPE = (1, 1, 128)


def default_vad_model_path() -> Path:
    """The Silero model inside the installed faster-whisper package."""
    from faster_whisper.utils import get_assets_path

    return Path(get_assets_path()) / "silero_vad_v6.onnx"


class VadStream(Protocol):
    """One audio stream's voice activity detector."""

    def process(self, window: npt.ArrayLike) -> float:
        """Speech probability of the next 512-sample window."""
        ...

    def reset(self) -> None: ...


class VadModel(Protocol):
    """What the Listener needs from a VAD: a fresh stream per session."""

    def new_stream(self) -> VadStream: ...


class SileroVad:
    """The shared ONNX session. Create one per process; `new_stream()` per audio stream."""

    def __init__(self, path: str | Path | None = None) -> None:
        import onnxruntime

        self.path = Path(path) if path is not None else default_vad_model_path()
        if not self.path.is_file():
            raise FileNotFoundError(f"Silero VAD model not found: {self.path}")
        options = onnxruntime.SessionOptions()
        # 32 ms windows are far too small to gain from threads, and the cores belong to STT.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session: Any = onnxruntime.InferenceSession(
            str(self.path), sess_options=options, providers=["CPUExecutionProvider"]
        )

    def new_stream(self) -> SileroStream:
        return SileroStream(self)

    def run(
        self, rows: npt.NDArray[np.float32], h: npt.NDArray[np.float32], c: npt.NDArray[np.float32]
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """One model call: rows of CONTEXT + WINDOW samples -> (probabilities, h, c)."""
        probs, h_out, c_out = self._session.run(None, {"input": rows, "h": h, "c": c})
        return (
            np.asarray(probs, dtype=np.float32).reshape(-1),
            np.asarray(h_out, dtype=np.float32),
            np.asarray(c_out, dtype=np.float32),
        )

    def probabilities(self, audio: npt.ArrayLike) -> npt.NDArray[np.float32]:
        """Speech probability per 512-sample window of a whole recording (zero-padded)."""
        stream = self.new_stream()
        arr = np.asarray(audio, dtype=np.float32).reshape(-1)
        pad = (-arr.size) % WINDOW
        if pad:
            arr = np.concatenate([arr, np.zeros(pad, dtype=np.float32)])
        return np.array(
            [stream.process(arr[i : i + WINDOW]) for i in range(0, arr.size, WINDOW)],
            dtype=np.float32,
        )


class SileroStream:
    """Recurrent state and context of one stream. Not thread-safe: one per session."""

    def __init__(self, model: SileroVad) -> None:
        self._model = model
        self._row = np.zeros((1, CONTEXT + WINDOW), dtype=np.float32)
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros(_STATE_SHAPE, dtype=np.float32)
        self._c = np.zeros(_STATE_SHAPE, dtype=np.float32)
        self._row[:] = 0.0

    def process(self, window: npt.ArrayLike) -> float:
        samples: Samples = np.asarray(window, dtype=np.float32).reshape(-1)
        if samples.size != WINDOW:
            raise ValueError(f"VAD windows are {WINDOW} samples, got {samples.size}")
        # The row's head already holds the previous window's tail (zeros at the start).
        self._row[0, CONTEXT:] = samples
        probs, self._h, self._c = self._model.run(self._row, self._h, self._c)
        self._row[0, :CONTEXT] = samples[-CONTEXT:]
        return float(probs[0])


class EnergyVad:
    """A fake VAD for fast tests: a window is speech when its RMS reaches `level`.

    Tests can then script speech as tone bursts and silence as zeros, without a model.
    """

    def __init__(self, level: float = 0.05) -> None:
        self.level = level

    def new_stream(self) -> EnergyStream:
        return EnergyStream(self.level)


class EnergyStream:
    def __init__(self, level: float) -> None:
        self.level = level

    def reset(self) -> None:
        pass

    def process(self, window: npt.ArrayLike) -> float:
        samples = np.asarray(window, dtype=np.float32).reshape(-1)
        if samples.size != WINDOW:
            raise ValueError(f"VAD windows are {WINDOW} samples, got {samples.size}")
        level = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
        return 0.95 if level >= self.level else 0.02
