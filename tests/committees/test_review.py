"""Review decisions move a committee session on: in review after the first, accepted (with its
answer due date) once every statement and caption is decided, exactly once even when two
reviewers' last decisions land together. SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from participation.accounts.models import Role, User
from participation.audit.models import AuditEvent
from participation.committees.models import CommitteeSession, SessionStatus
from participation.committees.review import answer_due, move_session_on
from participation.db import db, utcnow
from participation.feedback.models import RejectionReason, Submission, SubmissionStatus
from participation.moderation.services import (
    ReviewError,
    approve_submission,
    claim_next,
    escalate_to_safeguarding,
    keep_from_sharing,
    open_concern,
    reject_submission,
)
from participation.plans.content import PlanContent
from tests.committees.builders import make_committee
from tests.committees.review_builders import Said, Sent, submitted_session
from tests.conftest import StaffAccount, make_staff
from tests.feedback.helpers import Child
from tests.jobs.builders import URGENT_WORDS

RACES = 6


@pytest.fixture
def people(app: Flask, demo_plan: PlanContent) -> dict[str, StaffAccount]:
    return {
        "runner": make_staff(app, "runner@example.org", Role.FACILITATOR),
        "one": make_staff(app, "one@example.org", Role.FACILITATOR),
        "two": make_staff(app, "two@example.org", Role.FACILITATOR),
        "lead": make_staff(app, "lead@example.org", Role.SAFEGUARDING_LEAD),
    }


def session_of(sent: Sent) -> CommitteeSession:
    return db.session.get_one(CommitteeSession, sent.session_id, populate_existing=True)


def held(public_id: str, account: StaffAccount) -> Submission:
    """The item, claimed by ``account`` (as "Review next" would hand it over)."""
    db.session.execute(update(Submission).where(Submission.public_id == public_id).values(
        claimed_by_id=account.id, claim_expires_at=utcnow() + timedelta(minutes=15)))
    db.session.commit()
    return db.session.scalars(select(Submission).where(Submission.public_id == public_id)).one()


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_first_decision_in_review_last_decision_accepted(
        app: Flask, people: dict[str, StaffAccount]) -> None:
    runner, one = people["runner"], people["one"]
    committee = make_committee(app, facilitator_ids=(runner.id,))
    sent = submitted_session(app, committee, runner.id, said=(
        Said("Des parcs plus près des écoles."), Said("Pourquoi si peu de bus ?")),
        captions=(("values", "Notre école idéale."),))
    app.config["COMMITTEE_ANSWER_DAYS"], days = 45, app.config["COMMITTEE_ANSWER_DAYS"]
    try:
        with app.app_context():
            reviewer = db.session.get_one(User, one.id)
            approve_submission(held(sent.statements[0], one), reviewer)
            db.session.commit()
            session = session_of(sent)
            assert session.status == SessionStatus.IN_REVIEW and session.accepted_at is None
            reject_submission(held(sent.statements[1], one), reviewer,
                              RejectionReason.NOT_UNDERSTOOD)
            db.session.commit()
            assert session_of(sent).status == SessionStatus.IN_REVIEW
            approve_submission(held(sent.captions[0], one), reviewer)
            db.session.commit()
            session = session_of(sent)
            assert session.status == SessionStatus.ACCEPTED
            assert session.accepted_at is not None
            assert session.answer_due_on == session.accepted_at.date() + timedelta(days=45)
            assert [e.object_id for e in events("committee.session_in_review")] == [
                str(sent.session_id)]
            [accepted] = events("committee.session_accepted")
            assert accepted.actor_id == one.id
    finally:
        app.config["COMMITTEE_ANSWER_DAYS"] = days


def test_escalating_is_not_a_decision_but_a_leads_outcome_is(
        app: Flask, people: dict[str, StaffAccount]) -> None:
    runner, one, lead = people["runner"], people["one"], people["lead"]
    committee = make_committee(app, facilitator_ids=(runner.id,), lead_id=lead.id)
    sent = submitted_session(app, committee, runner.id, locale="en", said=(
        Said("More parks near schools."), Said(URGENT_WORDS)))
    with app.app_context():
        reviewer = db.session.get_one(User, one.id)
        leader = db.session.get_one(User, lead.id)
        escalate_to_safeguarding(held(sent.statements[0], one), reviewer, note="Not sure")
        db.session.commit()
        assert session_of(sent).status == SessionStatus.SUBMITTED  # nothing decided yet
        first = claim_next(leader)
        assert first is not None and first.public_id == sent.statements[1]  # urgent first
        keep_from_sharing(first, leader)
        db.session.commit()
        assert session_of(sent).status == SessionStatus.IN_REVIEW
        second = claim_next(leader)
        assert second is not None and second.public_id == sent.statements[0]
        open_concern(second, leader, "The group described something worrying")
        db.session.commit()
        assert session_of(sent).status == SessionStatus.ACCEPTED


def test_a_withdrawn_submission_counts_as_decided(
        app: Flask, people: dict[str, StaffAccount]) -> None:
    runner, one = people["runner"], people["one"]
    committee = make_committee(app, facilitator_ids=(runner.id,))
    sent = submitted_session(app, committee, runner.id, said=(
        Said("Des parcs plus près des écoles."), Said("Moins de devoirs.")))
    with app.app_context():
        db.session.execute(update(Submission).where(
            Submission.public_id == sent.statements[1]).values(
            status=SubmissionStatus.WITHDRAWN))
        db.session.commit()
        approve_submission(held(sent.statements[0], one), db.session.get_one(User, one.id))
        db.session.commit()
        assert session_of(sent).status == SessionStatus.ACCEPTED


def test_a_session_that_is_not_under_review_does_not_move(
        app: Flask, people: dict[str, StaffAccount]) -> None:
    runner = people["runner"]
    committee = make_committee(app, facilitator_ids=(runner.id,))
    sent = submitted_session(app, committee, runner.id)
    with app.app_context():
        db.session.execute(update(CommitteeSession).where(
            CommitteeSession.id == sent.session_id).values(status=SessionStatus.WITHDRAWN))
        assert move_session_on(sent.session_id) is None
        assert session_of(sent).status == SessionStatus.WITHDRAWN
        db.session.rollback()


def test_a_childs_idea_never_touches_a_session(
        app: Flask, people: dict[str, StaffAccount], client: object) -> None:
    runner, one = people["runner"], people["one"]
    committee = make_committee(app, facilitator_ids=(runner.id,))
    sent = submitted_session(app, committee, runner.id)
    Child(app.test_client()).send("values", "More trees in the playground")
    with app.app_context():
        reviewer = db.session.get_one(User, one.id)
        item = claim_next(reviewer)
        while item is not None and item.public_id == sent.statements[0]:
            db.session.commit()
            item = claim_next(reviewer)
        assert item is not None and item.source.value == "child"
        approve_submission(item, reviewer)
        db.session.commit()
        assert session_of(sent).status == SessionStatus.SUBMITTED


def test_the_answer_is_due_days_after_the_organisations_day_of_acceptance(
        app: Flask) -> None:
    with app.app_context():
        app.config["ORG_TIMEZONE"], zone = "Pacific/Auckland", app.config["ORG_TIMEZONE"]
        try:
            late_utc = utcnow().replace(year=2026, month=3, day=1, hour=23, minute=30)
            days = app.config["COMMITTEE_ANSWER_DAYS"]
            # 23:30 UTC on 1 March is already 2 March in Auckland.
            assert answer_due(late_utc) == date(2026, 3, 2) + timedelta(days=days)
        finally:
            app.config["ORG_TIMEZONE"] = zone


def race(app: Flask, *changes: Callable[[], str]) -> list[str]:
    """Run the changes at the same moment, each in its own session; SQLite's "database is
    locked" is retried (as a browser's retry would)."""
    barrier = threading.Barrier(len(changes))
    outcomes: list[str] = []

    def run(change: Callable[[], str]) -> None:
        with app.app_context():
            barrier.wait()
            for _attempt in range(50):
                try:
                    outcome = change()
                    db.session.commit()
                except OperationalError:
                    db.session.rollback()
                    continue
                except ReviewError as error:
                    db.session.rollback()
                    outcome = f"refused:{error.code}"
                outcomes.append(outcome)
                return
            outcomes.append("gave up")

    threads = [threading.Thread(target=run, args=(change,)) for change in changes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_two_last_decisions_at_once_accept_the_session_exactly_once(
        app: Flask, people: dict[str, StaffAccount]) -> None:
    runner, one, two = people["runner"], people["one"], people["two"]
    committee = make_committee(app, facilitator_ids=(runner.id,))
    for _round in range(RACES):
        sent = submitted_session(app, committee, runner.id, said=(
            Said("Des parcs plus près des écoles."), Said("Moins de devoirs le vendredi."),
            Said("Pourquoi si peu de bus ?")))
        with app.app_context():  # in review already: the last two decisions race
            approve_submission(held(sent.statements[2], one), db.session.get_one(User, one.id))
            db.session.commit()
            assert session_of(sent).status == SessionStatus.IN_REVIEW
            held(sent.statements[0], one)
            held(sent.statements[1], two)

        def decide(public_id: str, account: StaffAccount) -> Callable[[], str]:
            def run() -> str:
                item = db.session.scalars(select(Submission).where(
                    Submission.public_id == public_id)).one()
                approve_submission(item, db.session.get_one(User, account.id))
                return "approved"
            return run

        outcomes = race(app, decide(sent.statements[0], one), decide(sent.statements[1], two))
        assert outcomes == ["approved", "approved"]
        with app.app_context():
            session = session_of(sent)
            assert session.status == SessionStatus.ACCEPTED
            assert session.answer_due_on is not None
            accepted = [e for e in events("committee.session_accepted")
                        if e.object_id == str(sent.session_id)]
            assert len(accepted) == 1
