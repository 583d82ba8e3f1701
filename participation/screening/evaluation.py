"""Measure the screening rules on a labelled set of texts (used by tests and benchmarks)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from participation.screening.rules import PERSONAL_INFO
from participation.screening.services import screen_text


@dataclass(frozen=True)
class Case:
    text: str
    urgent: bool
    personal_info: bool


@dataclass
class Report:
    cases: int = 0
    urgent: int = 0
    urgent_found: int = 0
    not_urgent: int = 0
    wrongly_urgent: int = 0
    personal: int = 0
    personal_found: int = 0
    personal_false: int = 0
    mistakes: list[str] = field(default_factory=list)

    @property
    def urgent_recall(self) -> float:
        return self.urgent_found / self.urgent if self.urgent else 1.0

    @property
    def false_urgent_rate(self) -> float:
        return self.wrongly_urgent / self.not_urgent if self.not_urgent else 0.0

    @property
    def personal_recall(self) -> float:
        return self.personal_found / self.personal if self.personal else 1.0


def load_cases(path: Path) -> list[Case]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [Case(str(c["text"]), bool(c["urgent"]), bool(c["personal_info"])) for c in data]


def evaluate(cases: list[Case], locale: str) -> Report:
    report = Report()
    for case in cases:
        result = screen_text(case.text, locale)
        found_personal = PERSONAL_INFO in result.categories
        report.cases += 1
        if case.urgent:
            report.urgent += 1
            report.urgent_found += result.urgent
        else:
            report.not_urgent += 1
            report.wrongly_urgent += result.urgent
        if case.personal_info:
            report.personal += 1
            report.personal_found += found_personal
        else:
            report.personal_false += found_personal
        if result.urgent != case.urgent or found_personal != case.personal_info:
            report.mistakes.append(
                f"{locale}: expected urgent={case.urgent} personal={case.personal_info}, "
                f"got {result.categories}: {case.text!r}"
            )
    return report
