"""Screening commands for the people who maintain it.

* ``flask screen``: screen a text (or each line of standard input) and print its JSON.
* ``flask screening train``: rebuild the model file from the corpus (needs scikit-learn:
  ``pip install -e '.[dev]'``); ``--check`` only says whether the file is up to date.
* ``flask screening evaluate``: the figures on the corpus's held-back part and on the labelled
  sets in tests/screening/cases (see evaluation.py).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from flask.cli import AppGroup

from participation.config import SUPPORTED_LOCALES
from participation.screening.services import screen_text

if TYPE_CHECKING:
    from participation.screening.evaluation import Report


@click.command("screen")
@click.option("--locale", type=click.Choice(SUPPORTED_LOCALES), required=True)
@click.argument("text", required=False)
def screen_command(locale: str, text: str | None) -> None:
    """Screen TEXT, or each line of standard input, and print one JSON object per text
    (``urgent``, ``level``, ``score``, ``flags``, ``redacted``, ...)."""
    texts = [text] if text is not None else (line.rstrip("\n") for line in sys.stdin)
    for item in texts:
        click.echo(json.dumps(screen_text(item, locale).as_dict(), ensure_ascii=False))


screening_group = AppGroup("screening", help="Train and measure the learned screening model.")


@screening_group.command("train")
@click.option("--check", is_flag=True, help="Fail if the model file differs from a rebuild.")
def train_command(check: bool) -> None:
    """Rebuild data/model.json.gz from the corpus (seeded: the same corpus, the same file)."""
    from participation.screening.model import MODEL_PATH
    from participation.screening.training import build_model

    content = build_model(SUPPORTED_LOCALES)
    if check:
        same = MODEL_PATH.exists() and MODEL_PATH.read_bytes() == content
        click.echo("The model file is up to date." if same else "The model file is out of date.")
        if not same:
            raise SystemExit(1)
        return
    MODEL_PATH.write_bytes(content)
    click.echo(f"Wrote {MODEL_PATH} ({len(content) / 1024:.0f} KiB).")


@screening_group.command("evaluate")
@click.option("--mistakes", is_flag=True, help="Also print every case screened wrongly.")
def evaluate_command(mistakes: bool) -> None:
    """Figures on the held-back corpus and on every labelled set, per language."""
    for label, locale, report in evaluation_reports():
        click.echo(f"{locale} {label:<10} cases {report.cases:>4}  "
                   f"urgent or check soon {report.flagged_recall}  urgent {report.urgent_recall}"
                   f"  ordinary urgent {report.ordinary_wrongly_urgent}"
                   f"  hard negatives urgent {report.hard_wrongly_urgent}"
                   f"  personal {report.personal_recall}")
        if mistakes:
            for line in report.mistakes:
                click.echo(f"    {line}")


def evaluation_reports() -> list[tuple[str, str, Report]]:
    from participation.screening.evaluation import Case, evaluate, load_cases
    from participation.screening.training import read_corpus

    cases_dir = Path(__file__).resolve().parents[2] / "tests" / "screening" / "cases"
    reports: list[tuple[str, str, Report]] = []
    for locale in SUPPORTED_LOCALES:
        held = [Case(e.text, e.danger, e.personal, e.hard_negative, e.family)
                for e in read_corpus(locale, part="held_back")]
        if held:
            reports.append(("held-back", locale, evaluate(held, locale)))
        for label, folder in (("dev", cases_dir), ("holdout", cases_dir / "holdout"),
                              ("final", cases_dir / "final"), ("unseen", cases_dir / "unseen")):
            path = folder / f"{locale}.yaml"
            if path.exists():
                reports.append((label, locale, evaluate(load_cases(path), locale)))
    return reports


commands = [screen_command, screening_group]
