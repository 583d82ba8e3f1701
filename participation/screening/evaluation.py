"""Measure screening (rules and model together) on a labelled set of texts, with confidence
intervals: used by the tests, ``flask screening evaluate`` and benchmarks/screening.py.

The figures are those of the screening issue's targets: possible disclosures found at "urgent"
or "check soon", and at "urgent"; ordinary texts and hard negatives (alarming words, safe
meaning) wrongly marked urgent; personal details found.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from participation.screening.rules import PERSONAL_INFO
from participation.screening.services import CHECK_SOON, URGENT, screen_text


@dataclass(frozen=True)
class Case:
    text: str
    danger: bool  # a safeguarding lead should read it (the sets' ``urgent`` label)
    personal: bool
    hard_negative: bool = False
    family: str = ""


@dataclass(frozen=True)
class Rate:
    hits: int
    total: int

    @property
    def value(self) -> float:
        return self.hits / self.total if self.total else float("nan")

    def interval(self, z: float = 1.96) -> tuple[float, float]:
        """Wilson's 95% score interval (sound for small sets and rates near 0 or 1)."""
        if not self.total:
            return float("nan"), float("nan")
        p, n = self.value, self.total
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        return max(0.0, centre - half), min(1.0, centre + half)

    def __str__(self) -> str:
        if not self.total:
            return "n/a"
        low, high = self.interval()
        return f"{self.hits}/{self.total} {self.value:.1%} [{low:.0%}-{high:.0%}]"


@dataclass
class Report:
    locale: str
    danger_flagged: list[bool] = field(default_factory=list)  # urgent or check soon
    danger_urgent: list[bool] = field(default_factory=list)
    ordinary_urgent: list[bool] = field(default_factory=list)
    ordinary_flagged: list[bool] = field(default_factory=list)
    hard_urgent: list[bool] = field(default_factory=list)
    hard_flagged: list[bool] = field(default_factory=list)
    personal_found: list[bool] = field(default_factory=list)
    personal_false: list[bool] = field(default_factory=list)
    mistakes: list[str] = field(default_factory=list)

    @staticmethod
    def _rate(values: list[bool]) -> Rate:
        return Rate(sum(values), len(values))

    @property
    def cases(self) -> int:
        return len(self.danger_flagged) + len(self.ordinary_urgent) + len(self.hard_urgent)

    @property
    def flagged_recall(self) -> Rate:
        return self._rate(self.danger_flagged)

    @property
    def urgent_recall(self) -> Rate:
        return self._rate(self.danger_urgent)

    @property
    def ordinary_wrongly_urgent(self) -> Rate:
        return self._rate(self.ordinary_urgent)

    @property
    def ordinary_check_soon(self) -> Rate:
        return self._rate(self.ordinary_flagged)

    @property
    def hard_wrongly_urgent(self) -> Rate:
        return self._rate(self.hard_urgent)

    @property
    def hard_check_soon(self) -> Rate:
        return self._rate(self.hard_flagged)

    @property
    def personal_recall(self) -> Rate:
        return self._rate(self.personal_found)

    @property
    def personal_false_alarms(self) -> Rate:
        return self._rate(self.personal_false)


def load_cases(path: Path) -> list[Case]:
    """A YAML set: a list of {text, urgent, personal_info[, hard_negative, family]}."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Case(str(c["text"]), bool(c["urgent"]), bool(c["personal_info"]),
             bool(c.get("hard_negative", False)),
             str(c.get("family") or ",".join(c.get("categories") or [])))
        for c in data
    ]


def evaluate(cases: list[Case], locale: str) -> Report:
    report = Report(locale)
    for case in cases:
        result = screen_text(case.text, locale)
        urgent = result.level == URGENT
        flagged = result.level in (URGENT, CHECK_SOON)
        found_personal = PERSONAL_INFO in result.categories
        if case.danger:
            report.danger_flagged.append(flagged)
            report.danger_urgent.append(urgent)
        elif case.hard_negative:
            report.hard_urgent.append(urgent)
            report.hard_flagged.append(flagged and not urgent)
        else:
            report.ordinary_urgent.append(urgent)
            report.ordinary_flagged.append(flagged and not urgent)
        (report.personal_found if case.personal else report.personal_false).append(found_personal)
        wrong = (not flagged) if case.danger else urgent
        if wrong or found_personal != case.personal:
            kind = ("danger" if case.danger
                    else "hard negative" if case.hard_negative else "ordinary")
            report.mistakes.append(
                f"{locale}: {kind} {case.family} personal={case.personal}: got {result.level} "
                f"({result.score if result.score is None else round(result.score, 3)}) "
                f"{result.categories}: {case.text!r}"
            )
    return report
