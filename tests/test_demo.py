"""`flask seed-demo` gives a fresh demo something in every panel and every queue, once."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select

from participation.accounts.models import Role
from participation.committees.models import CommitteeSession, SessionStatus
from participation.db import db
from participation.feedback.models import Submission, SubmissionSource, SubmissionStatus
from participation.plans.content import PlanContent
from participation.screening.services import Priority
from tests.conftest import make_staff


def test_seed_demo_fills_every_part_and_lane_once(app: Flask, runner: FlaskCliRunner,
                                                  demo_plan: PlanContent) -> None:
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "Demo ideas in fr" in result.output and "Added" in result.output
    assert "Demo committee: skipped (create the demo staff accounts first" in result.output
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


def test_seed_demo_records_a_committee_through_the_real_services(
        app: Flask, runner: FlaskCliRunner, client: FlaskClient,
        demo_plan: PlanContent) -> None:
    for email, role in (("facilitator@demo.invalid", Role.FACILITATOR),
                        ("safeguarding_lead@demo.invalid", Role.SAFEGUARDING_LEAD),
                        ("admin@demo.invalid", Role.ADMIN)):
        make_staff(app, email, role, with_totp=False)
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "Demo committee: one session sent (4 statements" in result.output
    with app.app_context():
        statuses = sorted(db.session.scalars(select(CommitteeSession.status)).all())
        assert statuses == [SessionStatus.DRAFT, SessionStatus.IN_REVIEW]
        sent = db.session.scalars(select(Submission).where(
            Submission.source == SubmissionSource.COMMITTEE)).all()
        assert sorted(item.status for item in sent) == [SubmissionStatus.APPROVED] + [
            SubmissionStatus.PENDING] * 3
        assert all(item.submitted_by_id is not None for item in sent)
    page = client.get("/fr/plan/priority-1").get_data(as_text=True)
    assert "Que chaque école ait un conseil des enfants" in page
    assert "Quelques-uns pensent" not in page  # waiting for a reviewer: children never see it
    assert "already there" in runner.invoke(args=["seed-demo"]).output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CommitteeSession)) == 2
