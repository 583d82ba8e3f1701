"""The prefilter is an optimisation only: it must find exactly what running every pattern finds."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from participation.screening.evaluation import load_cases
from participation.screening.normalise import normalise
from participation.screening.prefilter import DIGIT, PatternSet, required_literals
from participation.screening.rules import load_rules

CASES = Path(__file__).parent / "cases"


@pytest.mark.parametrize(
    ("pattern", "literals"),
    [
        (r"\bkill(?:ing|ed)? (?:my ?self|meself)\b", {"kill"}),
        (r"\bi (?:\w+ ){0,3}?(?:want|wish) to die\b", {"want to die", "wish to die"}),
        (r"\b(?:my )?(?:dad|mum) hits me\b", {"dad hits me", "mum hits me"}),
        (r"(?:a|b)?c", {"c"}),
        (r"[\w.]+@[\w.]+", {"@"}),
        (r"\+?\d{9,}", DIGIT),
        (r"\w+", None),
        (r"(?:x|\w+)", None),
    ],
)
def test_required_literals(pattern: str, literals: set[str] | None) -> None:
    assert required_literals(pattern) == (frozenset(literals) if literals is not None else None)


def covered(matches: list[tuple[str, int, int]]) -> set[tuple[str, int]]:
    """Which characters each name flags: what highlighting and redaction depend on.
    (Scanning from a window's start may split overlapping matches differently.)"""
    return {(name, i) for name, start, end in matches for i in range(start, end)}


def naive(patterns: PatternSet, text: str) -> set[tuple[str, int]]:
    return covered([(n, *m.span()) for n, regex in patterns.entries for m in regex.finditer(text)])


def filtered(patterns: PatternSet, text: str) -> set[tuple[str, int]]:
    return covered([(name, *m.span()) for name, m in patterns.finditer(text)])


@pytest.mark.parametrize("locale", ["fr", "en", "es"])
def test_prefilter_finds_what_every_pattern_finds(locale: str) -> None:
    rules = load_rules(locale)
    texts = [case.text for case in load_cases(CASES / f"{locale}.yaml")]
    rng = random.Random(11)
    texts += [" ".join(rng.sample(texts, 12))[:1000] for _ in range(40)]
    for text in texts:
        canonical = normalise(text, rules.substitutions).text
        for patterns, haystack in (
            (rules.harm, canonical),
            (rules.insults, canonical),
            (rules.personal_canonical, canonical),
            (rules.personal_original, text),
        ):
            assert filtered(patterns, haystack) == naive(patterns, haystack), text
