"""Two changes racing on one item end with exactly one outcome, on SQLite and PostgreSQL.

Each race runs the two changes in two threads released together, each in its own session,
retrying only on SQLite's "database is locked" (as a browser's retry would).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import timedelta

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from participation.accounts.models import Role, User
from participation.accounts.services import create_user
from participation.audit.models import AuditEvent
from participation.db import db, utcnow
from participation.feedback.models import RejectionReason, Submission, SubmissionStatus
from participation.feedback.services import FeedbackError, withdraw_submission
from participation.moderation.models import Concern, ConcernEntry, EntryKind
from participation.moderation.services import (
    ReviewError,
    add_concern_entry,
    approve_submission,
    close_concern,
    open_concern,
    reject_submission,
)
from participation.plans.content import PlanContent
from participation.plans.models import Plan
from participation.screening.services import Priority

RACES = 12


def make_user(email: str, *roles: Role) -> int:
    user = create_user(email, "a long and calm passphrase", list(roles), actor_id=None,
                       with_totp=False)
    db.session.commit()
    return user.id


def claimed_item(reviewer_id: int, priority: int = 0) -> int:
    item = Submission(
        public_id=uuid.uuid4().hex, plan_id=db.session.scalar(select(Plan.id)), locale="en",
        body="My idea, maybe withdrawn", priority=priority, status=SubmissionStatus.PENDING,
        screening={"urgent": priority == Priority.URGENT, "flags": []}, child_token_hash="c" * 64,
        claimed_by_id=reviewer_id, claim_expires_at=utcnow() + timedelta(minutes=15),
    )
    db.session.add(item)
    db.session.commit()
    return item.id


def race(app: Flask, *changes: Callable[[], str]) -> list[str]:
    """Run the changes at the same moment; each returns what happened to it."""
    barrier = threading.Barrier(len(changes))
    outcomes: list[str] = []

    def run(change: Callable[[], str]) -> None:
        with app.app_context():
            barrier.wait()
            for _attempt in range(50):
                try:
                    outcome = change()
                    db.session.commit()
                except OperationalError:  # SQLite only: the other writer holds the file
                    db.session.rollback()
                    continue
                except (ReviewError, FeedbackError) as error:
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


def test_a_withdrawal_always_wins_against_an_approval(app: Flask, demo_plan: PlanContent) -> None:
    with app.app_context():
        reviewer = make_user("reviewer@example.org", Role.FACILITATOR)
    for _round in range(RACES):
        with app.app_context():
            item_id = claimed_item(reviewer)

        def approve(item_id: int = item_id) -> str:
            user = db.session.get(User, reviewer)
            item = db.session.get(Submission, item_id)
            approve_submission(item, user)  # type: ignore[arg-type]
            return "approved"

        def withdraw(item_id: int = item_id) -> str:
            withdraw_submission(db.session.get(Submission, item_id))  # type: ignore[arg-type]
            return "withdrawn"

        outcomes = race(app, approve, withdraw)
        assert "withdrawn" in outcomes and "gave up" not in outcomes
        with app.app_context():
            item = db.session.get(Submission, item_id)
            assert item is not None
            # Whoever went first, the withdrawn words are shown to nobody.
            assert item.status == SubmissionStatus.WITHDRAWN
            assert item.published_body is None and item.body is None


def test_one_reviewer_in_two_tabs_decides_once(app: Flask, demo_plan: PlanContent) -> None:
    with app.app_context():
        reviewer = make_user("reviewer@example.org", Role.FACILITATOR)
    for _round in range(RACES):
        with app.app_context():
            item_id = claimed_item(reviewer)

        def approve(item_id: int = item_id) -> str:
            approve_submission(db.session.get(Submission, item_id),  # type: ignore[arg-type]
                               db.session.get(User, reviewer))  # type: ignore[arg-type]
            return "approved"

        def reject(item_id: int = item_id) -> str:
            reject_submission(db.session.get(Submission, item_id),  # type: ignore[arg-type]
                              db.session.get(User, reviewer),  # type: ignore[arg-type]
                              RejectionReason.OFF_TOPIC)
            return "rejected"

        outcomes = race(app, approve, reject)
        winners = [o for o in outcomes if not o.startswith("refused")]
        assert len(winners) == 1, outcomes
        with app.app_context():
            item = db.session.get(Submission, item_id)
            assert item is not None and item.status.value == winners[0]
            decisions = db.session.scalars(select(AuditEvent.action).where(
                AuditEvent.object_id == str(item_id),
                AuditEvent.action.in_(["review.approved", "review.rejected"]))).all()
            assert decisions == [f"review.{winners[0]}"]  # the log agrees with the status


def test_two_leads_open_one_concern(app: Flask, demo_plan: PlanContent) -> None:
    with app.app_context():
        leads = [make_user(f"lead{n}@example.org", Role.SAFEGUARDING_LEAD) for n in range(2)]
        item_id = claimed_item(leads[0], priority=Priority.URGENT)
    opened: list[int] = []

    def opener(lead_id: int) -> Callable[[], str]:
        def open_it() -> str:
            concern = open_concern(db.session.get(Submission, item_id),  # type: ignore[arg-type]
                                   db.session.get(User, lead_id), "Seen.")  # type: ignore[arg-type]
            opened.append(concern.id)
            return "opened"
        return open_it

    race(app, *(opener(lead) for lead in leads))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Concern)) == 1
    assert len(set(opened)) == 1


def test_nothing_is_added_to_a_concern_after_it_is_closed(app: Flask,
                                                          demo_plan: PlanContent) -> None:
    with app.app_context():
        lead = make_user("lead@example.org", Role.SAFEGUARDING_LEAD)
    for _round in range(RACES // 2):
        with app.app_context():
            item_id = claimed_item(lead, priority=Priority.URGENT)
            concern_id = open_concern(db.session.get(Submission, item_id),  # type: ignore[arg-type]
                                      db.session.get(User, lead), "Seen.").id  # type: ignore[arg-type]
            db.session.commit()

        def close(concern_id: int = concern_id) -> str:
            close_concern(db.session.get(Concern, concern_id),  # type: ignore[arg-type]
                          db.session.get(User, lead), "Referred.")  # type: ignore[arg-type]
            return "closed"

        def note(concern_id: int = concern_id) -> str:
            add_concern_entry(db.session.get(Concern, concern_id),  # type: ignore[arg-type]
                              db.session.get(User, lead), EntryKind.NOTE, "Late note")  # type: ignore[arg-type]
            return "noted"

        outcomes = race(app, close, note, close)
        assert outcomes.count("closed") == 1, outcomes
        with app.app_context():
            concern = db.session.get(Concern, concern_id)
            assert concern is not None and concern.closed_at is not None
            entries = db.session.scalars(select(ConcernEntry).where(
                ConcernEntry.concern_id == concern_id).order_by(ConcernEntry.id)).all()
            assert entries[-1].kind == EntryKind.CLOSED  # the close is always the last word
            assert [e.kind for e in entries].count(EntryKind.CLOSED) == 1
