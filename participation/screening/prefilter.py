"""Run only the patterns that can match: one Aho-Corasick pass finds which are worth trying.

Disclosure patterns are long alternations with optional gaps; running a few hundred of them over
a 1,000-character text costs milliseconds. Almost every pattern needs at least one of a few
literal strings to appear ("hits", "frappe", "pega"...). :func:`required_literals` reads that set
from the pattern itself (so the people who maintain the rules files never declare it), and
:class:`PatternSet` scans the text once for all of them with pyahocorasick, then runs just the
patterns whose literals were seen. A pattern with no required literal always runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any

import ahocorasick

Literals = frozenset[str] | None
# Stands for "any digit" (a pattern that needs \d cannot match a text without digits).
DIGIT = frozenset({"\x00digit"})

_REPEATS = {sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", sre.MAX_REPEAT)}


_RARE_SIGNS = frozenset("@#")


def _rarity(literal: str) -> int:
    """Longer literals are rarer; " to " counts as 2 (spaces are everywhere); "@" as 3."""
    if literal in DIGIT:
        return 2
    core = literal.strip()
    return 3 if core in _RARE_SIGNS else len(core)


def _strength(literals: frozenset[str]) -> tuple[int, int]:
    return min(_rarity(x) for x in literals), -len(literals)


def _best(candidates: list[frozenset[str]]) -> Literals:
    """The most selective of the sets the pattern requires (all of them must be present)."""
    return max(candidates, key=_strength) if candidates else None


_MAX_PRODUCT = 256


def _exact(op: Any, av: Any) -> set[str] | None:
    """The exact strings an item matches, if it is made only of literals and alternations."""
    if op is sre.LITERAL:
        return {chr(av)}
    if op is sre.SUBPATTERN:
        return _exact_sequence(av[-1])
    if op is sre.BRANCH:
        union: set[str] = set()
        for alternative in av[1]:
            strings = _exact_sequence(alternative)
            if strings is None:
                return None
            union |= strings
        return union if len(union) <= _MAX_PRODUCT else None
    return None


def _exact_sequence(items: Any) -> set[str] | None:
    product = {""}
    for op, av in items:
        if op is sre.AT:
            continue
        strings = _exact(op, av)
        if strings is None or len(product) * len(strings) > _MAX_PRODUCT:
            return None
        product = {a + b for a in product for b in strings}
    return product


def _sequence(items: Any) -> Literals:
    """Consecutive exact items are joined ("w" + (ant|ish) -> want, wish); every other item
    that requires something is a candidate of its own; the most selective candidate wins."""
    candidates: list[frozenset[str]] = []
    run: set[str] = {""}
    for op, av in items:
        if op is sre.AT:  # \b, ^, $: zero-width, they do not break a literal run
            continue
        strings = _exact(op, av)
        if strings is not None and len(run) * len(strings) <= _MAX_PRODUCT:
            run = {a + b for a in run for b in strings}
            continue
        if run != {""}:
            candidates.append(frozenset(run))
        run = {""}
        if strings is not None:
            run = strings
            continue
        found = _item(op, av)
        if found is not None:
            candidates.append(found)
    if run != {""}:
        candidates.append(frozenset(run))
    candidates = [c for c in candidates if "" not in c]
    return _best(candidates)


def _item(op: Any, av: Any) -> Literals:
    if op is sre.SUBPATTERN:
        return _sequence(av[-1])
    if op is sre.BRANCH:
        union: set[str] = set()
        for alternative in av[1]:
            found = _sequence(alternative)
            if found is None:
                return None  # one alternative needs nothing, so the branch needs nothing
            union |= found
        return frozenset(union)
    if op in _REPEATS:
        low, _high, body = av
        return _sequence(body) if low >= 1 else None
    if op is sre.IN and av == [(sre.CATEGORY, sre.CATEGORY_DIGIT)]:
        return DIGIT  # \d: at least the text must contain a digit
    return None  # other classes, lookarounds, backreferences: no literal can be relied on


def required_literals(pattern: str) -> Literals:
    """Strings at least one of which appears in any text the pattern matches, or None."""
    if "(?i" in pattern:
        return None
    try:
        return _sequence(_parser.parse(pattern))
    except Exception:  # an unusual construct: simply always run the pattern
        return None


_DIGIT_RE = re.compile(r"\d+")
_MAX_WINDOWS = 4


def _merge(spans: Any) -> list[tuple[int, int]]:
    """Sorted, non-overlapping spans covering the same characters."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
# A match lies within this many characters of its literal: patterns describe one sentence
# (the longest match on the labelled cases is 69 characters).
WINDOW = 120


class PatternSet:
    """Named compiled patterns, tried only near the literals they require.

    ``ignore_case``: the patterns were compiled case-insensitively and run on original text, so
    literals are looked for in a lowercased copy.
    """

    def __init__(self, entries: list[tuple[str, re.Pattern[str]]], *, ignore_case: bool = False):
        self.entries = entries
        self.ignore_case = ignore_case
        self.always: list[int] = []
        self.need_digit: list[int] = []
        index: dict[str, list[int]] = {}
        for number, (_name, regex) in enumerate(entries):
            literals = required_literals(regex.pattern)
            if not literals or _strength(literals)[0] < 2:
                self.always.append(number)
                continue
            if DIGIT <= literals:  # "a digit, or one of these": any digit opens the whole text
                self.need_digit.append(number)
                literals = literals - DIGIT
            for literal in literals:
                key = literal.lower() if ignore_case else literal
                index.setdefault(key, []).append(number)
        self.automaton: Any = None
        if index:
            self.automaton = ahocorasick.Automaton()
            for literal, numbers in index.items():
                self.automaton.add_word(literal, (len(literal), tuple(numbers)))
            self.automaton.make_automaton()

    def _windows(self, text: str) -> dict[int, list[tuple[int, int]]]:
        """For each pattern worth trying, the stretches of text where it could match."""
        windows: dict[int, list[tuple[int, int]]] = {n: [(0, len(text))] for n in self.always}
        if self.need_digit:
            near_digits = _merge(
                (max(0, m.start() - WINDOW), min(len(text), m.end() + WINDOW))
                for m in _DIGIT_RE.finditer(text)
            )
            if near_digits:
                windows.update({n: list(near_digits) for n in self.need_digit})
        if self.automaton is None:
            return windows
        haystack = text.lower() if self.ignore_case else text
        whole = [(0, len(text))]
        found: dict[int, list[tuple[int, int]]] = {}
        for end, (length, numbers) in self.automaton.iter(haystack):
            span = (max(0, end + 1 - length - WINDOW), min(len(text), end + 1 + WINDOW))
            for number in numbers:
                spans = found.get(number)
                if spans is None:
                    found[number] = [span]
                elif spans is not whole:
                    # Many hits: scanning the whole text once is cheaper than many windows.
                    if len(spans) >= _MAX_WINDOWS:
                        found[number] = whole
                    else:
                        spans.append(span)
        for number, spans in found.items():
            earlier = windows.get(number, [])
            windows[number] = whole if spans is whole else _merge([*earlier, *spans])
        return windows

    def finditer(self, text: str) -> Iterator[tuple[str, re.Match[str]]]:
        """(name, match) for every match of every pattern, each found once."""
        for number, spans in sorted(self._windows(text).items()):
            name, regex = self.entries[number]
            seen: set[tuple[int, int]] = set()
            for start, end in spans:
                for match in regex.finditer(text, start, end):
                    if match.span() not in seen:
                        seen.add(match.span())
                        yield name, match
