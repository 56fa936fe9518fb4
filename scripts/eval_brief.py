"""Print the brief a writer of a new listening evaluation set works from.

New sets are written blind: the writer reads only this brief (what each round asks, its
hints, facts, definitions, signal names, challenges and corrections), never the phrase
lists, the rules in `interviewer/` or the existing sets, so their turns are not shaped by
what the interviewer already hears. See docs/LISTENING.md, "How it is measured".

    .venv/bin/python scripts/eval_brief.py > /tmp/brief.md
    .venv/bin/python scripts/eval_brief.py --scenarios design-rlhf-pipeline,ml-theory
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator

from interviewer import Scenario
from interviewer.loader import load_catalog

FORMAT = """\
# Writing candidate turns for the listening evaluation

Write turns a real candidate might say at a given point of a round, and the reaction a
senior interviewer would expect. Vary the people (`who`): terse, rambling, non_native,
typos (typed on a phone, no punctuation, abbreviations), stt (spoken and transcribed:
no punctuation or odd punctuation, misheard words, fillers), plain. Write in your own
words; do not reuse the scenario's own sentences.

A file is YAML:

    cases:
    - scenario: <scenario id>
      at: <node id, where the turn is said; omit for the first question>
      who: terse | rambling | non_native | typos | stt | plain
      category: <one of the categories below>
      before: ["<earlier turns, optional>"]
      say: "<the candidate's turn>"
      expect:
        reaction: next | fact | no_fact | repeat | clarify | hint | wait | challenge | correction
        side: for | against | mixed | none      # culture rounds: the stance taken, if any
        credit: [<signal ids the turn shows; `reasons` when a reason is given>]
        no_credit: [<signal ids it must NOT earn: named but turned down, or only asked about>]
        mentions: [<words the interviewer's reply must contain>]

Reactions:
- next: an answer; the interviewer goes on (follow-up, probe or next question).
- fact: the candidate asked something one of the facts answers; the reply is that fact
  (name a word of it in `mentions`) and the interviewer stays on its question.
- no_fact: asked something no fact holds; "I don't have that, state an assumption".
- repeat: asked to hear the question again.
- clarify: asked what a term means (one of the definitions, or a plain word).
- hint: doesn't know, or has no example of their own; gets the node's hint.
- wait: asked for a moment to think.
- challenge: turned down a mechanism a challenge exists for; gets that challenge.
- correction: said one of the wrong things a correction exists for.

Categories: question, clarify, repeat, dont_know, no_example, need_time, no_questions
(at the end: "nothing from me"), polarity (a mechanism turned down or negated: it earns
no credit), reasons (a position with its reason, said without "because": credit the
signal that holds the reasons, or `reasons` itself), stance (culture rounds: which
side), correctness (a wrong or a right claim where the round has a right answer),
answer (an ordinary answer).
A good set has near misses too: a question the facts do not answer, an answer that
sounds like a request ("I don't know the exact number, but I'd estimate ..."), a
mechanism named only to keep it.
"""


def brief(scenarios: list[Scenario]) -> Iterator[str]:
    yield FORMAT
    for s in scenarios:
        yield f"\n## {s.id}: {s.title} ({s.round})\n"
        if s.summary:
            yield s.summary.strip() + "\n"
        yield "\nNodes (`at`), each with its question and hint:"
        for node_id, node in s.nodes.items():
            if not node.listen:
                continue
            yield f"- {node_id}: {' '.join(node.say)}"
            if node.hint:
                yield f"  hint: {' '.join(node.hint)}"
            # `- use:` probe sets are already expanded in place when the scenario loads.
            yield from (f"  follow-up: {' '.join(p.say)}" for p in node.probes)
        if s.stance is not None:
            yield "\nStance: for / against / mixed, on the round's question."
        if s.signals:
            yield "\nSignals (ids for credit / no_credit): " + ", ".join(s.signals)
        if s.facts:
            yield "\nFacts the interviewer can give:"
            # The fact's id, not its `about` phrases: those are what the matcher listens
            # for, and a writer who read them would write the words already heard.
            yield from (f"- {f.id}: {' '.join(f.say)}" for f in s.facts)
        if s.definitions:
            yield "\nDefinitions:"
            yield from (f"- {d.term}: {' '.join(d.say)}" for d in s.definitions)
        if s.challenges:
            yield "\nChallenges (when the signal is turned down):"
            yield from (f"- {c.rejected}: {' '.join(c.say)}" for c in s.challenges)
        if s.corrections:
            yield "\nCorrections (when the signal, a known wrong claim, is said):"
            yield from (f"- {c.signal}: {' '.join(c.say)}" for c in s.corrections)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", help="comma-separated scenario ids (default: all)")
    args = parser.parse_args()
    catalog = load_catalog()
    wanted = args.scenarios.split(",") if args.scenarios else list(catalog)
    unknown = [w for w in wanted if w not in catalog]
    if unknown:
        parser.error(f"unknown scenario: {', '.join(unknown)}")
    print("\n".join(brief([catalog[w] for w in wanted])))


if __name__ == "__main__":
    main()
