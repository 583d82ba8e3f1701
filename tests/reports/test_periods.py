"""Consultation periods: only activity within their dates counts, and once closed their
figures are frozen (protected, with the threshold of that moment): later activity, a new
threshold or other filters change nothing."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from participation.accounts.models import Role, User
from participation.audit.models import AuditEvent
from participation.db import db
from participation.feedback.models import Reaction, ReactionKind, Submission, SubmissionStatus
from participation.plans.content import PlanContent
from participation.plans.models import Plan, Section
from participation.reports import queries
from participation.reports.models import ConsultationPeriod
from participation.reports.periods import PeriodError, close_period, create_period
from participation.reports.settings import change_threshold
from tests.conftest import csrf_token, make_staff

INSIDE = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
LAST_DAY = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)
AFTER = datetime(2026, 4, 1, 0, 30, tzinfo=UTC)


def parts() -> tuple[int, list[int]]:
    plan = db.session.scalars(select(Plan)).one()
    return plan.id, list(db.session.scalars(
        select(Section.id).where(Section.plan_id == plan.id).order_by(Section.position)))


def react(section_id: int, n: int, when: datetime, kind: ReactionKind = ReactionKind.AGREE,
          locale: str = "fr") -> None:
    for _ in range(n):
        db.session.add(Reaction(section_id=section_id, child_token_hash=uuid.uuid4().hex,
                                kind=kind, locale=locale, created_at=when))


def part_row(summary: queries.ReactionSummary, section_id: int,
             group: str | None) -> queries.ReactionRow:
    return next(r for r in summary.rows
                if r.part and r.part.section_id == section_id and r.group == group)


def march(plan_id: int, organiser_id: int) -> ConsultationPeriod:
    period = create_period(plan_id, "  March   consultation ", date(2026, 3, 1),
                           date(2026, 3, 31), db.session.get_one(User, organiser_id))
    db.session.commit()
    return period


def test_a_period_counts_only_activity_within_its_dates(
        app: Flask, demo_plan: PlanContent) -> None:
    organiser = make_staff(app, "org@example.org", Role.ORGANISER)
    with app.app_context():
        plan_id, ids = parts()
        react(ids[0], 12, INSIDE)
        react(ids[0], 3, LAST_DAY)
        react(ids[0], 20, AFTER)
        db.session.add(Submission(public_id=uuid.uuid4().hex, plan_id=plan_id,
                                  section_id=ids[0], locale="fr", body="x",
                                  status=SubmissionStatus.APPROVED, created_at=AFTER,
                                  child_token_hash="c"))
        db.session.commit()
        period = march(plan_id, organiser.id)
        assert period.name == "March consultation"
        summary = queries.reaction_summary(plan_id, by=None, period=period)
        assert part_row(summary, ids[0], None).children.raw == 15
        ideas = queries.idea_summary(plan_id, by=None, period=period)
        assert all(row.total.raw == 0 for row in ideas.rows)
        assert [w.label for w in queries.weekly_participation(plan_id, period).rows] == [
            "2026-W11", "2026-W12", "2026-W13", "2026-W14"]


def test_a_closed_period_is_frozen_against_later_activity_and_threshold_changes(
        app: Flask, demo_plan: PlanContent) -> None:
    organiser = make_staff(app, "org@example.org", Role.ORGANISER)
    admin = make_staff(app, "admin@example.org", Role.ADMIN)
    with app.app_context():
        plan_id, ids = parts()
        react(ids[0], 23, INSIDE)
        react(ids[0], 7, INSIDE, kind=ReactionKind.CONFUSED, locale="es")
        db.session.commit()
        period = march(plan_id, organiser.id)
        close_period(period, db.session.get_one(User, organiser.id))
        db.session.commit()
        assert period.is_closed and period.snapshot_threshold == 10
        # The snapshot holds protected figures only: no raw 23 or 7 anywhere in it.
        stored = json.dumps(period.snapshot)
        assert '"value": 23' not in stored and '"value": 7' not in stored

        before = queries.reaction_summary(plan_id, by="locale", period=period)
        # Later: more children inside the dates (a late sync), and a smaller threshold.
        react(ids[0], 40, INSIDE, locale="es")
        change_threshold(5, db.session.get_one(User, admin.id))
        db.session.commit()
        db.session.refresh(period)
        after = queries.reaction_summary(plan_id, by="locale", period=period)
        assert after.frozen and after.threshold == 10
        assert after.rows == before.rows
        spanish = part_row(after, ids[0], "es")
        assert spanish.children.protected(5).below  # still "fewer than 10", not "5"
        assert spanish.children.protected(5).threshold == 10
        assert part_row(after, ids[0], "fr").children.protected(5).value == 25
        assert part_row(after, ids[0], None).shares(5)["confused"] is None
        # Other dimensions come from the same snapshot: no live query narrows a cell.
        by_age = queries.reaction_summary(plan_id, by="age_band", period=period)
        assert part_row(by_age, ids[0], "not_given").children.protected(5).value == 30
        assert queries.idea_summary(plan_id, by="locale", period=period).frozen
        assert queries.committee_positions(plan_id, period).frozen
        assert queries.weekly_participation(plan_id, period).frozen
        # Without the period, the live figures move on.
        live = queries.reaction_summary(plan_id, by="locale")
        assert part_row(live, ids[0], "es").children.raw == 47


def test_closing_is_audited_and_happens_once(app: Flask, demo_plan: PlanContent) -> None:
    organiser = make_staff(app, "org@example.org", Role.ORGANISER)
    with app.app_context():
        plan_id, _ids = parts()
        period = march(plan_id, organiser.id)
        user = db.session.get_one(User, organiser.id)
        close_period(period, user)
        db.session.commit()
        with pytest.raises(PeriodError) as refused:
            close_period(period, user)
        assert refused.value.code == "already_closed"
        actions = list(db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.object_type == "consultation_period").order_by(AuditEvent.id)))
        assert actions == ["reports.period_created", "reports.period_closed"]


def test_a_stale_copy_cannot_close_it_twice(app: Flask, demo_plan: PlanContent) -> None:
    """Two organisers press "close" at once: the conditional update lets one through."""
    organiser = make_staff(app, "org@example.org", Role.ORGANISER)
    with app.app_context():
        plan_id, _ids = parts()
        period = march(plan_id, organiser.id)
        db.session.execute(ConsultationPeriod.__table__.update().values(
            closed_at=INSIDE, snapshot={}, snapshot_threshold=10))
        # This session's copy still says open.
        with pytest.raises(PeriodError):
            close_period(period, db.session.get_one(User, organiser.id))
        db.session.rollback()


@pytest.mark.parametrize(("name", "start", "end", "code"), [
    ("", date(2026, 3, 1), date(2026, 3, 31), "bad_name"),
    ("x" * 121, date(2026, 3, 1), date(2026, 3, 31), "bad_name"),
    ("Backwards", date(2026, 3, 31), date(2026, 3, 1), "bad_dates"),
])
def test_bad_periods_are_refused(app: Flask, demo_plan: PlanContent, name: str, start: date,
                                 end: date, code: str) -> None:
    organiser = make_staff(app, "org@example.org", Role.ORGANISER)
    with app.app_context():
        plan_id, _ids = parts()
        with pytest.raises(PeriodError) as refused:
            create_period(plan_id, name, start, end, db.session.get_one(User, organiser.id))
        assert refused.value.code == code


def test_facilitators_cannot_open_periods(app: Flask, demo_plan: PlanContent) -> None:
    facilitator = make_staff(app, "fac@example.org", Role.FACILITATOR)
    with app.app_context():
        plan_id, _ids = parts()
        with pytest.raises(PeriodError):
            create_period(plan_id, "Mine", date(2026, 3, 1), date(2026, 3, 2),
                          db.session.get_one(User, facilitator.id))


def test_organisers_open_and_close_a_period_over_http(
        app: Flask, demo_plan: PlanContent, staff_client: Callable[..., FlaskClient]) -> None:
    client = staff_client("org@example.org", Role.ORGANISER)
    with app.app_context():
        plan_id, ids = parts()
        react(ids[0], 12, INSIDE)
        db.session.commit()
    token = csrf_token(client, "/staff/reports/periods")
    response = client.post("/staff/reports/periods", data={
        "csrf_token": token, "name": "Spring", "plan": str(plan_id),
        "starts_on": "2026-03-01", "ends_on": "2026-03-31"})
    assert response.status_code == 302
    with app.app_context():
        period = db.session.scalars(select(ConsultationPeriod)).one()
        public_id = period.public_id
    page = client.get(f"/staff/reports?period={public_id}&plan={plan_id}").get_data(as_text=True)
    assert "Only what children did from" in page
    response = client.post(f"/staff/reports/periods/{public_id}/close",
                           data={"csrf_token": token})
    assert response.status_code == 302
    listing = client.get("/staff/reports/periods").get_data(as_text=True)
    assert "figures are frozen" in listing
    page = client.get(f"/staff/reports?period={public_id}&plan={plan_id}").get_data(as_text=True)
    assert "these figures were frozen" in page
    again = client.post(f"/staff/reports/periods/{public_id}/close", data={"csrf_token": token})
    assert again.status_code == 302
    assert "already closed" in client.get("/staff/reports/periods").get_data(as_text=True)
    bad = client.post("/staff/reports/periods", data={
        "csrf_token": token, "name": "Back", "plan": str(plan_id),
        "starts_on": "2026-03-31", "ends_on": "2026-03-01"})
    assert bad.status_code == 422
    assert "must not be before" in bad.get_data(as_text=True)
