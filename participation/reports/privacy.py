"""Children's privacy in every number: the one suppression rule that every summary page,
chart and export applies (never a second copy of it).

- 0 shows as 0 (nobody is not a person);
- 1 to threshold - 1 shows as "fewer than <threshold>" (a small group could be recognised);
- threshold and more is rounded to the nearest 5, so differences between published totals
  and published cells cannot be subtracted back to a hidden cell;
- a percentage is shown only when its denominator reaches the threshold and its numerator is
  0 or reaches it too.

Totals are computed from the raw data and then protected like any cell (never summed from
protected cells). The threshold is a setting between 5 and 20 (10 by default).
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_THRESHOLD = 10
MIN_THRESHOLD, MAX_THRESHOLD = 5, 20
ROUND_TO = 5


def check_threshold(threshold: int) -> int:
    """``threshold`` if it is an allowed setting, else ValueError."""
    if not MIN_THRESHOLD <= threshold <= MAX_THRESHOLD:
        raise ValueError(f"the threshold must be between {MIN_THRESHOLD} and {MAX_THRESHOLD}")
    return threshold


@dataclass(frozen=True)
class Protected:
    """A count as it may be published: ``value`` (exact 0, or rounded), or ``below`` the
    threshold (then ``value`` is None)."""

    value: int | None
    below: bool
    threshold: int

    @property
    def hidden(self) -> bool:
        return self.below

    def as_export(self) -> str:
        """The cell of an export: digits, or "<10" (no words to translate in a data file)."""
        return f"<{self.threshold}" if self.below else str(self.value)


def protect(count: int, threshold: int = DEFAULT_THRESHOLD) -> Protected:
    """The publishable form of a raw count of children (or of their ideas or reactions)."""
    check_threshold(threshold)
    if count < 0:
        raise ValueError("a count cannot be negative")
    if count == 0:
        return Protected(0, False, threshold)
    if count < threshold:
        return Protected(None, True, threshold)
    return Protected(ROUND_TO * round(count / ROUND_TO), False, threshold)


def share(numerator: int, denominator: int, threshold: int = DEFAULT_THRESHOLD) -> float | None:
    """``numerator / denominator`` as a percentage (0-100, one decimal), or None when it
    could reveal a small group: too few in all, or a part of them between 1 and
    threshold - 1. Computed from the raw counts, never from rounded ones."""
    check_threshold(threshold)
    if numerator < 0 or denominator < 0 or numerator > denominator:
        raise ValueError("a share needs 0 <= numerator <= denominator")
    if denominator < threshold or 0 < numerator < threshold:
        return None
    return round(100 * numerator / denominator, 1)


def shares(counts: dict[str, int], threshold: int = DEFAULT_THRESHOLD) -> dict[str, float | None]:
    """The percentage of each category of one whole (e.g. the four reactions to a part).

    Each follows ``share``; then, if exactly one category is hidden, the smallest shown one
    that is not zero is hidden too, because 100 minus the shown percentages would give the
    hidden one away (hiding a 0% would not: it adds nothing).
    """
    total = sum(counts.values())
    result = {key: share(count, total, threshold) for key, count in counts.items()}
    hidden = [key for key, value in result.items() if value is None]
    if len(hidden) == 1 and len(result) > 1:
        shown = [key for key in result if result[key] is not None and counts[key] > 0]
        result[min(shown, key=lambda key: (counts[key], key))] = None
    return result
