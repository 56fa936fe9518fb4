"""One replay track per voice session: the stored recordings and the interviewer's lines
mixed onto the session's own clock, so that second `t` of the file is session second `t`.

With a single track the replay page seeks with `currentTime = t` and highlights the line
and word whose timestamps contain `currentTime`, with no syncing of several players. The
mix is built when a voice round ends (in the background, see `server.review.mixer`) or
else on first request, from:

- every recording stored with `Store.save_audio` (the candidate's microphone, and an
  interviewer track if the voice pipeline keeps one), each placed at its `offset`;
- the interviewer's spoken lines (the `audio` URL of each `interviewer` message), placed
  at the message's `at`, when a resolver can find the cached clip file for the URL.

It is cached beside the recordings as `replay-<digest>.ogg` (the digest covers every input,
so a new recording or clip makes a new mix) and deleted with the session.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import av
import numpy as np

from server.messages import InterviewerLine, Message
from server.speech.audio import SAMPLE_RATE, float32_to_pcm16
from server.storage import AudioTrack, Store

ClipPath = Callable[[str], Path | None]

_CLIP_NAME = re.compile(r"^[0-9a-f]{16,128}\.(?:mp3|ogg|wav|opus)$")
MAX_SECONDS = 4 * 3600.0
STALE_TEMPORARY = 3600.0  # seconds


def clip_resolver(state: Any) -> ClipPath | None:
    """How to find the file behind an interviewer line's `audio` URL: the app's
    `speech_clip_path(url)` if the voice pipeline set one, else a file of the same name in
    its `speech_cache` directory."""
    explicit = getattr(state, "speech_clip_path", None)
    if callable(explicit):
        return explicit  # type: ignore[no-any-return]
    cache = getattr(state, "speech_cache", None)
    directory = getattr(cache, "directory", None)
    if directory is None:
        return None
    root = Path(directory)

    def by_name(url: str) -> Path | None:
        name = url.split("?", 1)[0].rsplit("/", 1)[-1]
        if not _CLIP_NAME.match(name):
            return None
        path = root / name
        return path if path.is_file() else None

    return by_name


def sources(
    tracks: Sequence[AudioTrack],
    messages: Sequence[Message],
    clip_path: ClipPath | None,
) -> list[tuple[Path, float]]:
    """(file, session second of its first sample) for everything that goes in the mix."""
    out = [(t.path, t.offset) for t in tracks]
    if clip_path is not None:
        for m in messages:
            if isinstance(m, InterviewerLine) and m.audio:
                path = clip_path(m.audio)
                if path is not None and path.is_file() and m.at is not None:
                    out.append((path, m.at))
    return out


def _digest(items: Sequence[tuple[Path, float]]) -> str:
    material = []
    for path, offset in items:
        st = path.stat()
        material.append([path.name, st.st_size, st.st_mtime_ns, round(offset, 3)])
    return hashlib.sha256(json.dumps(material).encode()).hexdigest()[:20]


_locks: dict[Path, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock_for(directory: Path) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(directory, threading.Lock())


def session_replay(store: Store, session_id: str, clip_path: ClipPath | None) -> Path | None:
    """`replay_audio` for a stored session."""
    tracks = store.audio_tracks(session_id)
    messages = store.load_transcript(session_id) if clip_path is not None else []
    audio_dir = store.audio_dir(session_id)
    try:
        path = replay_audio(audio_dir, tracks, messages, clip_path)
    except OSError:
        if store.get_session(session_id) is not None:
            raise
        path = None  # deleted under the mix: its files went away
    # A delete may have run while the mix was made, and its removal of the audio folder
    # may have come before the mix was written: the candidate's voice must not outlive
    # the session. (The delete removes the rows first, so this sees it.)
    if store.get_session(session_id) is None:
        shutil.rmtree(audio_dir, ignore_errors=True)
        return None
    return path


def replay_audio(
    audio_dir: Path,
    tracks: Sequence[AudioTrack],
    messages: Sequence[Message],
    clip_path: ClipPath | None = None,
) -> Path | None:
    """The mixed replay file (built now if needed); None when there is nothing to play."""
    items = sources(tracks, messages, clip_path)
    if not items:
        return None
    # The player asks twice at once (metadata, then a range): build the mix only once.
    with _lock_for(audio_dir):
        target = audio_dir / f"replay-{_digest(items)}.ogg"
        if target.is_file():
            return target
        mix = mix_down(items)
        audio_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=audio_dir, prefix=".tmp-replay-", suffix=".ogg")
        os.close(fd)
        try:
            encode_opus(mix, Path(tmp))
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        for old in audio_dir.glob("replay-*.ogg"):
            if old != target:
                old.unlink(missing_ok=True)
        _remove_stale_temporaries(audio_dir)
    return target


def _remove_stale_temporaries(audio_dir: Path, older_than: float = STALE_TEMPORARY) -> None:
    """A mix cut short (the server stopped while writing it) leaves its temporary file;
    one left for an hour is nobody's work in progress."""
    cutoff = time.time() - older_than
    for leftover in audio_dir.glob(".tmp-replay-*"):
        with contextlib.suppress(OSError):
            if leftover.stat().st_mtime < cutoff:
                leftover.unlink()


def mix_down(items: Sequence[tuple[Path, float]]) -> np.ndarray[Any, np.dtype[np.float32]]:
    """Decode each file at 16 kHz, place it at its offset (a negative offset drops the
    part before the session began), sum, and clip."""
    decoded: list[tuple[np.ndarray[Any, np.dtype[np.float32]], int]] = []
    length = 0
    for path, offset in items:
        samples = decode_16k(path)
        start = round(offset * SAMPLE_RATE)
        if start < 0:
            samples = samples[-start:]
            start = 0
        limit = int(MAX_SECONDS * SAMPLE_RATE)
        if start >= limit:
            continue
        samples = samples[: limit - start]
        decoded.append((samples, start))
        length = max(length, start + samples.size)
    mix = np.zeros(length, dtype=np.float32)
    for samples, start in decoded:
        mix[start : start + samples.size] += samples
    np.clip(mix, -1.0, 1.0, out=mix)
    return mix


Samples = np.ndarray[Any, np.dtype[np.float32]]
_CHUNK = SAMPLE_RATE * 10


def decode_16k(path: Path) -> Samples:
    """Any audio file as mono float32 at 16 kHz. Decoded frames are resampled in pieces
    of about ten seconds (one resampler, so its filter state carries over) rather than
    one 20 ms frame at a time: a long recording decodes several times faster."""
    pieces: list[Samples] = []
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        rate = stream.rate or SAMPLE_RATE
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        pending: list[Samples] = []
        size = 0

        def flush() -> None:
            nonlocal pending, size
            if not pending:
                return
            chunk = np.ascontiguousarray(np.concatenate(pending), dtype=np.float32)
            pending, size = [], 0
            frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="flt", layout="mono")
            frame.sample_rate = rate
            for out in resampler.resample(frame):
                pieces.append(np.asarray(out.to_ndarray(), dtype=np.float32).reshape(-1))

        for frame in container.decode(stream):
            data: Any = frame.to_ndarray()
            if np.issubdtype(data.dtype, np.integer):
                data = data.astype(np.float32) / float(np.iinfo(data.dtype).max + 1)
            data = np.asarray(data, dtype=np.float32)
            channels = len(frame.layout.channels)
            if channels == 1:
                mono = data.reshape(-1)
            elif frame.format.is_planar:
                mono = data.reshape(channels, -1).mean(axis=0)
            else:
                mono = data.reshape(-1, channels).mean(axis=1)
            pending.append(mono.astype(np.float32, copy=False))
            size += mono.size
            if size >= _CHUNK * max(1, rate // SAMPLE_RATE):
                flush()
        flush()
        for out in resampler.resample(None):
            pieces.append(np.asarray(out.to_ndarray(), dtype=np.float32).reshape(-1))
    if not pieces:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate(pieces).astype(np.float32, copy=False)


def encode_opus(samples: Samples, target: Path, *, bitrate: int = 32_000) -> None:
    """Ogg/Opus at 16 kHz for playback, not archiving: a lower encoder complexity and
    60 ms frames make it about four times faster to write than the defaults, at a size
    within a few percent."""
    container = av.open(str(target), mode="w", format="ogg", options={"fflags": "+bitexact"})
    try:
        stream: Any = container.add_stream(
            "libopus",
            rate=SAMPLE_RATE,
            layout="mono",
            options={"compression_level": "2", "frame_duration": "60"},
        )
        stream.bit_rate = bitrate
        pcm = np.frombuffer(float32_to_pcm16(samples), dtype="<i2")
        for i in range(0, pcm.size, SAMPLE_RATE * 30):
            frame = av.AudioFrame.from_ndarray(
                pcm[i : i + SAMPLE_RATE * 30].reshape(1, -1), format="s16", layout="mono"
            )
            frame.sample_rate = SAMPLE_RATE
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    finally:
        container.close()
