"""Review operations: one reviewer per item under concurrency, decisions recorded, urgent items
only for safeguarding leads and never published."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from participation.accounts.models import Role, User
from participation.accounts.services import create_user
from participation.audit.models import AuditEvent
from participation.db import db, utcnow
from participation.feedback.models import RejectionReason, Submission, SubmissionStatus
from participation.moderation.services import (
    ReviewError,
    approve_submission,
    can_review,
    claim_next,
    escalate_to_safeguarding,
    reject_submission,
)
from participation.plans.content import PlanContent
from participation.plans.models import Plan
from participation.screening.services import Priority

PASSPHRASE = "a long and calm passphrase"


def make_user(email: str, *roles: Role) -> User:
    user = create_user(email, PASSPHRASE, list(roles), actor_id=None, with_totp=False)
    db.session.commit()
    return user


def make_items(count: int, priority: int = 0, text: str = "An idea") -> list[int]:
    plan_id = db.session.scalar(select(Plan.id))
    items = [
        Submission(public_id=uuid.uuid4().hex, plan_id=plan_id, locale="en", body=f"{text} {n}",
                   priority=priority, status=SubmissionStatus.PENDING,
                   screening={"urgent": priority == Priority.URGENT, "flags": []})
        for n in range(count)
    ]
    db.session.add_all(items)
    db.session.commit()
    return [item.id for item in items]


@pytest.fixture
def ctx(app: Flask, demo_plan: PlanContent) -> object:
    with app.app_context():
        yield app


def test_many_reviewers_claim_each_item_exactly_once(app: Flask, demo_plan: PlanContent) -> None:
    with app.app_context():
        reviewers = [make_user(f"r{n}@example.org", Role.FACILITATOR).id for n in range(8)]
        items = set(make_items(60) + make_items(20, priority=1))
    claimed: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(reviewers))

    def review(user_id: int) -> None:
        with app.app_context():
            user = db.session.get(User, user_id)
            assert user is not None
            barrier.wait()
            while True:
                try:
                    item = claim_next(user)
                    db.session.commit()
                except OperationalError:  # SQLite: "database is locked"; try again
                    db.session.rollback()
                    continue
                if item is None:
                    return
                with lock:
                    claimed.append(item.id)

    threads = [threading.Thread(target=review, args=(user_id,)) for user_id in reviewers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(claimed) == sorted(items)  # every item, each exactly once


def test_priority_then_age_and_urgent_only_for_leads(ctx: object) -> None:
    facilitator = make_user("fac@example.org", Role.FACILITATOR)
    lead = make_user("lead@example.org", Role.SAFEGUARDING_LEAD)
    ordinary, personal, urgent = make_items(1, 0)[0], make_items(1, 1)[0], make_items(1, Priority.URGENT)[0]
    assert claim_next(facilitator).id == personal
    assert claim_next(facilitator).id == ordinary
    assert claim_next(facilitator) is None  # the urgent item is not theirs to see
    assert not can_review(facilitator, db.session.get(Submission, urgent))
    assert claim_next(lead).id == urgent


def test_abandoned_claim_expires(ctx: object) -> None:
    first = make_user("a@example.org", Role.FACILITATOR)
    second = make_user("b@example.org", Role.FACILITATOR)
    [item] = make_items(1)
    assert claim_next(first).id == item
    db.session.commit()
    assert claim_next(second) is None
    later = utcnow() + timedelta(minutes=16)
    assert claim_next(second, now=later).id == item


def test_approve_redacted_keeps_the_original(ctx: object) -> None:
    fac = make_user("fac@example.org", Role.FACILITATOR)
    [item_id] = make_items(1, 1, text="My name is Sam and I want parks")
    item = claim_next(fac)
    approve_submission(item, fac, published_text="I want parks")
    db.session.commit()
    item = db.session.get(Submission, item_id)
    assert item.status == SubmissionStatus.APPROVED and item.published_body == "I want parks"
    assert item.body.startswith("My name is Sam") and item.decided_by_id == fac.id
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["review.claimed", "review.approved_redacted"]
    assert "Sam" not in str(db.session.scalars(select(AuditEvent.details)).all())


def test_reject_escalate_and_urgent_never_published(ctx: object) -> None:
    fac = make_user("fac@example.org", Role.FACILITATOR)
    lead = make_user("lead@example.org", Role.SAFEGUARDING_LEAD)
    make_items(2)
    first = claim_next(fac)
    reject_submission(first, fac, RejectionReason.OFF_TOPIC)
    second = claim_next(fac)
    escalate_to_safeguarding(second, fac)
    db.session.commit()
    assert first.rejection_reason == "off_topic" and first.status == SubmissionStatus.REJECTED
    assert second.priority == Priority.ESCALATED and second.status == SubmissionStatus.PENDING
    escalated = claim_next(lead)
    assert escalated.id == second.id
    with pytest.raises(ReviewError, match="urgent_never_published"):
        approve_submission(escalated, lead)


def test_only_the_claim_holder_decides(ctx: object) -> None:
    a = make_user("a@example.org", Role.FACILITATOR)
    b = make_user("b@example.org", Role.FACILITATOR)
    make_items(1)
    item = claim_next(a)
    with pytest.raises(ReviewError, match="not_claimed"):
        approve_submission(item, b)
    approve_submission(item, a)
    with pytest.raises(ReviewError, match="already_decided"):
        reject_submission(item, a, RejectionReason.UNKIND)
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 1
