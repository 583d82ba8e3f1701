"""The one suppression rule, on its own: small cells hidden, others rounded, shares only when
safe, and no hidden cell recoverable from published totals and shares."""

from __future__ import annotations

import itertools
import random

import pytest

from participation.reports.privacy import (
    DEFAULT_THRESHOLD,
    Protected,
    check_threshold,
    protect,
    share,
    shares,
)


@pytest.mark.parametrize(("count", "shown"), [
    (0, "0"), (1, "<10"), (9, "<10"), (10, "10"), (12, "10"), (13, "15"), (17, "15"),
    (18, "20"), (1_234, "1235"),
])
def test_counts(count: int, shown: str) -> None:
    assert protect(count).as_export() == shown


def test_the_threshold_is_a_bounded_setting() -> None:
    assert protect(6, 5) == Protected(5, False, 5)
    assert protect(19, 20).below
    for wrong in (4, 21, 0):
        with pytest.raises(ValueError, match="between 5 and 20"):
            check_threshold(wrong)
    with pytest.raises(ValueError):
        protect(-1)


@pytest.mark.parametrize(("numerator", "denominator", "expected"), [
    (0, 9, None),  # too few in all
    (0, 10, 0.0), (10, 10, 100.0), (5, 40, None), (12, 40, 30.0), (1, 1_000, None),
])
def test_shares_only_when_safe(numerator: int, denominator: int,
                               expected: float | None) -> None:
    assert share(numerator, denominator) == expected


def test_one_hidden_category_takes_another_with_it() -> None:
    """100 minus the shown percentages would reveal a lone hidden one."""
    result = shares({"agree": 30, "unsure": 12, "disagree": 0, "confused": 3})
    assert result["confused"] is None and result["unsure"] is None  # the smallest non-zero
    assert result == {"agree": 66.7, "unsure": None, "disagree": 0.0, "confused": None}
    assert shares({"agree": 8, "unsure": 1}) == {"agree": None, "unsure": None}  # 9 in all
    assert None not in shares({"agree": 20, "unsure": 10, "disagree": 0}).values()


def consistent_values(shown: Protected, threshold: int) -> range:
    """Every raw count that publishes as ``shown``."""
    if not shown.below:
        assert shown.value is not None
        if shown.value == 0:
            return range(0, 1)
        return range(max(threshold, shown.value - 2), shown.value + 3)
    return range(1, threshold)


def test_no_hidden_cell_is_recovered_from_totals() -> None:
    """An attacker sees a protected total and protected cells (a language breakdown with its
    total, as a page or an export shows it). For random tables, every hidden cell still has
    at least two possible values given everything published."""
    rng = random.Random(2029)
    threshold = DEFAULT_THRESHOLD
    for _ in range(300):
        cells = [rng.choice([0, rng.randint(1, 9), rng.randint(10, 60)]) for _ in range(3)]
        shown_cells = [protect(count, threshold) for count in cells]
        shown_total = protect(sum(cells), threshold)
        for index, cell in enumerate(shown_cells):
            if not cell.below:
                continue
            possible = set()
            ranges = [consistent_values(other, threshold) for other in shown_cells]
            for combo in itertools.product(*ranges):
                if protect(sum(combo), threshold) == shown_total:
                    possible.add(combo[index])
            assert cells[index] in possible
            assert len(possible) >= 2, (cells, possible)


def test_no_lone_hidden_share_is_recovered_by_subtraction() -> None:
    rng = random.Random(7)
    for _ in range(500):
        counts = {key: rng.choice([0, rng.randint(1, 9), rng.randint(10, 50)])
                  for key in ("agree", "unsure", "disagree", "confused")}
        result = shares(counts)
        hidden = [key for key, value in result.items() if value is None]
        assert len(hidden) != 1, (counts, result)
