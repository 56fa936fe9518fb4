"""Endpointing: when does the candidate start, pause, and finish a spoken answer?

A pure state machine (no IO, no clock, no threads), in the manner of h11: the caller
feeds one observation per 32 ms VAD frame, `frame(prob, rms, at)`, where `at` is the
time at the *end* of the frame in seconds of audio received, and `done(at)` when the
candidate presses "I'm done". Each call returns the events it caused, in order.

Theory of operation
-------------------
States: IDLE (no speech yet in this turn), SPEECH, PAUSE (silence inside a turn).

A frame is *voiced* when its probability reaches `threshold` and its RMS reaches
`rms_floor` (the floor ignores very quiet noise the model sometimes scores high). Once
in speech, frames down to `neg_threshold` still count as speech (hysteresis), so the
model's dips inside words do not split them.

- IDLE -> SPEECH after `start_frames` voiced frames in a row: `SpeechStarted`. The
  first segment's audio starts `preroll` before the onset (never before the end of the
  previous turn), so soft word onsets the VAD scores late are not clipped.
- SPEECH -> PAUSE on the first unvoiced frame; the silence starts there.
- PAUSE, `speculate_after` into the silence: `SilenceStarted(span)`. The caller starts
  transcribing the span speculatively, so the text is ready when the turn ends.
- PAUSE -> SPEECH after `resume_frames` voiced frames. If the segment (up to the
  speculative span's end) is at least `cut_after` long, the speculative span is promoted
  to a final piece of the answer: `SegmentCut(span)` (the caller keeps that
  transcription); otherwise `SpeechResumed` (the caller drops it). The next segment
  starts at the later of the span's end and `preroll` before the new onset.
- Any segment that reaches `max_segment` without a usable pause is cut where it is
  (`SegmentCut`), so no piece reaches Whisper's 30 s window.
- PAUSE, `end_silence` into the silence: `EndOfTurn(reason="silence")`. Thinking pauses
  shorter than `end_silence` do not end the turn.
- `done(at)` ends the turn at once from any state: `EndOfTurn(reason="done")`; from
  IDLE it is an empty turn.
- `finish(at)` ends the turn in a PAUSE before `end_silence`, when the caller has judged
  the answer finished (`server.speech.turn`): `EndOfTurn(reason="silence")`, exactly as
  if the silence had lasted.

`EndOfTurn.tail` is the last piece of audio to transcribe. It equals the pending
speculative span when nothing was said after it (the caller reuses that transcription),
and is None when the pieces already cut cover the whole answer.

After `EndOfTurn` the machine is IDLE again, ready for the next answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Literal

Span = tuple[float, float]
"""(start, end) in seconds of audio received."""


@dataclass(frozen=True, slots=True)
class EndpointConfig:
    frame: float = 0.032
    """Duration of one VAD frame (512 samples at 16 kHz)."""
    threshold: float = 0.5
    """Probability at which a frame counts as speech."""
    neg_threshold: float = 0.35
    """Once in speech, probability below which a frame counts as silence."""
    rms_floor: float = 0.003
    """Frames quieter than this (about -50 dBFS) are silence, whatever the model says."""
    start_frames: int = 3
    """Voiced frames in a row that start speech (96 ms): clicks and taps are shorter."""
    resume_frames: int = 2
    """Voiced frames in a row that resume speech after a pause."""
    preroll: float = 0.3
    """Audio kept before a detected onset."""
    speculate_after: float = 0.3
    """Silence after which the segment is transcribed speculatively."""
    end_silence: float = 2.5
    """Silence that ends the turn; a per-scenario setting."""
    cut_after: float = 8.0
    """A segment at least this long is cut (kept as a final piece) at its next pause."""
    max_segment: float = 25.0
    """Hard cut: no piece may approach Whisper's 30 s window."""

    def __post_init__(self) -> None:
        if not 0.0 < self.neg_threshold <= self.threshold <= 1.0:
            raise ValueError("need 0 < neg_threshold <= threshold <= 1")
        if self.start_frames < 1 or self.resume_frames < 1:
            raise ValueError("start_frames and resume_frames must be at least 1")
        if not 0.0 < self.speculate_after < self.end_silence:
            raise ValueError("need 0 < speculate_after < end_silence")
        if not 0.0 < self.cut_after <= self.max_segment:
            raise ValueError("need 0 < cut_after <= max_segment")
        if self.max_segment + self.speculate_after + self.preroll >= 30.0:
            raise ValueError("max_segment leaves no room in Whisper's 30 s window")


@dataclass(frozen=True, slots=True)
class SpeechStarted:
    at: float
    """When the onset was detected."""
    onset: float
    """Where speech began (start of the first voiced frame)."""
    start: float
    """Where the segment's audio begins: the onset minus the pre-roll."""


@dataclass(frozen=True, slots=True)
class SilenceStarted:
    """`speculate_after` into a silence: transcribe `span` now, speculatively."""

    at: float
    speech_end: float
    span: Span


@dataclass(frozen=True, slots=True)
class SpeechResumed:
    """Speech came back after `SilenceStarted`: drop the speculative transcription."""

    at: float


@dataclass(frozen=True, slots=True)
class SegmentCut:
    """`span` is a final piece of the current answer; the answer goes on."""

    at: float
    span: Span


@dataclass(frozen=True, slots=True)
class EndOfTurn:
    at: float
    reason: Literal["silence", "done"]
    start: float
    """Onset of the turn's first speech (`at` for an empty turn)."""
    end: float
    """End of the turn's last speech (`at` when "done" cut speech short)."""
    tail: Span | None
    """The last piece to transcribe, or None when the cut pieces cover the answer."""
    empty: bool
    """No speech at all: "done" pressed without a word."""


EndpointEvent = SpeechStarted | SilenceStarted | SpeechResumed | SegmentCut | EndOfTurn


class State(Enum):
    IDLE = "idle"
    SPEECH = "speech"
    PAUSE = "pause"


class Endpointer:
    """Feed `frame()` every 32 ms and `done()` on the button; act on the returned events."""

    def __init__(self, config: EndpointConfig | None = None) -> None:
        self.config = config or EndpointConfig()
        self.state = State.IDLE
        self._floor = 0.0  # end of the previous turn: pre-roll never reaches back past it
        self._run = 0  # voiced frames in a row
        self._run_start = 0.0  # start of the first frame of that run
        self._turn_start = 0.0
        self._segment_start = 0.0
        self._speech_end = 0.0
        self._speculative: Span | None = None
        self._last_at = 0.0
        self._held = 0.0  # seconds this pause may run past `end_silence` (see `hold`)

    @property
    def segment_start(self) -> float:
        """Where the audio of the piece being spoken now begins (for buffer trimming)."""
        return self._segment_start if self.state is not State.IDLE else self._last_at

    def frame(self, prob: float, rms: float, at: float) -> list[EndpointEvent]:
        """One VAD frame ending at `at`."""
        cfg = self.config
        if at < self._last_at:
            raise ValueError(f"time went backwards: {at} < {self._last_at}")
        self._last_at = at
        frame_start = at - cfg.frame
        loud = rms >= cfg.rms_floor
        voiced = loud and prob >= cfg.threshold
        if voiced:
            if self._run == 0:
                self._run_start = frame_start
            self._run += 1
        else:
            self._run = 0

        if self.state is State.IDLE:
            return self._idle(at)
        if self.state is State.SPEECH:
            still_speech = loud and prob >= cfg.neg_threshold
            return self._speech(at, frame_start, still_speech)
        return self._pause(at)

    def _idle(self, at: float) -> list[EndpointEvent]:
        cfg = self.config
        if self._run < cfg.start_frames:
            return []
        onset = self._run_start
        self.state = State.SPEECH
        self._turn_start = onset
        self._segment_start = min(onset, max(self._floor, onset - cfg.preroll))
        self._speech_end = at
        return [SpeechStarted(at=at, onset=onset, start=self._segment_start)]

    def _speech(self, at: float, frame_start: float, still_speech: bool) -> list[EndpointEvent]:
        cfg = self.config
        events: list[EndpointEvent] = []
        if still_speech:
            self._speech_end = at
        else:
            self.state = State.PAUSE
            self._speech_end = frame_start
        if at - self._segment_start >= cfg.max_segment:
            events.append(SegmentCut(at=at, span=(self._segment_start, at)))
            self._segment_start = at
        return events

    def _pause(self, at: float) -> list[EndpointEvent]:
        cfg = self.config
        if self._run >= cfg.resume_frames:
            return self._resume(at)
        silence = at - self._speech_end
        if silence >= cfg.end_silence + self._held:
            return [self._end(at, "silence", end=self._speech_end)]
        # A segment already cut by the hard limit after the last speech has nothing to guess.
        if (
            self._speculative is None
            and silence >= cfg.speculate_after
            and self._segment_start < self._speech_end
        ):
            self._speculative = (self._segment_start, at)
            return [SilenceStarted(at=at, speech_end=self._speech_end, span=self._speculative)]
        if self._speculative is None and at - self._segment_start >= cfg.max_segment:
            span = (self._segment_start, at)
            self._segment_start = at
            return [SegmentCut(at=at, span=span)]
        return []

    def _resume(self, at: float) -> list[EndpointEvent]:
        cfg = self.config
        onset = self._run_start
        self.state = State.SPEECH
        self._held = 0.0
        self._speech_end = at
        spec, self._speculative = self._speculative, None
        if spec is None:
            return []
        if spec[1] - spec[0] >= cfg.cut_after:
            self._segment_start = max(spec[1], onset - cfg.preroll)
            return [SegmentCut(at=at, span=spec)]
        return [SpeechResumed(at=at)]

    def done(self, at: float) -> list[EndpointEvent]:
        """The candidate ends the turn now."""
        if at < self._last_at:
            raise ValueError(f"time went backwards: {at} < {self._last_at}")
        self._last_at = at
        if self.state is State.IDLE:
            self._floor = at
            self._run = 0
            return [EndOfTurn(at=at, reason="done", start=at, end=at, tail=None, empty=True)]
        end = at if self.state is State.SPEECH else self._speech_end
        return [self._end(at, "done", end=end)]

    def hold(self, seconds: float) -> None:
        """Let this pause run `seconds` past `end_silence` before it ends the turn: the
        answer stopped mid-phrase ("Our plan was to ..."). Speech resuming, or the turn
        ending, clears it; nothing happens outside a pause."""
        if self.state is State.PAUSE:
            self._held = max(0.0, seconds)

    def finish(self, at: float) -> list[EndpointEvent]:
        """The answer sounds finished: end the turn in this pause now (nothing otherwise)."""
        if at < self._last_at:
            raise ValueError(f"time went backwards: {at} < {self._last_at}")
        if self.state is not State.PAUSE:
            return []
        self._last_at = at
        return [self._end(at, "silence", end=self._speech_end)]

    def _end(self, at: float, reason: Literal["silence", "done"], end: float) -> EndOfTurn:
        tail: Span | None
        if self._speculative is not None:
            tail = self._speculative
        elif self._segment_start < end:
            tail = (self._segment_start, at)
        else:
            tail = None
        event = EndOfTurn(
            at=at, reason=reason, start=self._turn_start, end=end, tail=tail, empty=False
        )
        self.state = State.IDLE
        self._speculative = None
        self._held = 0.0
        self._floor = at
        self._run = 0
        return event
