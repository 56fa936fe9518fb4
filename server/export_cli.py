"""`mockloop export SESSION --format md|json|vtt [--data-dir D]`: one stored session to
stdout, in the same shapes as `GET /api/sessions/{id}/export` (server/review/export.py).

The database is the server's (the `MOCKLOOP_` settings, or `--data-dir`); the scenario
files give the rubric's titles and anchors, and a session whose scenario is gone still
exports, with the criteria by id.
"""

from __future__ import annotations

import sys
from pathlib import Path

from interviewer import ScenarioError, load_catalog
from server.review.export import FORMATS, render
from server.security import SESSION_ID
from server.settings import Settings
from server.storage import Store


def export(session: str, fmt: str, data_dir: Path | None) -> int:
    """Write the export to stdout; 0 on success, 1 when there is no such session, 2 on a
    bad argument."""
    if fmt not in FORMATS:
        print(f"mockloop: unknown format {fmt!r} (one of {', '.join(FORMATS)})", file=sys.stderr)
        return 2
    if not SESSION_ID.match(session):
        print(f"mockloop: {session!r} is not a session id", file=sys.stderr)
        return 2
    settings = Settings(data_dir=data_dir) if data_dir is not None else Settings()
    if not settings.database_url and not (settings.data_dir / "mockloop.db").is_file():
        # Opening the store would create an empty database where the user mistyped a path.
        print(f"mockloop: no sessions are stored in {settings.data_dir}", file=sys.stderr)
        return 1
    try:
        catalog = load_catalog(settings.scenarios_dir)
    except ScenarioError as exc:
        print(f"mockloop: scenarios not loaded ({exc}); exporting without titles", file=sys.stderr)
        catalog = {}
    store = Store(settings.effective_database_url, settings.data_dir)
    try:
        out = render(store, session, fmt, catalog)
    finally:
        store.close()
    if out is None:
        print(f"mockloop: no session {session!r} in {settings.data_dir}", file=sys.stderr)
        return 1
    sys.stdout.buffer.write(out.body)
    sys.stdout.buffer.flush()
    return 0
