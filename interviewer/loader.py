"""Reading scenario files: YAML in, a checked `Scenario` out, or `file:line: message`.

YAML is read with the safe loader only, anchors and aliases are refused (they serve no
purpose in a scenario and are the vehicle of "billion laughs" expansion), duplicate keys
are errors (YAML would silently keep the last one), and every problem found by pydantic or
by the scenario's own checks is mapped back to the line it came from.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from .checks import check
from .errors import CheckError, ScenarioError
from .parts import UseProbes
from .scenario import Scenario

MAX_FILE_BYTES = 512 * 1024
MAX_DEPTH = 32
PLANS_SUFFIX = ".plans.yaml"
DEFAULT_ROOT = Path(__file__).resolve().parent.parent / "scenarios"

Path_ = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)


# LibYAML's parser when PyYAML was built with it (its wheels are): the same safe subset
# of YAML, about ten times faster than the pure Python one, which made loading the
# catalog the slowest part of starting the server or the command.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> tuple[Any, dict[Path_, int]]:
    """Parse one YAML file safely; return the data and a map from document path to line."""
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ScenarioError(name, 0, f"cannot read: {exc.strerror}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(name, 0, f"file is larger than {MAX_FILE_BYTES // 1024} KiB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(name, 1, f"not UTF-8 text ({exc.reason})") from None
    try:
        depth = 0
        for event in yaml.parse(text, Loader=_LOADER):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                line = event.start_mark.line + 1 if event.start_mark else 1
                raise ScenarioError(name, line, "YAML anchors and aliases are not allowed")
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    # Building the document recurses once per level: refuse it first.
                    line = event.start_mark.line + 1 if event.start_mark else 1
                    raise ScenarioError(name, line, f"nested more than {MAX_DEPTH} levels deep")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
        loader = _LOADER(text)
        try:
            root = loader.get_single_node()
            # The data is built from the same nodes the line numbers come from: one parse.
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        if "nesting depth" in str(exc.problem):
            # LibYAML reads a flow collection ahead and refuses a deep one itself, before
            # the check above sees the events: the same refusal, in the same words.
            raise ScenarioError(name, line, f"nested more than {MAX_DEPTH} levels deep") from None
        raise ScenarioError(name, line, f"YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise ScenarioError(name, 1, f"YAML: {exc}") from None
    if root is None:
        raise ScenarioError(name, 1, "the file is empty")
    lines: dict[Path_, int] = {}
    _index(root, (), lines, name)
    return data, lines


def _index(node: yaml.Node, path: Path_, lines: dict[Path_, int], name: str) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                raise ScenarioError(name, key_node.start_mark.line + 1, f"duplicate key {key!r}")
            seen.add(key)
            sub = (*path, _key(key))
            _index(value_node, sub, lines, name)
            lines[sub] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index(item, (*path, i), lines, name)


def _key(value: str) -> str | int:
    # Mapping keys such as rubric anchors (`1: ...`) are ints to pydantic.
    return int(value) if value.lstrip("-").isdigit() else value


def line_of(lines: Mapping[Path_, int], path: Path_) -> int:
    """The line of `path`, or of its nearest ancestor present in the file."""
    for end in range(len(path), -1, -1):
        sub = path[:end]
        if sub in lines:
            return lines[sub]
        alt = tuple(str(p) if isinstance(p, int) else p for p in sub)
        if alt in lines:
            return lines[alt]
    return 1


def validation_message(error: Any) -> tuple[Path_, str]:
    loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    where = ".".join(str(p) for p in loc)
    msg = error["msg"]
    if error["type"] == "extra_forbidden":
        msg = f"unknown key {loc[-1]!r}" if loc else "unknown key"
    elif error["type"] == "missing":
        msg = f"missing key {loc[-1]!r}" if loc else msg
    elif where:
        msg = f"{where}: {msg}"
    # `if` is spelled `if_` internally; people wrote `if`
    return tuple("if" if p == "if_" else ("for" if p == "for_" else p) for p in loc), msg.replace(
        "Value error, ", ""
    )


def parse_model(model: type[M], path: Path) -> M:
    data, lines = read_yaml(path)
    if not isinstance(data, dict):
        raise ScenarioError(str(path), 1, "the file must be a mapping of keys to values")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc, msg = validation_message(err)
        # a missing key is reported at its parent mapping
        where = loc[:-1] if err["type"] == "missing" else loc
        raise ScenarioError(str(path), line_of(lines, where), msg) from None


def load_scenario(path: Path | str) -> Scenario:
    path = Path(path)
    scenario = parse_model(Scenario, path)
    try:
        check(scenario)
    except CheckError as exc:
        _, lines = read_yaml(path)
        raise ScenarioError(str(path), line_of(lines, exc.path), exc.message) from None
    return scenario


# Folders under scenarios/ that hold other data than scenarios.
NOT_SCENARIOS = frozenset({"eval", "loops"})


def scenario_files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*.yaml")):
        if path.name.endswith(PLANS_SUFFIX):
            continue
        if NOT_SCENARIOS & set(path.relative_to(root).parts[:-1]):
            continue
        yield path


def load_catalog(root: Path | str | None = None) -> dict[str, Scenario]:
    """Every scenario under `root` (default: the project's `scenarios/`), by id."""
    base = Path(root) if root is not None else DEFAULT_ROOT
    catalog: dict[str, Scenario] = {}
    origin: dict[str, Path] = {}
    for path in scenario_files(base):
        scenario = load_scenario(path)
        if scenario.id in catalog:
            raise ScenarioError(
                str(path), 1, f"id {scenario.id!r} is also used by {origin[scenario.id]}"
            )
        catalog[scenario.id] = scenario
        origin[scenario.id] = path
    return dict(sorted(catalog.items(), key=lambda kv: (_round_order(kv[1]), kv[0])))


def _round_order(s: Scenario) -> int:
    from .scenario import ROUNDS

    return ROUNDS.index(s.round)


def json_schema() -> str:
    schema = Scenario.model_json_schema(by_alias=True)
    # As written, a node's probes may name a probe set (`- use: star`); the loader expands
    # those before the model sees them, so the file's schema allows both.
    defs = schema["$defs"]
    defs["UseProbes"] = UseProbes.model_json_schema(by_alias=True)
    defs["Node"]["properties"]["probes"]["items"] = {
        "anyOf": [{"$ref": "#/$defs/Probe"}, {"$ref": "#/$defs/UseProbes"}]
    }
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "mockloop scenario"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
