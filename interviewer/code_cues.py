"""What the interviewer does with the candidate's code: edits and runs (coding rounds).

An edit only tells the engine the candidate was at work then: the longest stretch of
editing without a word is graded (narration). A run becomes a turn of the transcript (see
`code.py`) and may draw one of the task's cues, each at most once a round: a crash, the
first failing tests, the first time every hidden test passes (the solved cue may take the
round on to the discussion). Otherwise a run draws nothing: an interviewer watching
someone code stays quiet. A node with `until` moves on once its condition holds, which a
run can bring about as well as a turn.
"""

from __future__ import annotations

from .code import describe
from .events import CodeEdited, CodeRan
from .facts import StateFacts
from .run import Run
from .scenario import CUE_KINDS
from .state import Turn, TurnMatch


def edited(run: Run, event: CodeEdited) -> None:
    s = run.state
    if s.coding_from is None or s.coding_until is not None:
        return  # outside the code phase, an edit says nothing about narration
    spoken = [t.at for t in s.turns if t.meta != "code" and t.at >= s.coding_from]
    quiet = event.at - max([s.coding_from, *spoken])
    if quiet > s.quiet_coding:
        run.update(quiet_coding=quiet)


def ran(run: Run, event: CodeRan) -> None:
    text, matches = describe(event)
    turn = Turn(
        index=len(run.state.turns),
        at=run.state.now,
        node=run.state.node,
        phase=run.state.phase,
        text=text,
        labels=tuple(sorted({m.label for m in matches})),
        matches=tuple(TurnMatch.of(m) for m in matches),
        meta="code",
        figures=dict(event.figures),
    )
    held = holding(run)
    run.update(turns=(*run.state.turns, turn))
    if not _cue(run, turn, held) and held and not holding(run):
        run.move_on()


def _cue(run: Run, turn: Turn, held: bool) -> bool:
    """Say the cue this run calls for, if any (each once a round). True if one was said."""
    task = run.sc.code
    if task is None:
        return False
    cues = task.cues
    if "code.all_pass" in turn.labels and cues.solved is not None:
        if _once(run, "solved", cues.solved.say):
            if cues.solved.goto is not None:
                run.enter(cues.solved.goto)
            elif held and not holding(run):
                run.move_on()
            return True
        return False
    if "code.crashed" in turn.labels and cues.crashed is not None:
        return _once(run, "crashed", cues.crashed.say)
    if "code.some_fail" in turn.labels and cues.failing is not None:
        return _once(run, "failing", cues.failing.say)
    return False


def _once(run: Run, name: str, say: list[str]) -> bool:
    key = f"code.{name}"
    if key in run.state.reacted:
        return False
    run.update(reacted=(*run.state.reacted, key))
    run.say(key, say, CUE_KINDS[name])
    return True


def holding(run: Run) -> bool:
    """The current node has an `until` that does not hold yet: the candidate is at work.
    A node moves on when a turn or a run turns this from True to False (once: after that
    its probes are answered as usual)."""
    node = run.sc.nodes[run.state.node] if run.state.node is not None else None
    if node is None or node.until is None:
        return False
    return not run.sc.condition[node.until](StateFacts(run.sc, run.state))
