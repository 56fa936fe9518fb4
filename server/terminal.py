"""`mockloop practice`: the interview in a terminal.

A thin shell around the engine, like the websocket driver: answers come from stdin (one line
is one turn), timers fire from the wall clock scaled by `--time-scale`, and interviewer lines
go to stdout. A timer's line is stamped with the minute it was due, not the moment the
process noticed, so the same seed and input print the same interview.
"""

from __future__ import annotations

import queue
import sys
import threading
import time
from typing import TextIO

from interviewer import (
    Action,
    CandidateLeft,
    CandidateSaid,
    End,
    Event,
    PhaseChanged,
    Say,
    Scenario,
    Score,
    Tick,
    next_deadline,
    start,
    step,
)

MAX_TURN_CHARS = 20_000


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m:02d}:{s:02d}"


class _Printer:
    def __init__(self, scenario: Scenario, out: TextIO) -> None:
        self.sc = scenario
        self.out = out

    def show(self, at: float, actions: tuple[Action, ...]) -> None:
        for a in actions:
            if isinstance(a, Say):
                label = (
                    "" if a.kind in ("question", "closing") else f" ({a.kind.replace('_', ' ')})"
                )
                self.out.write(f"[{_clock(at)}] Interviewer{label}: {a.text}\n")
            elif isinstance(a, PhaseChanged):
                until = f", until {_clock(a.until)}" if a.until is not None else ""
                self.out.write(f"[{_clock(at)}] -- phase: {a.title}{until} --\n")
            elif isinstance(a, Score):
                c = self.sc.criterion_by_id[a.criterion]
                if a.level is None:
                    self.out.write(f"  {c.title}: not shown in this round\n")
                    continue
                anchor = c.anchors.get(a.level)
                note = f" ({anchor})" if anchor else ""
                self.out.write(f"  {c.title}: {a.level} of {c.scale[1]}{note}\n")
            elif isinstance(a, End):
                self.out.write(f"[{_clock(at)}] -- round over ({a.reason}) --\n")
        self.out.flush()


def practice(
    scenario: Scenario,
    seed: int = 1,
    time_scale: float = 1.0,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    src = stdin or sys.stdin
    out = stdout or sys.stdout
    interactive = src.isatty() and out.isatty()
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for raw in src:
            lines.put(raw.rstrip("\r\n"))
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    printer = _Printer(scenario, out)
    if interactive:
        out.write(
            f"{scenario.title} ({scenario.minutes:g} minutes). "
            "One line is one answer; Ctrl-D ends.\n"
        )
    t0 = time.monotonic()

    def now() -> float:
        return (time.monotonic() - t0) * time_scale

    result = start(scenario, seed, 0.0)
    printer.show(0.0, result.actions)
    state = result.state
    while not state.ended:
        deadline = next_deadline(state)
        assert deadline is not None
        wait = max(0.0, deadline / time_scale - (time.monotonic() - t0))
        event: Event
        try:
            item = lines.get(timeout=wait)
        except queue.Empty:
            event = Tick(at=max(deadline, state.now))
        else:
            at = max(now(), state.now)
            if item is None:
                event = CandidateLeft(at=at)
            elif not item.strip():
                continue
            else:
                event = CandidateSaid(at=at, text=item[:MAX_TURN_CHARS])
                if not interactive:  # echo piped answers so the output reads as a transcript
                    out.write(f"[{_clock(at)}] You: {event.text}\n")
        result = step(scenario, state, event)
        printer.show(event.at, result.actions)
        state = result.state
    return 0
