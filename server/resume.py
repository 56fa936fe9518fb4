"""Resuming a session: the engine state its stored event log leads to.

Theory of operation
-------------------
The stored event log is the truth: a new driver (after the last connection dropped and
the driver was stopped, after a server restart, or on another replica) calls `start` and
then `step` for every stored event. The messages those replayed steps produce were
committed together with their events, so they are never stored or sent again; only steps
taken after the replay add messages. A client that reconnects sends `hello` with the last
seq it saw and gets exactly the messages after it, then the live ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from interviewer import Say, Scenario, State, event_from_json, start, step
from server.messages import InterviewerLine, Message
from server.storage import StoredEvent


@dataclass(frozen=True, slots=True)
class Replayed:
    state: State
    n: int  # the number of the last stored event
    said: tuple[str, ...]  # line ids of the interviewer lines the replay said
    sent: tuple[str | None, ...]  # line ids of the stored interviewer messages

    @property
    def diverged(self) -> bool:
        """The scenario file changed under a live session: the stored messages stay the
        record and the session carries on from the state."""
        return self.said != self.sent


def replay(
    scenario: Scenario,
    seed: int,
    events: Sequence[StoredEvent],
    stored: Sequence[Message],
    voice: bool = False,
) -> Replayed:
    """The state after the stored events, and how many there were. The replayed steps'
    messages are already stored: they are compared rather than stored again."""
    result = start(scenario, seed, at=0.0, voice=voice)
    said = [a.line_id for a in result.actions if isinstance(a, Say)]
    state = result.state
    n = 0
    for ev in events:
        if state.ended:
            # Today's script ended sooner than the one the session was recorded with
            # (the scenario changed under it): the stored messages stay the record.
            n = ev.n
            continue
        result = step(scenario, state, event_from_json(ev.data))
        state, n = result.state, ev.n
        said.extend(a.line_id for a in result.actions if isinstance(a, Say))
    sent = tuple(m.line_id for m in stored if isinstance(m, InterviewerLine))
    return Replayed(state, n, tuple(said), sent)
