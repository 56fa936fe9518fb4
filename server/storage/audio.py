"""Voice sessions' extras: the candidate's word timestamps and the recordings, whose files
live in the data dir beside the database (a part of `Store`)."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from server.files import write_atomically
from server.storage.models import AudioRow, WordsRow
from server.storage.records import AudioTrack
from server.storage.writes import dumps

_TRACK = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_AUDIO_SUFFIX = {
    "audio/ogg": ".ogg",
    "audio/opus": ".ogg",
    "audio/mpeg": ".mp3",
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "audio/webm": ".webm",
}


class Recordings:
    _sessions: sessionmaker[Session]
    data_dir: Path

    def audio_dir(self, session_id: str) -> Path:
        return self.data_dir / "audio" / session_id

    def save_words(self, session_id: str, seq: int, words: Sequence[Mapping[str, Any]]) -> None:
        """Word timestamps of candidate message `seq`, replacing any stored before. Each
        word is `{"text", "start", "end"}` (plus `"probability"` when known), times in
        session seconds: the clock of the message's `start`/`end`."""
        clean: list[dict[str, Any]] = []
        for w in words:
            item: dict[str, Any] = {
                "text": str(w["text"]),
                "start": round(float(w["start"]), 3),
                "end": round(float(w["end"]), 3),
            }
            if w.get("probability") is not None:
                item["probability"] = round(float(w["probability"]), 4)
            if item["end"] < item["start"]:
                raise ValueError(f"word ends before it starts: {item}")
            clean.append(item)
        with self._sessions.begin() as db:
            db.merge(WordsRow(session_id=session_id, seq=int(seq), json=dumps(clean)))

    def load_words(self, session_id: str) -> dict[int, list[dict[str, Any]]]:
        """Word timestamps by candidate message seq (only messages that have them)."""
        with self._sessions() as db:
            rows = db.scalars(
                select(WordsRow).where(WordsRow.session_id == session_id).order_by(WordsRow.seq)
            )
            return {r.seq: json.loads(r.json) for r in rows}

    def audio_path(self, session_id: str, track: str, media_type: str = "audio/ogg") -> Path:
        """Where a track's file belongs (a recorder may stream straight into it, then call
        `save_audio` with this path)."""
        if not _TRACK.match(track):
            raise ValueError(f"bad track name {track!r}")
        suffix = _AUDIO_SUFFIX.get(media_type.split(";")[0].strip().lower())
        if suffix is None:
            raise ValueError(f"unsupported audio type {media_type!r}")
        return self.audio_dir(session_id) / f"{track}{suffix}"

    def save_audio(
        self,
        session_id: str,
        track: str,
        data: bytes | Path,
        *,
        media_type: str = "audio/ogg",
        offset: float = 0.0,
        duration: float | None = None,
    ) -> Path:
        """Keep a recording of the session (`track`: `candidate`, `interviewer`, ...).

        `data` is the file's bytes, or a path: a file already at `audio_path(...)` is
        registered where it is, any other is copied. `offset` is the session second at
        which the recording's first sample lies. The file goes with the session on delete.
        """
        target = self.audio_path(session_id, track, media_type)
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if isinstance(data, Path):
            if data.resolve() != target.resolve():
                shutil.copyfile(data, target)
        else:
            write_atomically(target, data)
        os.chmod(target, 0o600)
        with self._sessions.begin() as db:
            db.merge(
                AudioRow(
                    session_id=session_id,
                    track=track,
                    filename=target.name,
                    media_type=media_type,
                    offset=float(offset),
                    duration=None if duration is None else float(duration),
                    created_at=time.time(),
                )
            )
        return target

    def audio_tracks(self, session_id: str) -> list[AudioTrack]:
        """The session's recordings whose files exist, by track name."""
        with self._sessions() as db:
            rows = list(
                db.scalars(
                    select(AudioRow)
                    .where(AudioRow.session_id == session_id)
                    .order_by(AudioRow.track)
                )
            )
        out = []
        for r in rows:
            path = self.audio_dir(session_id) / r.filename
            if path.is_file():
                out.append(AudioTrack(r.track, path, r.media_type, r.offset, r.duration))
        return out

    def unfinished_audio(self) -> list[tuple[str, AudioTrack]]:
        """(session id, track) of every recording registered without a duration whose
        file exists: a recording is registered as it begins and gets its duration when
        it ends, so these were being made when their server stopped (or still are)."""
        with self._sessions() as db:
            rows = list(
                db.scalars(
                    select(AudioRow)
                    .where(AudioRow.duration.is_(None))
                    .order_by(AudioRow.session_id, AudioRow.track)
                )
            )
        out = []
        for r in rows:
            path = self.audio_dir(r.session_id) / r.filename
            if path.is_file():
                out.append((r.session_id, AudioTrack(r.track, path, r.media_type, r.offset, None)))
        return out
