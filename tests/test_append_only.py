"""PostgreSQL itself refuses to rewrite the audit log or concern records, or to delete staff.

The application refuses too (participation/db.py); these tests go around it with raw SQL, as
a script or a console session with the app's database role would.
"""

from __future__ import annotations

import uuid

import pytest
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from participation.accounts.models import Role
from participation.accounts.services import create_user
from participation.audit.services import record_event
from participation.db import RecordIsAppendOnly, db, utcnow
from participation.feedback.models import Submission, SubmissionStatus
from participation.moderation.models import Concern, ConcernEntry, EntryKind
from participation.plans.content import PlanContent
from participation.plans.models import Plan
from participation.screening.services import Priority


@pytest.fixture
def records(app: Flask, demo_plan: PlanContent) -> dict[str, int]:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("database triggers are PostgreSQL's (SQLite: the application guard)")
        user = create_user("lead@example.org", "a long and calm passphrase",
                           [Role.SAFEGUARDING_LEAD], actor_id=None, with_totp=False)
        item = Submission(public_id=uuid.uuid4().hex, plan_id=db.session.scalar(select(Plan.id)),
                          locale="en", body="x", status=SubmissionStatus.PENDING,
                          priority=Priority.URGENT)
        db.session.add(item)
        db.session.flush()
        concern = Concern(submission_id=item.id, opened_by_id=user.id)
        db.session.add(concern)
        db.session.flush()
        db.session.add(ConcernEntry(concern_id=concern.id, author_id=user.id,
                                    kind=EntryKind.NOTE, text="Seen."))
        event = record_event("test.event", actor_id=user.id)
        db.session.commit()
        return {"user": user.id, "concern": concern.id, "event": event.id}


@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET action = 'rewritten' WHERE id = :event",
    "DELETE FROM audit_events WHERE id = :event",
    "TRUNCATE audit_events",
    "UPDATE concern_entries SET text = 'rewritten' WHERE concern_id = :concern",
    "DELETE FROM concern_entries WHERE concern_id = :concern",
    "DELETE FROM concerns WHERE id = :concern",
    "DELETE FROM users WHERE id = :user",
])
def test_history_cannot_be_rewritten(app: Flask, records: dict[str, int], statement: str) -> None:
    with app.app_context():
        with pytest.raises(DBAPIError, match="may only grow"):
            db.session.execute(text(statement), records)
        db.session.rollback()


def test_a_concern_closes_once(app: Flask, records: dict[str, int]) -> None:
    with app.app_context():
        close = text("UPDATE concerns SET closed_at = :now WHERE id = :concern")
        db.session.execute(close, {"now": utcnow(), **records})
        db.session.commit()
        with pytest.raises(DBAPIError, match="only be closed, once"):
            db.session.execute(close, {"now": utcnow(), **records})
        db.session.rollback()
        reopen = text("UPDATE concerns SET closed_at = NULL WHERE id = :concern")
        with pytest.raises(DBAPIError, match="only be closed, once"):
            db.session.execute(reopen, records)
        db.session.rollback()


def test_the_application_refuses_to_delete_staff(app: Flask) -> None:
    """On every database: staff accounts are deactivated, never deleted."""
    with app.app_context():
        user = create_user("fac@example.org", "a long and calm passphrase", [Role.FACILITATOR],
                           actor_id=None, with_totp=False)
        db.session.commit()
        db.session.delete(user)
        with pytest.raises(RecordIsAppendOnly):
            db.session.flush()
        db.session.rollback()
