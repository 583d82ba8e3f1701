"""Screening quality on synthetic, labelled sets, each written independently of the rules.

* ``cases/<locale>.yaml`` (dev) and ``cases/holdout/<locale>.yaml`` were written first; the
  rules were then tuned while looking at their misses. Here the issue's targets must hold:
  urgent recall >= 95%, ordinary feedback wrongly urgent <= 5%, personal-details recall >= 90%.
* ``cases/final/<locale>.yaml`` was written after all tuning and is never used to tune: it is
  the honest measure of texts the rules have not seen. Its floors are the figures measured
  when it was added (urgent recall 78-83%, below the 95% target); raise them as rules improve.

benchmarks/screening.py prints every figure and the speed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from participation.screening.evaluation import evaluate, load_cases

CASES = Path(__file__).parent / "cases"
LOCALES = ["fr", "en", "es"]


@pytest.mark.parametrize("locale", LOCALES)
def test_tuned_sets_meet_the_targets(locale: str) -> None:
    cases = load_cases(CASES / f"{locale}.yaml") + load_cases(CASES / "holdout" / f"{locale}.yaml")
    assert len(cases) >= 120
    report = evaluate(cases, locale)
    misses = "\n".join(report.mistakes)
    assert report.urgent_recall >= 0.95, misses
    assert report.false_urgent_rate <= 0.05, misses
    assert report.personal_recall >= 0.90, misses


@pytest.mark.parametrize("locale", LOCALES)
def test_unseen_set_does_not_regress(locale: str) -> None:
    cases = load_cases(CASES / "final" / f"{locale}.yaml")
    assert len(cases) >= 40
    report = evaluate(cases, locale)
    misses = "\n".join(report.mistakes)
    assert report.urgent_recall >= 0.77, misses
    assert report.false_urgent_rate <= 0.05, misses
    assert report.personal_recall >= 0.90, misses
