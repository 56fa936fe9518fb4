"""The interviewer core: a pure, deterministic engine with no IO (see `engine.py`)."""

from .actions import Action, End, Evidence, PhaseChanged, Say, Score, action_to_json
from .engine import Step, next_deadline, start, step
from .errors import IllegalEvent, ScenarioError
from .events import (
    CandidateLeft,
    CandidateQuiet,
    CandidateSaid,
    CandidateSpeaking,
    CodeEdited,
    CodeRan,
    Event,
    Tick,
    event_from_json,
    event_to_json,
)
from .lines import ScriptLine
from .loader import json_schema, load_catalog, load_scenario
from .scenario import ROUNDS, Scenario
from .state import State
from .understanding import Understanding


def understand(scenario: Scenario, text: str) -> Understanding:
    """The labels (and the words behind them) that `scenario` reads in an answer."""
    return scenario.lexicon.understand(text)


__all__ = [
    "ROUNDS",
    "Action",
    "CandidateLeft",
    "CandidateQuiet",
    "CandidateSaid",
    "CandidateSpeaking",
    "CodeEdited",
    "CodeRan",
    "End",
    "Event",
    "Evidence",
    "IllegalEvent",
    "PhaseChanged",
    "Say",
    "Scenario",
    "ScenarioError",
    "Score",
    "ScriptLine",
    "State",
    "Step",
    "Tick",
    "Understanding",
    "action_to_json",
    "event_from_json",
    "event_to_json",
    "json_schema",
    "load_catalog",
    "load_scenario",
    "next_deadline",
    "start",
    "step",
    "understand",
]
