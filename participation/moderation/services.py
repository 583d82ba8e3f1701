"""Review operations: claim the next item, approve (as is or redacted), reject, escalate.

Several reviewers work at once, on several app workers. Claiming must hand each item to exactly
one of them: on PostgreSQL the candidate row is locked with ``FOR UPDATE SKIP LOCKED`` (others
skip it instead of waiting); everywhere, the claim itself is a conditional UPDATE that only
succeeds while the item is still unclaimed (or its claim expired), so SQLite is correct too.
Every decision is written to the audit log in the same transaction, and the higher domains
that listen to decisions (a committee session moving on) are told in it too.

A committee's statement or caption is never reviewed by the facilitator who submitted it: they
are never handed it, every decision refuses them, and bulk approval never offers group input.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import ColumnElement, CursorResult, and_, or_, select, update

from participation.accounts.models import Role, User
from participation.audit.services import record_event
from participation.db import db, insert_unless_exists, utcnow
from participation.feedback.models import (
    RejectionReason,
    Submission,
    SubmissionSource,
    SubmissionStatus,
)
from participation.feedback.services import change_submission, clean_idea_text
from participation.jobs.services import enqueue
from participation.moderation.models import Concern, ConcernEntry, ConcernView, EntryKind
from participation.screening.services import LEAD_LANES, Priority

CLAIM_MINUTES = 15


class ReviewError(Exception):
    """A review action that cannot be done; ``code`` picks the message for staff."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(code)


QUEUE_LANE_NAMES = {Priority.URGENT: "urgent", Priority.ESCALATED: "escalated",
                    Priority.CHECK_SOON: "check_soon", Priority.PERSONAL: "personal",
                    Priority.ORDINARY: "ordinary"}


def reviewable_priorities(user: User) -> tuple[Priority, ...]:
    """The lanes a person may open, highest first: possible disclosures, escalated items and
    what the model asks to check soon reach only safeguarding leads and admins."""
    if user.has_role(Role.SAFEGUARDING_LEAD, Role.ADMIN):
        return (*LEAD_LANES, Priority.PERSONAL, Priority.ORDINARY)
    if user.has_role(Role.FACILITATOR):
        return (Priority.PERSONAL, Priority.ORDINARY)
    return ()


def submitted_it(user: User, submission: Submission) -> bool:
    """A committee's statement or caption this person submitted as its facilitator: someone
    else must review it (a child's idea has no submitter)."""
    return submission.submitted_by_id is not None and submission.submitted_by_id == user.id


def can_review(user: User, submission: Submission) -> bool:
    """The object-level rule: guessing an urgent item's id gives a facilitator nothing, and no
    one reviews the committee input they submitted."""
    return (submission.priority in reviewable_priorities(user)
            and not submitted_it(user, submission))


def not_submitted_by(user: User) -> ColumnElement[bool]:
    """Items this person did not submit (every child's idea, others' committee input)."""
    return or_(Submission.submitted_by_id.is_(None), Submission.submitted_by_id != user.id)


def _claimable(now: datetime) -> ColumnElement[bool]:
    return and_(
        Submission.status == SubmissionStatus.PENDING,
        or_(Submission.claimed_by_id.is_(None), Submission.claim_expires_at < now),
    )


# Listeners told of every decision on an item (approved, rejected, kept from sharing), inside
# the decision's transaction. A higher domain registers one (committees move a session on);
# moderation never imports it.
DECISION_LISTENERS = "review_decision_listeners"
DecisionListener = Callable[[Submission], None]


def register_decision_listener(app: Flask, listener: DecisionListener) -> None:
    """Call ``listener(submission)`` after each decision, before the request's commit."""
    listeners: list[DecisionListener] = app.extensions.setdefault(DECISION_LISTENERS, [])
    if listener not in listeners:
        listeners.append(listener)


def _decided(submission: Submission) -> None:
    for listener in current_app.extensions.get(DECISION_LISTENERS, []):
        listener(submission)


def claim_next(user: User, *, priority: int | None = None, now: datetime | None = None,
               attempts: int = 20) -> Submission | None:
    """Give ``user`` the next item of their queues (highest priority, then oldest), or None.

    The caller commits. The claim lasts CLAIM_MINUTES; an abandoned claim simply expires.
    """
    now = now or utcnow()
    priorities = reviewable_priorities(user)
    if priority is not None:
        priorities = tuple(p for p in priorities if p == priority)
    if not priorities:
        return None
    postgres = db.session.get_bind().dialect.name == "postgresql"
    for _attempt in range(attempts):
        query = (
            select(Submission.id)
            .where(_claimable(now), Submission.priority.in_(priorities),
                   not_submitted_by(user))
            .order_by(Submission.priority.desc(), Submission.created_at, Submission.id)
            .limit(1)
        )
        if postgres:
            query = query.with_for_update(skip_locked=True)
        candidate = db.session.scalar(query)
        if candidate is None:
            return None
        result = db.session.execute(
            update(Submission)
            .where(Submission.id == candidate, _claimable(now), not_submitted_by(user))
            .values(claimed_by_id=user.id, claim_expires_at=now + timedelta(minutes=CLAIM_MINUTES))
            .execution_options(synchronize_session=False)
        )
        if isinstance(result, CursorResult) and result.rowcount == 1:
            record_event("review.claimed", actor_id=user.id, object_type="submission",
                         object_id=candidate)
            submission = db.session.get(Submission, candidate, populate_existing=True)
            return submission
    return None


def _check_reviewer(user: User, submission: Submission) -> None:
    """Refuse someone who may not decide this item, saying why."""
    if submitted_it(user, submission):
        raise ReviewError("own_submission")
    if not can_review(user, submission):
        raise ReviewError("forbidden")


def _check_holder(submission: Submission, user: User, now: datetime) -> None:
    _check_reviewer(user, submission)
    if submission.status != SubmissionStatus.PENDING:
        raise ReviewError("already_decided")
    expired = submission.claim_expires_at is not None and submission.claim_expires_at < now
    if submission.claimed_by_id != user.id or expired:
        raise ReviewError("not_claimed")


def _held_by(user: User, now: datetime) -> tuple[ColumnElement[bool], ...]:
    """The expected state of an item a reviewer decides: still pending, still theirs."""
    return (
        Submission.status == SubmissionStatus.PENDING,
        Submission.claimed_by_id == user.id,
        Submission.claim_expires_at >= now,
        not_submitted_by(user),
    )


def _decide(submission: Submission, user: User, status: SubmissionStatus, now: datetime,
            *expected: ColumnElement[bool], **values: Any) -> None:
    """Record a decision, only if the item is still pending and held by ``user``."""
    changed = change_submission(
        submission, *_held_by(user, now), *expected, status=status, decided_at=now,
        decided_by_id=user.id, claimed_by_id=None, claim_expires_at=None, **values,
    )
    if not changed:
        _check_holder(submission, user, now)  # says why (decided, or no longer theirs)
        raise ReviewError("already_decided")
    _decided(submission)


def in_lead_lane(submission: Submission) -> bool:
    """A possible disclosure or an escalated item: only a safeguarding lead decides it, and it
    is never shared or answered with an ordinary "not shared" reason."""
    return submission.priority in LEAD_LANES


def approve_submission(submission: Submission, user: User, *, published_text: str | None = None,
                       now: datetime | None = None) -> None:
    """Share an idea with other children, as written or in an edited (redacted) version.

    The child's original words stay in ``body`` (shown to safeguarding leads only). An item in
    a lead's lane is never published; a lead may first send it back to the ordinary review.
    """
    now = now or utcnow()
    _check_holder(submission, user, now)
    if in_lead_lane(submission):
        raise ReviewError("urgent_never_published")
    text = clean_idea_text(published_text if published_text is not None else submission.body or "")
    redacted = text != submission.body
    # The child may withdraw at this very moment: the text is only shared if the idea is
    # still pending (and its words are still the ones read), never after a withdrawal.
    _decide(submission, user, SubmissionStatus.APPROVED, now,
            Submission.priority.not_in(LEAD_LANES), published_body=text)
    record_event(
        "review.approved_redacted" if redacted else "review.approved", actor_id=user.id,
        object_type="submission", object_id=submission.id,
    )


def reject_submission(submission: Submission, user: User, reason: RejectionReason, *,
                      now: datetime | None = None) -> None:
    """Do not share; the child sees the kind message that goes with ``reason``. Never for an
    item in a lead's lane: a child who may be in danger never reads "try other words"."""
    now = now or utcnow()
    _check_holder(submission, user, now)
    if in_lead_lane(submission):
        raise ReviewError("lead_lane_outcome")
    _decide(submission, user, SubmissionStatus.REJECTED, now,
            Submission.priority.not_in(LEAD_LANES), rejection_reason=reason.value)
    record_event("review.rejected", actor_id=user.id, object_type="submission",
                 object_id=submission.id, details={"reason": reason.value})


def escalate_to_safeguarding(submission: Submission, user: User, *, note: str = "",
                             now: datetime | None = None) -> None:
    """A reviewer is not sure: the item goes to the leads' escalated lane (after possible
    disclosures, before everything else), with the note, and is never shared meanwhile."""
    now = now or utcnow()
    _check_holder(submission, user, now)
    if in_lead_lane(submission):
        raise ReviewError("already_with_lead")
    changed = change_submission(
        submission, *_held_by(user, now), Submission.priority.not_in(LEAD_LANES),
        priority=Priority.ESCALATED, escalated_at=now,
        escalation_note=note.strip()[:2000] or None, claimed_by_id=None, claim_expires_at=None,
    )
    if not changed:
        _check_holder(submission, user, now)
        raise ReviewError("already_decided")
    record_event("review.escalated", actor_id=user.id, object_type="submission",
                 object_id=submission.id)
    # The leads are alerted like for any urgent item, from the same transaction.
    enqueue("alert.urgent", {"submission_id": submission.id, "reason": "escalated"})


def _lead_decision(submission: Submission, user: User) -> tuple[ColumnElement[bool], ...]:
    """Who may take a lead's decision on an item, and the state it must still be in."""
    if not can_handle_concerns(user):
        raise ReviewError("forbidden")
    if submitted_it(user, submission):
        raise ReviewError("own_submission")
    if submission.status != SubmissionStatus.PENDING:
        raise ReviewError("already_decided")
    if not in_lead_lane(submission):
        raise ReviewError("not_urgent")
    return (Submission.status == SubmissionStatus.PENDING, Submission.priority.in_(LEAD_LANES),
            not_submitted_by(user))


def keep_from_sharing(submission: Submission, user: User, *,
                      now: datetime | None = None) -> None:
    """A lead's outcome for a possible disclosure that is not shared (with or without a
    concern): the child reads that a helping adult has read it, with a helpline."""
    now = now or utcnow()
    expected = _lead_decision(submission, user)
    changed = change_submission(
        submission, *expected, status=SubmissionStatus.SAFEGUARDED, decided_at=now,
        decided_by_id=user.id, claimed_by_id=None, claim_expires_at=None,
    )
    if not changed:
        raise ReviewError("already_decided")
    _decided(submission)
    record_event("safeguarding.kept_from_sharing", actor_id=user.id, object_type="submission",
                 object_id=submission.id)


def return_to_review(submission: Submission, user: User, reason: str, *,
                     now: datetime | None = None) -> None:
    """"No concern: not a disclosure" (or, for an escalated item, "fine to review as usual"):
    the item goes back to the ordinary review, to be shared or not like any idea. The lead's
    reason is required and kept in the audit log."""
    now = now or utcnow()
    reason = reason.strip()[:500]
    if not reason:
        raise ReviewError("reason_needed")
    expected = _lead_decision(submission, user)
    flags = (submission.screening or {}).get("flags") or []
    lane = Priority.PERSONAL if "personal_info" in flags else Priority.ORDINARY
    from_lane = Priority(submission.priority)
    changed = change_submission(
        submission, *expected, priority=lane, cleared_at=now, claimed_by_id=None,
        claim_expires_at=None,
    )
    if not changed:
        raise ReviewError("already_decided")
    record_event("safeguarding.returned_to_review", actor_id=user.id, object_type="submission",
                 object_id=submission.id,
                 details={"from": QUEUE_LANE_NAMES[from_lane], "reason": reason})


def can_handle_concerns(user: User) -> bool:
    return user.has_role(Role.SAFEGUARDING_LEAD, Role.ADMIN)


def open_concern(submission: Submission, user: User, note: str, *,
                 now: datetime | None = None) -> Concern:
    """Start the safeguarding record for an urgent or escalated item (leads only).

    This is the item's outcome too: it leaves the lead's lane as "kept from sharing" (the child
    reads that a helping adult has read it), linked to its concern. One concern per item, even
    when two leads press at once: the second lead is taken to the first lead's concern.
    """
    now = now or utcnow()
    existing = _concern_of(submission)
    if existing is not None:
        return existing
    deciding = submission.status != SubmissionStatus.SAFEGUARDED  # else: a concern later
    if not deciding:  # kept from sharing earlier: the concern comes now
        if not can_handle_concerns(user):
            raise ReviewError("forbidden")
        if submitted_it(user, submission):
            raise ReviewError("own_submission")
        expected: tuple[ColumnElement[bool], ...] = (
            Submission.status == SubmissionStatus.SAFEGUARDED,)
    else:
        expected = _lead_decision(submission, user)
    if not note.strip():
        raise ReviewError("empty")
    concern_id = insert_unless_exists(
        Concern, {"submission_id": submission.id, "opened_by_id": user.id, "opened_at": now},
        unique=["submission_id"],
    )
    if concern_id is None:  # another lead opened it a moment ago: go to theirs
        raced = _concern_of(submission)
        if raced is None:
            raise ReviewError("already_decided")
        return raced
    concern = db.session.get(Concern, concern_id)
    assert concern is not None
    add_concern_entry(concern, user, EntryKind.NOTE, note)
    changed = change_submission(
        submission, *expected, status=SubmissionStatus.SAFEGUARDED, decided_at=now,
        decided_by_id=user.id, claimed_by_id=None, claim_expires_at=None,
    )
    if changed and deciding:
        _decided(submission)
    record_event("concern.opened", actor_id=user.id, object_type="concern", object_id=concern.id,
                 details={"submission": submission.id})
    return concern


def concern_of(submission: Submission) -> Concern | None:
    """The concern opened from this item, if any (an item has at most one)."""
    return _concern_of(submission)


def _concern_of(submission: Submission) -> Concern | None:
    found: Concern | None = db.session.scalar(
        select(Concern).where(Concern.submission_id == submission.id)
    )
    return found


def _hold_open_concern(concern: Concern, closing_at: datetime | None = None) -> None:
    """Lock the concern row while it is still open (and close it, with ``closing_at``).

    A conditional UPDATE: an entry written while another lead closes the concern either lands
    before the close or is refused, never after it.
    """
    result = db.session.execute(
        update(Concern)
        .where(Concern.id == concern.id, Concern.closed_at.is_(None))
        .values(closed_at=closing_at)
        .execution_options(synchronize_session=False)
    )
    if not (isinstance(result, CursorResult) and result.rowcount == 1):
        raise ReviewError("concern_closed")
    db.session.refresh(concern)


def add_concern_entry(concern: Concern, user: User, kind: EntryKind, text: str) -> ConcernEntry:
    """Append what was seen, decided or done; nothing is ever edited."""
    if not can_handle_concerns(user):
        raise ReviewError("forbidden")
    text = text.strip()
    if not text:
        raise ReviewError("empty")
    _hold_open_concern(concern)
    entry = ConcernEntry(concern_id=concern.id, author_id=user.id, kind=kind, text=text[:5000])
    db.session.add(entry)
    if kind is not EntryKind.CLOSED:
        record_event(f"concern.{kind.value}", actor_id=user.id, object_type="concern",
                     object_id=concern.id)
    return entry


def close_concern(concern: Concern, user: User, outcome: str) -> None:
    """Close with the outcome; closing twice (two leads at once) is refused the second time."""
    add_concern_entry(concern, user, EntryKind.CLOSED, outcome)
    _hold_open_concern(concern, closing_at=utcnow())
    record_event("concern.closed", actor_id=user.id, object_type="concern", object_id=concern.id)


def record_concern_view(concern: Concern, user: User) -> None:
    """Every reading of a concern is logged, in its own table and in the audit log."""
    db.session.add(ConcernView(concern_id=concern.id, viewer_id=user.id))
    record_event("concern.viewed", actor_id=user.id, object_type="concern", object_id=concern.id)


BULK_LIMIT = 50


def _bulk_source() -> ColumnElement[bool]:
    """Only children's own ideas: a group's statement or caption always gets its own look."""
    return Submission.source == SubmissionSource.CHILD


def _bulk_safe(item: Submission) -> bool:
    """Screening found nothing: no flag at all, and the model's level is ordinary."""
    screening = item.screening or {}
    return not screening.get("flags") and screening.get("level", "ordinary") == "ordinary"


def bulk_candidates(user: User, *, now: datetime | None = None) -> list[Submission]:
    """Children's ordinary ideas screening found nothing in, unclaimed, oldest first: safe to
    preview together. Anything flagged (personal details, insults, harm), anything the model
    scored above ordinary and any committee input is always reviewed alone. The page ticks
    nothing: a reviewer ticks each idea they have read."""
    now = now or utcnow()
    if 0 not in reviewable_priorities(user):
        return []
    items = db.session.scalars(
        select(Submission)
        .where(_claimable(now), Submission.priority == 0, _bulk_source(),
               not_submitted_by(user))
        .order_by(Submission.created_at, Submission.id)
        .limit(BULK_LIMIT * 4)
    ).all()
    return [item for item in items if _bulk_safe(item)][:BULK_LIMIT]


def bulk_approve(user: User, public_ids: list[str], *, now: datetime | None = None) -> int:
    """Approve the previewed items that are still unflagged, ordinary and unclaimed.

    Each is claimed with the same conditional UPDATE as "review next", so an item another
    reviewer took in the meantime is skipped, never decided twice. Returns how many.
    """
    now = now or utcnow()
    approved = 0
    for public_id in public_ids[:BULK_LIMIT]:
        item = db.session.scalar(select(Submission).where(Submission.public_id == public_id))
        if (item is None or item.priority != 0 or not _bulk_safe(item)
                or item.source != SubmissionSource.CHILD or submitted_it(user, item)):
            continue
        result = db.session.execute(
            update(Submission)
            .where(Submission.id == item.id, _claimable(now), _bulk_source(),
                   not_submitted_by(user))
            .values(claimed_by_id=user.id, claim_expires_at=now + timedelta(minutes=1))
            .execution_options(synchronize_session=False)
        )
        if not (isinstance(result, CursorResult) and result.rowcount == 1):
            continue
        db.session.refresh(item)
        approve_submission(item, user, now=now)
        approved += 1
    record_event("review.bulk_approved", actor_id=user.id, details={"count": approved})
    return approved
