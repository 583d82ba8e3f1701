"""Loading plans: created and updated in place, retired not deleted, nothing half-loaded."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from participation.db import db
from participation.plans.content import PlanContent
from participation.plans.models import GlossaryTerm, Plan, Section, SectionText
from participation.plans.readability import TARGET_READING_EASE, reading_ease
from participation.plans.services import PlanVersionError, load_plan
from tests.conftest import DEMO_PLAN


def count(model: type) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def test_load_demo_plan(app: Flask, demo_content: PlanContent) -> None:
    with app.app_context():
        report = load_plan(demo_content)
        db.session.commit()
        assert report.created
        assert count(Plan) == 1
        assert count(Section) == 9
        assert count(SectionText) == 27
        assert count(GlossaryTerm) == 3 * len(demo_content.locales["fr"].glossary)


def test_demo_texts_are_easy_to_read(app: Flask, demo_content: PlanContent) -> None:
    """The issue's bar: every simplified text reaches 70 in every language."""
    with app.app_context():
        report = load_plan(demo_content)
        low = [s for s in report.scores if s.simple < TARGET_READING_EASE]
        assert len(report.scores) == 27
        assert low == []


def test_reload_updates_in_place_and_retires_missing_sections(
    app: Flask, demo_content: PlanContent
) -> None:
    with app.app_context():
        load_plan(demo_content)
        db.session.commit()
        ids = dict(db.session.execute(select(Section.slug, Section.id)).all())

        shorter = dataclasses.replace(
            demo_content, version=2, sections=demo_content.sections[:-1]
        )
        report = load_plan(shorter)
        db.session.commit()
        assert not report.created
        after = dict(db.session.execute(select(Section.slug, Section.id)).all())
        assert after == ids  # same rows: anything pointing at a section keeps pointing at it
        retired = db.session.scalar(select(Section).where(Section.slug == "take-part"))
        assert retired is not None and retired.retired_at is not None

        load_plan(dataclasses.replace(demo_content, version=3))
        db.session.commit()
        db.session.refresh(retired)
        assert retired.retired_at is None


def test_older_version_is_refused(app: Flask, demo_content: PlanContent) -> None:
    with app.app_context():
        load_plan(dataclasses.replace(demo_content, version=5))
        db.session.commit()
        with pytest.raises(PlanVersionError):
            load_plan(demo_content)


def test_reading_ease_formulas() -> None:
    easy = {"en": "The cat sat on the mat. It is a big cat.",
            "fr": "Le chat est sur le lit. Il dort bien.",
            "es": "El gato come. La casa es azul."}
    hard = {"en": "Institutional accountability mechanisms necessitate comprehensive implementation.",
            "fr": "Les mécanismes institutionnels nécessitent une implémentation systématique.",
            "es": "Los mecanismos institucionales necesitan una implementación sistemática."}
    for locale in easy:
        assert reading_ease(easy[locale], locale) > 90
        assert reading_ease(hard[locale], locale) < 40
    assert reading_ease("   ", "en") == 0.0


def test_cli_load_plan_and_readability(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["load-plan", str(DEMO_PLAN)])
    assert result.exit_code == 0, result.output
    assert "Created plan 'crc-2025-2029' version 1." in result.output
    result = runner.invoke(args=["plan-readability"])
    assert result.exit_code == 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 + 27
    assert "Fernández-Huerta" in result.output and "< target" not in result.output


def test_cli_malformed_file_changes_nothing(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    folder = tmp_path / "plan"
    shutil.copytree(DEMO_PLAN, folder)
    data = yaml.safe_load((folder / "es.yaml").read_text(encoding="utf-8"))
    del data["sections"]["values"]["title"]
    (folder / "es.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

    result = runner.invoke(args=["load-plan", str(folder)])
    assert result.exit_code == 1
    assert f"{folder / 'es.yaml'}: sections.values.title" in result.output
    with app.app_context():
        assert count(Plan) == count(Section) == count(GlossaryTerm) == 0


def test_cli_refuses_downgrade(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "plan"
    shutil.copytree(DEMO_PLAN, folder)
    assert runner.invoke(args=["load-plan", str(DEMO_PLAN)]).exit_code == 0
    spec = yaml.safe_load((folder / "plan.yaml").read_text())
    spec["version"] = 0
    (folder / "plan.yaml").write_text(yaml.safe_dump(spec))
    result = runner.invoke(args=["load-plan", str(folder)])
    assert result.exit_code == 1 and "version: must be a whole number" in result.output
