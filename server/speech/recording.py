"""The candidate's microphone, kept as Ogg/Opus on the session clock.

Each connection's `Recorder` writes its frames as they arrive (silence fills gaps in the
frames), into a track registered with the store as soon as it begins and given its
duration when the connection closes, so the replay page can play and seek it. Its Ogg
pages reach the file every second or so: a server killed mid-round loses about a second
of the candidate's audio, and the next start-up gives every recording left without a
duration its duration from the file (`adopt_recordings`).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from server.speech.audio import SAMPLE_RATE, CompressedWriter, decode_audio, pcm16_to_float32
from server.speech.clips import clip_duration
from server.storage import Store

log = logging.getLogger("mockloop.voice")

# Longest gap in the microphone frames filled with silence in the recording; after a
# longer one the recording goes on in a new track placed at its own offset, since
# encoding the silence would hold the audio worker (minutes of it for a long gap).
_MAX_PAD = 30.0

# (session id, track) of the recordings a process is making now.
Going = set[tuple[str, str]]


def lower_priority() -> None:
    """Lower the calling thread's CPU priority: for background work (adopting recordings,
    mixing replays) that must leave the cores to a candidate speaking meanwhile."""
    # On Linux a thread has its own nice value: this lowers the calling thread alone.
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


def recording_seconds(path: Path) -> float | None:
    """Seconds of audio in a recording, one whose writer never finished it included (the
    position of its last whole Ogg page); None when the file holds no readable audio."""
    seconds = clip_duration(path)
    if seconds is not None and seconds > 0:
        return seconds
    try:
        return decode_audio(path).size / SAMPLE_RATE
    except Exception:
        return None


class _Recording:
    """The microphone of one connection as Ogg/Opus on the session clock: sample `i` is
    `first + i / 16000` epoch seconds, gaps in the frames filled with silence. Each Ogg
    page reaches the file when it is full (about a second of audio). Writes after
    `close` are dropped."""

    def __init__(self, path: Path, first: float, track: str = "candidate") -> None:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # The owner's alone from its first byte (the encoder opens it with O_TRUNC).
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        self.path = path
        self.first = first
        self.track = track
        self.samples = 0
        self.offset = 0.0
        self._lock = threading.Lock()
        self.closed = False
        self._writer = CompressedWriter(path, flush=True)

    def gap_before(self, samples: np.ndarray[Any, np.dtype[np.float32]], arrived: float) -> float:
        """Seconds between the end of what is written and the start of `samples`."""
        began = arrived - samples.size / SAMPLE_RATE
        return began - (self.first + self.samples / SAMPLE_RATE)

    def write(self, samples: np.ndarray[Any, np.dtype[np.float32]], arrived: float) -> None:
        with self._lock:
            if self.closed:
                return
            lag = self.gap_before(samples, arrived)
            if lag > 0.25:
                pad = np.zeros(round(min(lag, _MAX_PAD) * SAMPLE_RATE), dtype=np.float32)
                self._writer.write(pad)
                self.samples += pad.size
            self._writer.write(samples)
            self.samples += samples.size

    def close(self) -> None:
        with self._lock:
            if self.closed:
                return
            self.closed = True
            self._writer.close()


class _SessionGone(Exception):
    """The session was deleted: nothing more of it may be written."""


class Recorder:
    """One connection's microphone: a track that begins (and is registered) with the
    first frame, and again after a gap too long to pad. Its methods run on the audio
    worker; `finished(session_id)` is told of every track kept."""

    def __init__(
        self,
        store: Store,
        session_id: str,
        *,
        going: Going,
        finished: Callable[[str], object],
    ) -> None:
        self.store = store
        self.session_id = session_id
        self.going = going
        self.finished = finished
        # Epoch second of the current track's first sample (None before the first frame).
        self.started: float | None = None
        self._recording: _Recording | None = None
        # Held while a frame is recorded, and by whoever ends the recording: a frame
        # still being encoded when the connection closes is kept.
        self._lock = threading.Lock()
        self._stopped = False

    def record(self, pcm: bytes, arrived: float) -> None:
        """One frame into the recording."""
        samples = pcm16_to_float32(pcm[: len(pcm) - len(pcm) % 2])
        if samples.size == 0:
            return
        with self._lock:
            if self._stopped:
                return
            try:
                recording = self._recording
                if recording is not None and recording.gap_before(samples, arrived) > _MAX_PAD:
                    self._recording = None
                    self._finish(recording)
                if self._recording is None:
                    self._recording = self._begin(arrived - samples.size / SAMPLE_RATE)
                self._recording.write(samples, arrived)
            except _SessionGone:
                self._stopped = True
            except Exception as exc:
                # Losing the recording must not lose the interview.
                log.error("recording the microphone failed (%s)", type(exc).__name__)
                self._recording = None

    def stop(self) -> None:
        """No more frames; the recording is finished and kept."""
        with self._lock:
            self._stopped = True
            recording, self._recording = self._recording, None
            if recording is not None:
                self._finish(recording)

    def _begin(self, first: float) -> _Recording:
        """A new track file, registered at once (without a duration) so that it is the
        session's even if this process dies before the track ends."""
        self.started = first
        store, session_id = self.store, self.session_id
        for i in itertools.count(1):
            track = "candidate" if i == 1 else f"candidate-{i}"
            path = store.audio_path(session_id, track, "audio/ogg")
            if not path.exists():
                break
        recording = _Recording(path, first, track)
        try:
            record = store.get_session(session_id)
            if record is None:
                raise _SessionGone
            started = record.started_at if record.started_at is not None else first
            recording.offset = round(max(0.0, first - started), 3)
            store.save_audio(
                session_id, track, path, media_type="audio/ogg", offset=recording.offset
            )
        except BaseException:
            recording.close()
            _remove(path)
            raise
        self.going.add((session_id, track))
        return recording

    def _finish(self, recording: _Recording) -> None:
        """Close the track and give it its duration (or remove it, when the session was
        deleted meanwhile)."""
        store, session_id, track = self.store, self.session_id, recording.track
        try:
            recording.close()
        except Exception as exc:
            log.error("closing the recording failed (%s)", type(exc).__name__)
        try:
            record = store.get_session(session_id)
            if record is None:  # deleted meanwhile: nothing may stay behind
                _remove(recording.path)
                return
            # The first frame may come before the session's start is stored.
            started = record.started_at if record.started_at is not None else recording.first
            store.save_audio(
                session_id,
                track,
                recording.path,
                media_type="audio/ogg",
                offset=round(max(0.0, recording.first - started), 3),
                duration=round(recording.samples / SAMPLE_RATE, 3),
            )
            with contextlib.suppress(RuntimeError):  # the mixer is already shut down
                self.finished(session_id)
        except Exception as exc:
            log.error("keeping the recording failed (%s)", type(exc).__name__)
        finally:
            self.going.discard((session_id, track))


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # a deleted session's folder, made again
        path.parent.rmdir()


def adopt_recordings(store: Store, going: Going, finished: Callable[[str], object]) -> int:
    """Give every recording left without a duration (its server stopped while it was
    being made: killed, or out of power) its duration from the file, so that it counts
    as a finished recording; `finished(session_id)` is told of each (to mix the replay of
    rounds that are over). Returns how many were adopted. Run once at start-up, before
    any connection records."""
    adopted = 0
    try:
        unfinished = store.unfinished_audio()
    except Exception as exc:
        log.error("looking for unfinished recordings failed (%s)", type(exc).__name__)
        return 0
    for session_id, track in unfinished:
        if (session_id, track.track) in going:
            continue  # begun since start-up: it is not unfinished but going on
        seconds = recording_seconds(track.path)
        if seconds is None:
            log.warning("an unfinished recording cannot be read; it is left as it is")
            continue
        try:
            store.save_audio(
                session_id,
                track.track,
                track.path,
                media_type=track.media_type,
                offset=track.offset,
                duration=round(seconds, 3),
            )
        except Exception as exc:
            log.error("adopting a recording failed (%s)", type(exc).__name__)
            continue
        adopted += 1
        with contextlib.suppress(RuntimeError):  # the mixer is already shut down
            finished(session_id)
    if adopted:
        log.info("adopted %d recording(s) a stopped server left unfinished", adopted)
    return adopted
