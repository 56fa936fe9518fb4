"""Line ids: the stable name of each line the interviewer can say.

Stored sessions and the speech cache name a line by its id, so an id depends only on
where the line is written (`<node>.<probe>`, `fact.<id>`, `define.<term>`), and a line
with variants gets one id per variant (`.v1`, `.v2`, ...).
"""

from __future__ import annotations

import re

from .actions import LineKind
from .parts import Strict


class ScriptLine(Strict):
    """One line the interviewer may say, with its stable id (the speech-cache key's source)."""

    line_id: str
    text: str
    kind: LineKind


def line_variants(base: str, variants: list[str], kind: LineKind) -> list[ScriptLine]:
    """A line's ids and texts: the base id alone, or one id per variant."""
    if len(variants) == 1:
        return [ScriptLine(line_id=base, text=variants[0], kind=kind)]
    return [
        ScriptLine(line_id=f"{base}.v{i}", text=t, kind=kind) for i, t in enumerate(variants, 1)
    ]


# The kind of each built-in line (meta.yaml's `lines`).
META_KINDS: dict[str, LineKind] = {
    "no_fact": "answer",
    "no_definition": "clarify",
    "dont_know": "hint",
    "no_example": "hint",
    "move_on": "hint",
    "need_time": "ack",
    "unsure_side": "repeat",  # a side heard unclearly, asked for again
}


def slug(term: str) -> str:
    """A term as a line id part: "KV cache" -> "kv-cache"."""
    return re.sub(r"[^a-z0-9]+", "-", term.lower()).strip("-") or "term"


def line_id(base: str, variants: list[str], index: int) -> str:
    return base if len(variants) == 1 else f"{base}.v{index + 1}"
