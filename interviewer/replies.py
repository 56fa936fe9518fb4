"""Replies: what the interviewer does with a candidate's turn.

Before the script sees an answer, the understanding says what kind of turn it is. A request
about the conversation (say that again, what does X mean, I don't know, a moment please)
is answered and the question stays open; it is never an answer. The candidate's own
questions are answered from the scenario's facts, and the question stays open too. A wrong
claim gets its correction and a mechanism turned down its challenge, once a round each.
Only then does the script move on (see docs/LISTENING.md).
"""

from __future__ import annotations

from typing import Any

from .actions import Say
from .code_cues import holding
from .lines import slug
from .run import Run, is_deeper
from .sentences import INVITES_QUESTIONS, words
from .stance import HELD, STANCE_LABELS
from .state import Turn, TurnMatch
from .timers import due_timers
from .understanding import Understanding


def answer(run: Run, text: str, unsure: tuple[str, ...] = ()) -> None:
    asked = run.state.last_asked
    invited = asked is not None and INVITES_QUESTIONS.search(asked.text) is not None
    understood = run.sc.lexicon.understand(text, invited, asked.text if asked else "")
    if _doubtful_side(run, understood, text, unsure):
        # "I would hold it back" heard as "fold it back": the side rests on a word the
        # speech model was unsure of, and the two readings argue opposite sides. Ask
        # once which way they go; the turn counts for nothing and the question stays.
        turn = _turn(run, text, labels=(), matches=(), meta=UNSURE_SIDE)
        run.update(speaking=False, turns=(*run.state.turns, turn), deferred=())
        run.say_meta(UNSURE_SIDE)
        return
    meta: str | None = understood.intent
    if meta is None and understood.asked and not understood.substantive:
        meta = "question"
    if meta is None and understood.leaving and not understood.substantive:
        meta = "leave"  # "Sorry, I have to stop here": nothing said before it
    labels = set(understood.labels)
    if _holds_side(run, understood):
        labels |= _side_before(run)
    for fact_id in understood.asked:
        if fact_id:
            labels.update(run.sc.fact_by_id[fact_id].labels)
    turn = _turn(
        run,
        text,
        labels=tuple(sorted(labels)),
        matches=tuple(TurnMatch.of(m) for m in understood.matches),
        meta=meta,
        rejected=tuple(TurnMatch.of(m) for m in understood.rejected),
        asked=understood.asked,
    )
    # A request about the conversation is not an answer to the node; a question is
    # kept with the answers (what it asked for counts), but answers nothing itrun.
    answers = run.state.answers
    held = holding(run)
    if understood.intent is None and meta != "leave":
        answers = (*answers, turn.index)
    # Only an answer ends the wait for one: after a request ("a moment, please") or a
    # question of their own, the candidate still owes the answer to the open question.
    awaiting = run.state.awaiting and (understood.intent is not None or meta == "question")
    run.update(speaking=False, turns=(*run.state.turns, turn), answers=answers, awaiting=awaiting)
    run.update(deferred=())
    if understood.leaving:
        # The candidate has to go: what they said counts, and the round ends now, as
        # if they had pressed End.
        run.finish("left")
        return
    if not any(d.at <= run.state.now for d in due_timers(run.sc, run.state)):
        react(run, understood, turn, held)
        return
    # Polite timers held back during the answer (or while it was awaited) go first. The
    # answer is not lost: the node moves on from it when the first detour resumes (or
    # right away if none).
    answered, moved = run.state.node, False
    while due := [d for d in due_timers(run.sc, run.state) if d.at <= run.state.now]:
        pending = not moved and run.state.node == answered and understood.intent is None
        moved = run.fire(due[0], pending=pending) or moved
    if not moved:
        react(run, understood, turn, held and run.state.node == answered)


def react(run: Run, understood: Understanding, turn: Turn, held: bool = False) -> None:
    """What the interviewer says to a turn: requests first, then the script. `held`: the
    node was holding for the candidate's work (a coding task) before this turn."""
    if understood.intent is not None:
        _request(run, understood)
        return
    answered = _answer_questions(run, understood.asked, understood.substantive)
    if held:
        # Words while the candidate codes are narration: no reply, unless they asked
        # something, or turned down what the task needs ("I won't bother subtracting the
        # max") or said something wrong, which an interviewer watching would not let
        # pass. The task moves on once its condition holds ("I'm done").
        if not answered and _challenge_or_correct(run, turn):
            return
        if not holding(run):
            run.move_on()
        return
    if answered or not understood.substantive:
        # The candidate asked something and has the answer now: the question stays
        # open for them to go on (an answer given alongside is kept for the node).
        return
    if _challenge_or_correct(run, turn):
        return
    run.move_on()


def _answer_questions(run: Run, asked: tuple[str, ...], substantive: bool) -> bool:
    """Say the facts asked for; True if any was, or if a question got an honest "I don't
    have that" (which questions were asked beside an answer: `own_questions`)."""
    answered = said_unknown = False
    for fact_id in dict.fromkeys(asked):
        if fact_id:
            run.say(f"fact.{fact_id}", run.sc.fact_by_id[fact_id].say, "answer")
            answered = True
        elif not said_unknown:
            run.say_meta("no_fact")
            said_unknown = True
    return answered or said_unknown


def _request(run: Run, understood: Understanding) -> None:
    match understood.intent:
        case "repeat":
            _ask_again(run)
        case "clarify_term":
            term = understood.term
            if term is None:
                run.say_meta("no_definition")
            else:
                definition = run.sc.definition_by_term[term]
                run.say(f"define.{slug(term)}", definition.say, "clarify")
            _ask_again(run)
        case "dont_know" | "no_example" as intent:
            node = run.sc.nodes[run.state.node] if run.state.node else None
            if run.state.helped == 0:
                run.update(helped=1)
                # The node's hint is written for its question and probes; a deeper
                # question gets the general help.
                deeper = is_deeper(run.sc, run.state.node, run.state.question)
                if node is not None and node.hint and not deeper:
                    run.say(f"{run.state.node}.hint", node.hint, "hint")
                else:
                    run.say_meta(intent)
                return
            # Helped once already: leave this question rather than probe a story
            # that does not exist.
            run.say_meta("move_on")
            if node is not None:
                run.update(probes_used=len(node.probes))
            run.enter(run.next_target())
        case "need_time":
            run.say_meta("need_time")
        case "no_questions":
            run.move_on()
        case _:
            raise AssertionError(understood.intent)


def _ask_again(run: Run) -> None:
    last = run.state.last_asked
    if last is None:
        return
    if last.short_id is not None and last.short_text is not None:
        line, text = last.short_id, last.short_text
    else:
        line, text = last.line_id, last.text
    run.actions.append(Say(line_id=line, text=text, kind="repeat", node=run.state.node))


def _challenge_or_correct(run: Run, turn: Turn) -> bool:
    """A wrong claim is corrected, a turned-down mechanism challenged: once a round each."""
    for co in run.sc.corrections:
        key = f"correction.{co.signal}"
        if co.signal in turn.labels and key not in run.state.reacted:
            run.update(reacted=(*run.state.reacted, key))
            run.say(key, co.say, "correction")
            return True
    rejected = {m.label for m in turn.rejected} - set(turn.labels)
    for ch in run.sc.challenges:
        key = f"challenge.{ch.rejected}"
        if ch.rejected in rejected and key not in run.state.reacted:
            run.update(reacted=(*run.state.reacted, key))
            run.say(key, ch.say, "challenge")
            return True
    return False


def _turn(run: Run, text: str, **heard: Any) -> Turn:
    """The candidate's turn, said now at the current node."""
    return Turn(
        index=len(run.state.turns),
        at=run.state.now,
        node=run.state.node,
        phase=run.state.phase,
        text=text,
        **heard,
    )


def _holds_side(run: Run, understood: Understanding) -> bool:
    """The turn keeps the side taken before without naming it: "I still wait", or, under
    pushback, reasons given with no side and no concession ("Because I have three prompts
    that break it. That's evidence.")."""
    labels = understood.labels
    if HELD in labels:
        return True
    node = run.sc.nodes.get(run.state.node or "")
    return (
        node is not None
        and node.kind == "pushback"
        and understood.intent is None
        and "reasons" in labels
        and "concede" not in labels
        and not labels & set(STANCE_LABELS)
    )


def _side_before(run: Run) -> set[str]:
    """The side the candidate last took in this round ("I still wait" keeps it)."""
    for turn in reversed(run.state.turns):
        sides = set(turn.labels) & set(STANCE_LABELS)
        if sides:
            return sides
    return set()


UNSURE_SIDE = "unsure_side"


def _doubtful_side(run: Run, understood: Understanding, text: str, unsure: tuple[str, ...]) -> bool:
    """The side taken rests on a word heard with low confidence (voice mode), and the
    candidate was not already asked to say it again."""
    stance = run.sc.stance
    if not unsure or stance is None or understood.intent is not None:
        return False
    if not set(understood.labels) & set(STANCE_LABELS):
        return False
    if run.state.turns and run.state.turns[-1].meta == UNSURE_SIDE:
        return False  # asked once: take what they say now
    doubtful = set(words(" ".join(unsure)))
    sides = {*STANCE_LABELS, *stance.for_, *stance.against, *stance.mixed}
    # Doubt only when every word that carries the side was heard unsure: "I would
    # release it with a staged rollout" keeps its side if "release" was heard clearly.
    carried = [set(words(text[m.start : m.end])) for m in understood.matches if m.label in sides]
    return bool(carried) and all(doubtful & span for span in carried)
