"""Screening quality on a held-out, synthetic, labelled set (tests/screening/cases/*.yaml).

The cases were written independently of the rules. Targets from the issue: urgent recall at
least 95%, ordinary feedback wrongly marked urgent at most 5%, personal-details recall at least
90%, per language. benchmarks/screening.py prints the same figures and the speed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from participation.screening.evaluation import evaluate, load_cases

CASES = Path(__file__).parent / "cases"


@pytest.mark.parametrize("locale", ["fr", "en", "es"])
def test_screening_meets_targets(locale: str) -> None:
    cases = load_cases(CASES / f"{locale}.yaml")
    assert len(cases) >= 40
    report = evaluate(cases, locale)
    misses = "\n".join(report.mistakes)
    assert report.urgent_recall >= 0.95, misses
    assert report.false_urgent_rate <= 0.05, misses
    assert report.personal_recall >= 0.90, misses
