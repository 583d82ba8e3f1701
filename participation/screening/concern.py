"""A wider net for indirect disclosures: worrying words adding up inside one sentence.

Children rarely write "my father abuses me". They write "im scared to go home", "theres no food
again and mum is asleep", "he says its our secret". Phrase patterns miss many of these, so each
sentence is also scored: every cue word or phrase from the language's ``concern.cues`` adds its
weight once, ``softeners`` (jokes, general statements) take some away, and a sentence about the
child or someone they know (``concern.people``) that reaches ``concern.threshold`` is urgent.
Screening only sets priority: a false alarm costs an adult a minute; a miss can cost a child.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import ahocorasick

_SENTENCE_RE = re.compile(r"[^.!?;\n]+[.!?;\n]*")


@dataclass(frozen=True)
class ConcernRules:
    threshold: int
    people: frozenset[str]
    automaton: Any  # " cue " (or " prefix" for cues ending in *) -> (cue, weight)

    @classmethod
    def from_data(cls, data: dict[str, Any] | None, where: str) -> ConcernRules | None:
        if not data:
            return None
        weights: dict[str, int] = {}
        for section in ("cues", "softeners"):
            for cue, weight in (data.get(section) or {}).items():
                if not isinstance(weight, int):
                    raise ValueError(f"{where}: concern.{section}.{cue}: weight must be a number")
                weights[str(cue)] = weight
        automaton = ahocorasick.Automaton()
        for cue, weight in weights.items():
            key = f" {cue[:-1]}" if cue.endswith("*") else f" {cue} "
            automaton.add_word(key, (cue, weight))
        automaton.make_automaton()
        return cls(
            threshold=int(data.get("threshold", 3)),
            people=frozenset(str(word) for word in data.get("people") or []),
            automaton=automaton,
        )

    def score(self, canonical_sentence: str) -> int:
        """The sentence's concern score (0 when it is not about the child or someone close)."""
        padded = f" {canonical_sentence} "
        if not self.people.intersection(canonical_sentence.split()):
            return 0
        seen: dict[str, int] = {}
        for _end, (cue, weight) in self.automaton.iter(padded):
            seen[cue] = weight
        return sum(seen.values())


def sentences(text: str) -> list[tuple[int, int]]:
    """Spans of the text's sentences (a line break also ends one: children rarely punctuate)."""
    return [match.span() for match in _SENTENCE_RE.finditer(text) if match.group().strip()]
