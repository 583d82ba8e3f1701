"""Screening quality (rules and model together) on labelled synthetic sets.

* ``cases/<locale>.yaml`` (dev) and ``cases/holdout/<locale>.yaml``: the first screening issue's
  sets; the rules were tuned on their misses. Here the targets must hold.
* ``cases/final/<locale>.yaml``: written after the rules were tuned, never used to tune.
* The corpus's held-back fifth (training.held_back): never read by training or tuning.
* ``cases/unseen/<locale>.yaml``: written after all tuning by a writer who never saw the rules,
  the corpus or the model. Its figures are reported as measured (benchmarks/results/screening.md);
  the floors below are those figures, so a change that makes screening worse on text it has never
  seen fails here. Raise them as screening improves; never tune on these sets.

benchmarks/screening.py prints every figure with its confidence interval.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from participation.screening.evaluation import Case, Report, evaluate, load_cases
from participation.screening.training import read_corpus

CASES = Path(__file__).parent / "cases"
LOCALES = ["fr", "en", "es"]


def check(report: Report, *, flagged: float, urgent: float, ordinary_urgent: float,
          hard_urgent: float, personal: float) -> None:
    misses = "\n".join(report.mistakes)
    assert report.flagged_recall.value >= flagged, misses
    assert report.urgent_recall.value >= urgent, misses
    if report.ordinary_wrongly_urgent.total:
        assert report.ordinary_wrongly_urgent.value <= ordinary_urgent, misses
    if report.hard_wrongly_urgent.total:
        assert report.hard_wrongly_urgent.value <= hard_urgent, misses
    assert report.personal_recall.value >= personal, misses


@pytest.mark.parametrize("locale", LOCALES)
def test_tuned_sets_meet_the_targets(locale: str) -> None:
    cases = load_cases(CASES / f"{locale}.yaml") + load_cases(CASES / "holdout" / f"{locale}.yaml")
    assert len(cases) >= 120
    check(evaluate(cases, locale), flagged=0.95, urgent=0.90, ordinary_urgent=0.03,
          hard_urgent=0.08, personal=0.95)


# Floors: the figures measured when the model was added (see the module docstring), as
# (urgent or check soon recall, urgent recall, ordinary urgent, hard negatives urgent, personal).
FLOORS = {
    "final": {"fr": (1.0, 0.888, 0.0, 0.0, 1.0), "en": (1.0, 0.833, 0.0, 0.0, 1.0),
              "es": (1.0, 0.888, 0.0, 0.0, 1.0)},
    "held_back": {"fr": (0.976, 0.364, 0.0, 0.066, 0.971), "en": (0.972, 0.461, 0.0, 0.079, 0.970),
                  "es": (0.994, 0.520, 0.0, 0.064, 0.980)},
    "unseen": {"fr": (1.0, 0.696, 0.0, 0.038, 1.0), "en": (0.969, 0.666, 0.0, 0.075, 1.0),
               "es": (1.0, 0.666, 0.0, 0.038, 1.0)},
}


def unseen_cases(label: str, locale: str) -> list[Case]:
    if label == "held_back":
        return [Case(e.text, e.danger, e.personal, e.hard_negative, e.family)
                for e in read_corpus(locale, part="held_back")]
    return load_cases(CASES / label / f"{locale}.yaml")


@pytest.mark.parametrize("label", list(FLOORS))
@pytest.mark.parametrize("locale", LOCALES)
def test_text_it_never_saw_does_not_regress(label: str, locale: str) -> None:
    cases = unseen_cases(label, locale)
    assert len(cases) >= (40 if label == "final" else 60)
    flagged, urgent, ordinary_urgent, hard_urgent, personal = FLOORS[label][locale]
    check(evaluate(cases, locale), flagged=flagged, urgent=urgent,
          ordinary_urgent=ordinary_urgent, hard_urgent=hard_urgent, personal=personal)


@pytest.mark.parametrize("locale", LOCALES)
def test_unseen_sets_are_as_the_issue_asks(locale: str) -> None:
    """At least 60 cases per language, a third of them hard negatives, with personal details."""
    cases = load_cases(CASES / "unseen" / f"{locale}.yaml")
    assert len(cases) >= 60
    assert sum(c.hard_negative for c in cases) >= len(cases) / 3
    assert sum(c.personal for c in cases) >= 12
    assert not any(c.danger and c.hard_negative for c in cases)
