"""A possible disclosure is never answered like an ordinary idea; escalations have their own lane."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from participation.accounts.models import Role, User
from participation.accounts.services import create_user
from participation.audit.models import AuditEvent
from participation.db import db, utcnow
from participation.feedback.models import RejectionReason, Submission, SubmissionStatus
from participation.moderation.models import Concern
from participation.moderation.services import (
    ReviewError,
    claim_next,
    escalate_to_safeguarding,
    keep_from_sharing,
    open_concern,
    reject_submission,
    return_to_review,
)
from participation.plans.content import PlanContent
from participation.plans.models import Plan
from participation.screening.services import Priority


def user(email: str, *roles: Role) -> User:
    made = create_user(email, "a long and calm passphrase", list(roles), actor_id=None,
                       with_totp=False)
    db.session.commit()
    return made


def item(priority: Priority, *, flags: list[str] | None = None,
         claimed_by: User | None = None) -> Submission:
    made = Submission(
        public_id=uuid.uuid4().hex, plan_id=db.session.scalar(select(Plan.id)), locale="en",
        body="words", priority=priority, status=SubmissionStatus.PENDING,
        screening={"urgent": priority == Priority.URGENT, "flags": flags or []},
        claimed_by_id=claimed_by.id if claimed_by else None,
        claim_expires_at=utcnow() + timedelta(minutes=15) if claimed_by else None,
    )
    db.session.add(made)
    db.session.commit()
    return made


@pytest.fixture
def ctx(app: Flask, demo_plan: PlanContent) -> Iterator[None]:
    with app.app_context():
        yield


def test_lanes_come_in_order_and_escalations_never_jump_disclosures(ctx: None) -> None:
    lead = user("lead@example.org", Role.SAFEGUARDING_LEAD)
    facilitator = user("fac@example.org", Role.FACILITATOR)
    ordinary = item(Priority.ORDINARY, claimed_by=facilitator)
    escalate_to_safeguarding(ordinary, facilitator, note="Not sure about 'my uncle'.")
    db.session.commit()
    urgent = item(Priority.URGENT)  # arrives after the escalation
    personal = item(Priority.PERSONAL)
    assert ordinary.priority == Priority.ESCALATED and ordinary.escalation_note
    assert claim_next(facilitator) is not None and personal.id  # facilitators: never lead lanes
    db.session.rollback()
    order = [claim_next(lead) for _ in range(3)]
    assert [i.id for i in order if i] == [urgent.id, ordinary.id, personal.id]


def test_a_lead_lane_item_cannot_get_an_ordinary_rejection(ctx: None) -> None:
    lead = user("lead@example.org", Role.SAFEGUARDING_LEAD)
    urgent = item(Priority.URGENT, claimed_by=lead)
    with pytest.raises(ReviewError, match="lead_lane_outcome"):
        reject_submission(urgent, lead, RejectionReason.NOT_UNDERSTOOD)


def test_keeping_from_sharing_is_its_own_outcome(ctx: None) -> None:
    lead = user("lead@example.org", Role.SAFEGUARDING_LEAD)
    urgent = item(Priority.URGENT)
    keep_from_sharing(urgent, lead)
    db.session.commit()
    assert urgent.status == SubmissionStatus.SAFEGUARDED and urgent.rejection_reason is None
    assert urgent.is_worrying
    with pytest.raises(ReviewError, match="already_decided"):
        keep_from_sharing(urgent, lead)
    facilitator = user("fac@example.org", Role.FACILITATOR)
    with pytest.raises(ReviewError, match="forbidden"):
        keep_from_sharing(item(Priority.URGENT), facilitator)


def test_opening_a_concern_resolves_the_item_and_links_both_ways(ctx: None) -> None:
    lead = user("lead@example.org", Role.SAFEGUARDING_LEAD)
    urgent = item(Priority.URGENT, claimed_by=lead)
    concern = open_concern(urgent, lead, "Disclosure of violence at home.")
    db.session.commit()
    assert urgent.status == SubmissionStatus.SAFEGUARDED and urgent.claimed_by_id is None
    assert concern.submission_id == urgent.id
    again = open_concern(urgent, lead, "A second try.")
    assert again.id == concern.id
    assert db.session.scalar(select(func.count()).select_from(Concern)) == 1
    # An item kept from sharing earlier can still get its concern later.
    kept = item(Priority.ESCALATED)
    keep_from_sharing(kept, lead)
    later = open_concern(kept, lead, "Second thoughts after a call from the school.")
    db.session.commit()
    assert later.submission_id == kept.id and kept.status == SubmissionStatus.SAFEGUARDED


def test_no_concern_sends_it_back_with_a_reason_in_the_audit_log(ctx: None) -> None:
    lead = user("lead@example.org", Role.SAFEGUARDING_LEAD)
    urgent = item(Priority.URGENT, flags=["violence", "personal_info"])
    with pytest.raises(ReviewError, match="reason_needed"):
        return_to_review(urgent, lead, "   ")
    return_to_review(urgent, lead, "A football match: not a disclosure.")
    db.session.commit()
    assert urgent.status == SubmissionStatus.PENDING and urgent.cleared_at is not None
    assert urgent.priority == Priority.PERSONAL  # its personal details still need hiding
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "safeguarding.returned_to_review")).one()
    assert event.details == {"from": "urgent", "reason": "A football match: not a disclosure."}
    escalated = item(Priority.ESCALATED)
    return_to_review(escalated, lead, "Fine to review as usual.")
    assert escalated.priority == Priority.ORDINARY
    facilitator = user("fac@example.org", Role.FACILITATOR)
    assert claim_next(facilitator) is not None  # back where facilitators review it
