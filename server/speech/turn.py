"""Does the answer sound finished? Two judges for ending a turn before the long silence.

The silence alone cannot tell a finished answer from a thinking pause: both are quiet.
So a pause ends the turn early only when the words say the answer is finished:

- the words: `sounds_finished` on the speculative transcript. Whisper writes "..." or a
  comma after an unfinished phrase; an answer does not end on "to", "because", "and" or
  a filler, nor on a clause that only sets the scene ("When I looked at the numbers."),
  and an ending Whisper was unsure of ("I think the right call is due.", said "is to")
  is no evidence of an ending. No model: a rule over the text and the word confidences.
- the sound: `SmartTurn`, Pipecat's Smart Turn v3.2, an audio classifier (not
  generative) of whether the last 8 s of speech end a turn, from its intonation and
  pace. 8.7 MB of ONNX, BSD-2-Clause, shipped in the `pipecat-ai` wheel: `make
  turn-model` takes that one file out of the pinned wheel (downloaded without its
  dependencies) and checks its sha256. Run on onnxruntime with one thread, off the
  event loop (0.06 to 0.2 s a call on this machine's cores).

The Listener ends a pause 0.4 s in when both judges say finished, and a little later
(`TEXT_SILENCE`) when the words alone do; otherwise the turn waits for the scenario's
long silence, and `MID_PHRASE_HOLD` longer when the words stop mid-phrase
(`stops_mid_phrase`: "Our plan was to"). Why this split, with the figures, is in
docs/VOICE.md ("Turn-taking").
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from server.files import model_dir, sha256_of
from server.speech.audio import SAMPLE_RATE
from server.speech.stt import Transcript

SMART_TURN_FILE = "smart-turn-v3.2-cpu.onnx"
SMART_TURN_SHA256 = "2bb026316b14a660486a75b1733cd3fbab8c2fd0314dc9af7be49f8cca967e4f"
SMART_TURN_SECONDS = 8
"""The classifier hears the last 8 s, left-padded with silence when shorter."""

TEXT_SILENCE = 0.7
"""Seconds into a pause after which finished wording ends the turn without the sound's
agreement. About when the guess is in anyway (0.3 s into the pause plus a decoding of
0.3 to 0.5 s); the pauses between sentences of the spoken set are under 0.6 s. A longer
pause after a phrase that reads finished is the risk this leaves (jfk.flac's 1.2 s after
"And so my fellow Americans"; docs/VOICE.md). At 1.0 s the spoken set had the same
cut-ins and a median reply 0.15 s later."""
MID_PHRASE_HOLD = 1.0
"""Seconds a pause may run past the round's end silence when the words stop mid-phrase
("Our plan was to ..."): the thinking pauses the end silence alone cut, 2.8 and 3.0 s
long in the spoken set with a 3 s end silence (docs/VOICE.md)."""
UNSURE_ENDING = 0.5
"""A last word heard with less probability than this does not show the answer ended."""

# Words an answer does not end on: articles, prepositions, conjunctions, auxiliaries,
# subject pronouns, fillers. "I would." is a phrase cut short, not an answer. Particles
# that end phrasal verbs ("set it up.", "hold it back.") and "not" ("I'd rather not.")
# are left out: answers do end on them.
_OPEN_TEXT = """a an the to of for with and but or so because if when while that which who
    whose is was are were be been being am would could should will can may might must do
    does did have has had i i'm we you they he she it's my our your their his her its um uh
    er like than as at in on by from into about just then also very really think mean guess
    whether where what how why toward towards without against between among amongst
    through across via per onto upon within despite except unlike including regarding
    versus vs until till"""
_OPEN_WORDS = frozenset(_OPEN_TEXT.split())
_NOT_LETTERS = re.compile(r"[^a-z']+")
# A sentence that opens with one of these and has no comma sets a scene and stops before
# its main clause: "When I looked at the numbers." ("because" is left out: "Because it
# leaks data." is a whole answer to "why?").
_SCENE_SETTER = re.compile(
    r"^(?:(?:so|and|but|um|uh|well)\b[,\s]*)*"
    r"(?:when|whenever|if|unless|although|though|while|once|whether)\b[^,;:]*$",
    re.IGNORECASE,
)
# A subordinate clause with a subject and no verb yet: "... because the customer."
_SUBJECT_ONLY = re.compile(
    r"\b(?:because|since|although|though|unless|whereas)\s+"
    r"(?:the|a|an|this|that|these|those|my|our|your|their|his|her|its|every|each|some)"
    r"(?:\s+[\w'-]+){1,2}$",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def text_sounds_finished(text: str, *, last_word_probability: float = 1.0) -> bool:
    """Whether a transcript reads like a finished answer (see the module's text).

    A closing full stop is not required: given the glossary as a prompt, Whisper often
    leaves it out after a finished answer, while an unfinished phrase still gets "...",
    a comma or an open last word (in the spoken set, 15 of 42 finished answers had no
    final stop and none of the 21 phrases cut by a thinking pause).
    """
    text = text.strip()
    if not text or text.endswith(("...", "…", ",", "-", ":", ";")):
        return False
    last = _last_word(text)
    if not last or last in _OPEN_WORDS or last_word_probability < UNSURE_ENDING:
        return False
    sentence = _SENTENCE_END.split(text)[-1].rstrip(".!?")
    return not (_SCENE_SETTER.match(sentence) or _SUBJECT_ONLY.search(sentence))


def stops_mid_phrase(text: str) -> bool:
    """The last word is one an answer does not end on ("Our plan was to", "and um"). Not
    a trailing "..." or comma alone: Whisper ends finished answers with them too ("... Wait
    for the audit before any public release...", said after a thinking pause)."""
    return bool(text.split()) and _last_word(text) in _OPEN_WORDS


def _last_word(text: str) -> str:
    """The last word, lower case, without its punctuation ("to..." -> "to")."""
    return _NOT_LETTERS.sub("", text.split()[-1].lower())


def sounds_finished(transcript: Transcript) -> bool:
    """`text_sounds_finished` on a transcript, with the confidence of its last word."""
    probability = transcript.words[-1].probability if transcript.words else 1.0
    return text_sounds_finished(transcript.text, last_word_probability=probability)


def default_smart_turn_path() -> Path:
    """Where `make turn-model` puts the model: beside the environment's other data."""
    return model_dir() / SMART_TURN_FILE


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
