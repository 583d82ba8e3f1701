"""`flask seed-demo` gives a fresh demo something in every panel and every queue, once."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from participation.db import db
from participation.feedback.models import Submission, SubmissionStatus
from participation.plans.content import PlanContent
from participation.screening.services import Priority


def test_seed_demo_fills_every_part_and_lane_once(app: Flask, runner: FlaskCliRunner,
                                                  demo_plan: PlanContent) -> None:
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "Demo ideas in fr" in result.output and "Added" in result.output
    with app.app_context():
        rows = db.session.execute(select(Submission.status, Submission.priority,
                                         Submission.locale, Submission.section_id)).all()
    shared = {(locale, section) for status, _, locale, section in rows
              if status == SubmissionStatus.APPROVED}
    parts = {section.slug for section in demo_plan.sections}
    assert len(shared) == 3 * (len(parts) + 1)  # every part and "something missing", 3 languages
    waiting = {priority for status, priority, *_ in rows if status == SubmissionStatus.PENDING}
    assert waiting == set(Priority)
    again = runner.invoke(args=["seed-demo"])
    assert "already there" in again.output
    with app.app_context():
        assert len(db.session.scalars(select(Submission.id)).all()) == len(rows)
