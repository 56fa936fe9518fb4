"""The spoken evaluation set for turn-taking and hearing, made at test or bench time.

`answers.txt` beside this file holds the answers as text, with thinking pauses written
as "[1.5]" (seconds) after unfinished phrases and fillers as "um" and "uh". `build()`
speaks them in several voices (piper at two length scales, espeak-ng voices when
espeak-ng is installed), puts the pauses in as silence, mixes every third with room
noise at 20 dB SNR, and adds ../shared/audio/jfk.flac. Nothing is stored: the same
inputs give the same audio (piper is deterministic, the noise seeded).

Used by `scripts/bench_turns.py` and the speech tests; import it with this folder on
`sys.path`.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from server.speech.audio import SAMPLE_RATE, decode_audio, resample

HERE = Path(__file__).resolve().parent
ANSWERS = HERE / "answers.txt"
JFK = HERE.parents[2] / ".." / "shared" / "audio" / "jfk.flac"
JFK_TEXT = (
    "And so my fellow Americans, ask not what your country can do for you, "
    "ask what you can do for your country."
)
FILLERS = ("um", "uh")
ESPEAK_VOICES = ("en-us", "en", "en-us+f3", "en-gb-x-rp")
LEAD_IN = 0.4
"""Silence before each answer, as a microphone picks up before one speaks."""

_PAUSE = re.compile(r"\[(\d+(?:\.\d+)?)\]")
Audio = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Answer:
    text: str
    """What is said, without the pause marks."""
    parts: tuple[str, ...]
    """The text between pauses."""
    pauses: tuple[float, ...]
    """Seconds of silence after each part but the last."""

    @property
    def fillers(self) -> int:
        return sum(word in FILLERS for word in words(self.text))


@dataclass(frozen=True, slots=True)
class Clip:
    id: str
    voice: str
    snr_db: float | None
    answer: Answer
    audio: Audio
    pauses: tuple[tuple[float, float], ...]
    """(start, end) of each thinking pause, seconds from the clip's start."""
    speech_end: float
    """Where the last word ends: the finished answer's end."""


def words(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9' ]+", " ", text.lower()).split()


def load_answers(path: Path = ANSWERS) -> list[Answer]:
    answers = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        pieces = _PAUSE.split(line)
        parts = tuple(p.strip() for p in pieces[0::2])
        pauses = tuple(float(p) for p in pieces[1::2])
        answers.append(Answer(" ".join(parts), parts, pauses))
    return answers


def espeak_voices() -> tuple[str, ...]:
    return ESPEAK_VOICES if shutil.which("espeak-ng") else ()


def _espeak(voice: str) -> Callable[[str], Audio]:
    def say(text: str) -> Audio:
        wav = subprocess.run(
            ["espeak-ng", "-v", voice, "-s", "155", "--stdout", text],
            check=True,
            capture_output=True,
        ).stdout
        return decode_audio(wav)

    return say


def _trim(audio: Audio, level: float = 0.01) -> Audio:
    """Without the voice's own leading and trailing silence: pauses are exactly as written."""
    loud = np.flatnonzero(np.abs(audio) > level)
    return audio[loud[0] : loud[-1] + 1] if loud.size else audio


def add_noise(audio: Audio, snr_db: float, seed: int) -> Audio:
    """Room noise (white noise, low-passed) at `snr_db` below the speech's level."""
    rng = np.random.default_rng(seed)
    speech = audio[np.abs(audio) > 0.01]
    level = float(np.sqrt(np.mean(speech**2))) if speech.size else 0.1
    noise = np.convolve(rng.standard_normal(audio.size), np.ones(4) / 2, mode="same")
    noise *= level / 10 ** (snr_db / 20) / float(np.sqrt(np.mean(noise**2)))
    return (audio + noise).astype(np.float32)


def speak(answer: Answer, say: Callable[[str], Audio], tail: float) -> tuple[Audio, Clip]:
    """The answer in one voice with its pauses; `tail` seconds of silence after it."""
    pieces: list[Audio] = [np.zeros(round(LEAD_IN * SAMPLE_RATE), np.float32)]
    at = LEAD_IN
    pauses = []
    for i, part in enumerate(answer.parts):
        spoken = _trim(say(part))
        pieces.append(spoken)
        at += spoken.size / SAMPLE_RATE
        if i < len(answer.pauses):
            pauses.append((at, at + answer.pauses[i]))
            pieces.append(np.zeros(round(answer.pauses[i] * SAMPLE_RATE), np.float32))
            at += answer.pauses[i]
    pieces.append(np.zeros(round(tail * SAMPLE_RATE), np.float32))
    audio = np.concatenate(pieces).astype(np.float32)
    clip = Clip("", "", None, answer, audio, tuple(pauses), at)
    return audio, clip


def build(
    synthesizers: Sequence[tuple[str, Callable[[str], Audio]]] | None = None,
    *,
    piper: Callable[[float], Callable[[str], Audio]] | None = None,
    tail: float = 4.0,
    snr_db: float = 20.0,
    noisy_every: int = 3,
    limit: int | None = None,
) -> list[Clip]:
    """The set: each answer in the next voice in turn; every `noisy_every`-th noisy.

    `piper(length_scale)` gives a piper voice; `synthesizers` adds or replaces voices.
    """
    voices: list[tuple[str, Callable[[str], Audio]]] = list(synthesizers or [])
    if piper is not None:
        voices = [("piper", piper(1.0)), ("piper-slow", piper(1.3)), *voices]
    voices += [(f"espeak-{v}", _espeak(v)) for v in espeak_voices()]
    if not voices:
        raise ValueError("no voice to speak the set with")
    answers = load_answers()[:limit]
    clips = []
    for i, answer in enumerate(answers):
        # Shifted by one each round, so that paused and unpaused lines get every voice.
        name, say = voices[(i + i // len(voices)) % len(voices)]
        audio, clip = speak(answer, say, tail)
        noisy = noisy_every > 0 and i % noisy_every == noisy_every - 1
        if noisy:
            audio = add_noise(audio, snr_db, seed=i)
        clips.append(
            Clip(
                f"{i + 1:02d}",
                name,
                snr_db if noisy else None,
                answer,
                audio,
                clip.pauses,
                clip.speech_end,
            )
        )
    if JFK.is_file() and limit is None:
        jfk = decode_audio(JFK)
        answer = Answer(JFK_TEXT, (JFK_TEXT,), ())
        audio = np.concatenate([jfk, np.zeros(round(tail * SAMPLE_RATE), np.float32)])
        clips.append(Clip("jfk", "jfk", None, answer, audio, (), jfk.size / SAMPLE_RATE))
    return clips


def piper_voice(length_scale: float) -> Callable[[str], Audio]:
    """The project's piper voice at `length_scale` (above 1 speaks slower)."""
    from server.speech.tts import PiperSettings, PiperSynthesizer

    syn = PiperSynthesizer(settings=PiperSettings(length_scale=length_scale))

    def say(text: str) -> Audio:
        return resample(syn.synthesize(text), syn.sample_rate, SAMPLE_RATE)

    return say
