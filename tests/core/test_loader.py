from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from interviewer import ScenarioError, load_catalog, load_scenario
from interviewer.loader import DEFAULT_ROOT, NOT_SCENARIOS, PLANS_SUFFIX, json_schema, read_yaml

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

BASE = (FIXTURES / "mini.yaml").read_text()


def broken(tmp_path: Path, old: str, new: str) -> Path:
    assert old in BASE, old
    path = tmp_path / "broken.yaml"
    path.write_text(BASE.replace(old, new, 1))
    return path


def line_of(text: str, needle: str) -> int:
    return text.splitlines().index(next(x for x in text.splitlines() if needle in x)) + 1


def error(path: Path) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value


def test_a_misspelled_target_names_its_file_and_line(tmp_path: Path) -> None:
    path = broken(tmp_path, "goto: push_against", "goto: push_aganst")
    err = error(path)
    assert err.file == str(path)
    assert err.line == line_of(path.read_text(), "push_aganst")
    assert "unknown node 'push_aganst' (did you mean 'push_against'?)" in str(err)
    assert str(err).startswith(f"{path}:{err.line}: ")


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        ("    kind: nudge\n", "    kinde: nudge\n", "kinde", "unknown key 'kinde'"),
        ("minutes: 20", "minutes: twenty", "minutes:", "minutes"),
        ("at: 10m", "at: ten minutes", "at: ten", "not a duration"),
        ("if: said('question')", "if: said('questoin')", "questoin", "unknown label 'questoin'"),
        ("if: said('question')", "if: __import__('os')", "__import__", "unknown function"),
        ("if: said('question')", "if: said('question')[0]", "[0]", "not allowed"),
        ("if: covered('depth') >= 2", "if: covered(depth) >= 2", "covered(depth)", "quoted"),
        (
            "      - goto: nudge\n",
            "      - if: turns > 1\n        goto: nudge\n",
            "turns > 1",
            "last branch",
        ),
        (
            "phase: architecture\n    say: [",
            "phase: archi\n    say: [",
            "phase: archi",
            "unknown phase",
        ),
        (
            "    points: [batching, cache]",
            "    points: [batching, caches]",
            "caches",
            "undeclared label",
        ),
        ("      - level: 1\n", "      - level: 7\n", "level: 7", "outside the anchors"),
        ("  at: 10m", "  at: 30m", "at: 30m", "after the end"),
        (
            "    phrases: [kv cache, prompt cache]",
            "    patterns: ['(unclosed']",
            "unclosed",
            "regular expression",
        ),
    ],
)
def test_mistakes_are_reported_at_their_line(
    tmp_path: Path, old: str, new: str, needle: str, message: str
) -> None:
    path = broken(tmp_path, old, new)
    err = error(path)
    assert message in err.message
    assert err.line == line_of(path.read_text(), needle), str(err)


def test_unreachable_nodes_are_errors(tmp_path: Path) -> None:
    path = broken(tmp_path, "        goto: push_against\n", "        goto: push_for\n")
    err = error(path)
    assert "'push_against' is never reached" in err.message
    assert err.line == line_of(path.read_text(), "  push_against:")


def test_duplicate_keys_are_errors_not_silently_dropped(tmp_path: Path) -> None:
    path = broken(tmp_path, "  nudge:\n", "  decide:\n    say: x\n  nudge:\n")
    assert "duplicate key 'decide'" in error(path).message


def test_yaml_aliases_are_refused(tmp_path: Path) -> None:
    bomb = "a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b]\n"
    path = tmp_path / "bomb.yaml"
    path.write_text(bomb)
    err = error(path)
    assert "anchors and aliases are not allowed" in err.message and err.line == 1


def test_yaml_syntax_errors_have_lines(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("id: x\ntitle: [unclosed\n")
    err = error(path)
    assert err.message.startswith("YAML:") and err.line in (2, 3)


def test_resume_outside_a_timer_detour_is_an_error(tmp_path: Path) -> None:
    path = broken(
        tmp_path,
        "      - goto: architecture\n  architecture:",
        "      - goto: resume\n  architecture:",
    )
    assert "reached from a timer" in error(path).message


def test_the_project_catalog_loads_and_the_schema_is_json() -> None:
    catalog = load_catalog()
    for scenario in catalog.values():
        assert scenario.lines(), scenario.id
    import json

    schema = json.loads(json_schema())
    assert "nodes" in schema["properties"] and schema["additionalProperties"] is False


def test_the_committed_json_schema_is_the_one_the_loader_checks() -> None:
    """Editors validate against scenarios/scenario.schema.json: it must say what the loader
    accepts today (regenerate with `make schema`)."""
    committed = (DEFAULT_ROOT / "scenario.schema.json").read_text()
    assert committed == json_schema(), "scenario.schema.json is stale: run `make schema`"


def test_every_scenario_validates_against_the_committed_schema() -> None:
    schema = json.loads((DEFAULT_ROOT / "scenario.schema.json").read_text())
    for path in sorted(DEFAULT_ROOT.rglob("*.yaml")):
        # Plans, evaluation sets and loop files are not scenarios.
        parts = path.relative_to(DEFAULT_ROOT).parts
        if path.name.endswith(PLANS_SUFFIX) or NOT_SCENARIOS & set(parts):
            continue
        data, _ = read_yaml(path)
        # `use:` entries are expanded at load; the schema describes the file as written
        jsonschema.validate(data, schema)
