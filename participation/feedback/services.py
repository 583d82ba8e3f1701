"""Operations on children's feedback. Each takes explicit arguments; the caller commits."""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, CursorResult, case, func, select, update

from participation.db import db, insert_unless_exists, utcnow
from participation.feedback.codes import idea_code_hash, idea_code_hashes, new_idea_code
from participation.feedback.models import (
    AgeBand,
    Reaction,
    ReactionKind,
    Submission,
    SubmissionStatus,
)
from participation.jobs.services import enqueue
from participation.screening.services import Priority, ScreeningResult, screen_text

logger = logging.getLogger(__name__)

MAX_IDEA_LENGTH = 1000
CODE_ATTEMPTS = 5
IDEMPOTENCY_KEY_RE = re.compile(r"^[0-9a-f]{32}$")
# Control characters (except tab and newlines) say nothing a child meant to write.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


class FeedbackError(Exception):
    """A request the child can fix; ``code`` picks the kind message shown to them."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(code)


def clean_idea_text(raw: str) -> str:
    """Strip control and invisible direction characters and outer whitespace; keep emoji."""
    text = _CONTROL_RE.sub("", raw.replace("\r\n", "\n")).strip()
    if not text:
        raise FeedbackError("empty")
    if len(text) > MAX_IDEA_LENGTH:
        raise FeedbackError("too_long")
    return text


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class SubmitResult:
    submission_id: int
    public_id: str  # what the child's confirmation page is addressed by
    priority: int
    created: bool  # False when a retry or a double tap found the first copy
    # The idea code, for the child's confirmation page: only when the idea was just stored
    # (a replay finds its hash, never the code; see renew_idea_code).
    code: str | None = None


def submit_idea(
    *,
    plan_id: int,
    section_id: int | None,
    locale: str,
    text: str,
    age_band: AgeBand | None,
    child_hash: str,
    idempotency_key: str,
    revision_id: int | None = None,
) -> SubmitResult:
    """Store a child's idea as PENDING with its screening result and a new idea code (only
    its HMAC is stored); one record per key.

    The insert itself decides between two racing requests with one key (a double tap, a
    retry storm): the loser finds the winner's record and shows the child that one. An idea
    code already taken (about one send in a million once a million ideas are stored) is
    simply drawn again.
    """
    if not IDEMPOTENCY_KEY_RE.match(idempotency_key):
        raise FeedbackError("bad_key")
    body = clean_idea_text(text)
    values = {
        "plan_id": plan_id,
        "revision_id": revision_id,
        "section_id": section_id,
        "locale": locale,
        "age_band": age_band,
        **screened_values(body, locale),
        "child_token_hash": child_hash,
        "idempotency_key": idempotency_key,
    }
    for _attempt in range(CODE_ATTEMPTS):
        public_id, code = uuid.uuid4().hex, new_idea_code(locale)
        new_id = insert_unless_exists(
            Submission, {**values, "public_id": public_id, "code_hash": idea_code_hash(code)},
            unique=None,  # any unique value already taken: the key (a replay) or the code
        )
        if new_id is not None:
            break
        existing = _by_key(idempotency_key)
        if existing is not None:  # this key was used before: a retry, a double tap, a race
            return _replay(existing, child_hash)
    else:
        raise FeedbackError("server")
    if values["priority"] == Priority.URGENT:
        # Same transaction as the idea: stored together or not at all, so no alert is lost.
        enqueue("alert.urgent", {"submission_id": new_id})
    return SubmitResult(new_id, public_id, values["priority"], created=True, code=code)


def screened_values(body: str, locale: str) -> dict[str, Any]:
    """The columns of a new PENDING submission holding ``body``, screened: its priority,
    flags, screening version and suggested redaction. Shared by a child's idea and a
    committee's statement, so both are screened and queued the same way.

    A screening failure never loses the words: the text is stored as urgent, for a human.
    """
    try:
        result = screen_text(body, locale)
    except Exception as error:  # broken rules must never lose a child's words: store, look first
        logger.error("Screening failed (%s); storing the text as urgent for a human to read",
                     type(error).__name__)
        result = ScreeningResult(locale, True, Priority.URGENT, (), body, level="urgent")
    screening = result.as_dict()
    if not result.flags and result.urgent:
        screening["flags"] = ["screening_failed"]
    del screening["redacted"]  # kept in its own column, deleted with the text
    del screening["version"]  # kept in its own column
    return {
        "body": body,
        "status": SubmissionStatus.PENDING,
        "priority": result.priority,
        "screening": screening,
        "screening_version": result.version or None,
        "suggested_redaction": result.redacted if result.redacted != body else None,
    }


def _by_key(key: str) -> Submission | None:
    return db.session.scalar(select(Submission).where(Submission.idempotency_key == key))


def _replay(existing: Submission, child_hash: str) -> SubmitResult:
    if existing.child_token_hash != child_hash:
        raise FeedbackError("bad_key")  # someone else's key: never reveal their submission
    return SubmitResult(existing.id, existing.public_id, existing.priority, created=False)


def set_reaction(
    *, section_id: int, child_hash: str, kind: ReactionKind, locale: str, age_band: AgeBand | None,
    revision_id: int | None = None,
) -> bool:
    """Record or change this child's reaction to a part; True when it is their first one."""
    reaction = db.session.scalar(
        select(Reaction).where(
            Reaction.section_id == section_id, Reaction.child_token_hash == child_hash
        )
    )
    first = reaction is None
    if reaction is None:
        reaction = Reaction(section_id=section_id, child_token_hash=child_hash)
        db.session.add(reaction)
    reaction.kind, reaction.locale, reaction.age_band = kind, locale, age_band
    reaction.revision_id = revision_id
    return first


def current_reaction(section_id: int, child_hash: str | None) -> ReactionKind | None:
    if child_hash is None:
        return None
    return db.session.scalar(
        select(Reaction.kind).where(
            Reaction.section_id == section_id, Reaction.child_token_hash == child_hash
        )
    )


def find_own_submission(public_id: str, child_hash: str | None) -> Submission | None:
    """The child's own submission, or None: another child's id looks exactly like a wrong id."""
    if child_hash is None or not IDEMPOTENCY_KEY_RE.match(public_id):
        return None
    return db.session.scalar(
        select(Submission).where(
            Submission.public_id == public_id,
            Submission.child_token_hash == child_hash,
            Submission.withdrawn_at.is_(None),
        )
    )


def list_own_submissions(child_hash: str | None) -> list[Submission]:
    if child_hash is None:
        return []
    return list(
        db.session.scalars(
            select(Submission)
            .where(Submission.child_token_hash == child_hash, Submission.withdrawn_at.is_(None))
            .order_by(Submission.created_at.desc(), Submission.id.desc())
        )
    )


def change_submission(submission: Submission, *expected: ColumnElement[bool],
                      **values: Any) -> bool:
    """Change a submission only if it is still in the ``expected`` state; True if it was.

    Every state change is one conditional UPDATE, so of two racing changes (a child withdraws
    while a reviewer approves; one reviewer approves and rejects in two tabs) exactly one
    wins, and the loser learns it instead of overwriting the winner.
    """
    result = db.session.execute(
        update(Submission)
        .where(Submission.id == submission.id, *expected)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    changed = isinstance(result, CursorResult) and result.rowcount == 1
    db.session.refresh(submission)
    return changed


def withdraw_submission(submission: Submission, *, now: datetime | None = None) -> None:
    """Take an idea back, whatever an adult is doing with it at the same moment: shared words
    are unshared at once. Its text is deleted too, unless it may be a disclosure (urgent or
    escalated, or for a lead to check soon): then a safeguarding lead may still read it (the
    child is told so, never promised secrecy) and the retention job deletes it later."""
    now = now or utcnow()
    keep = Submission.priority >= Priority.CHECK_SOON
    changed = change_submission(
        submission, Submission.status != SubmissionStatus.WITHDRAWN,
        status=SubmissionStatus.WITHDRAWN, withdrawn_at=now, published_body=None,
        claimed_by_id=None, claim_expires_at=None,
        body=case((keep, Submission.body), else_=None),
        suggested_redaction=case((keep, Submission.suggested_redaction), else_=None),
        text_deleted_at=case((keep, None), else_=now),
    )
    if not changed:
        raise FeedbackError("already_withdrawn")


def renew_idea_code(submission_id: int, child_hash: str, locale: str) -> str | None:
    """Give the child's own idea a new code, for when the one drawn at sending never reached
    their page (a lost answer, then a resend; two taps whose answers crossed). The old code
    stops working: only ever call this when the child's session does not hold it. None when
    the idea is not theirs (or was taken back)."""
    code = new_idea_code(locale)
    changed = db.session.execute(
        update(Submission)
        .where(Submission.id == submission_id, Submission.child_token_hash == child_hash,
               Submission.withdrawn_at.is_(None))
        .values(code_hash=idea_code_hash(code))
        .execution_options(synchronize_session=False)
    )
    return code if isinstance(changed, CursorResult) and changed.rowcount == 1 else None


def find_by_idea_code(typed: str) -> Submission | None:
    """The idea a code was given for, on any device, or None (unknown and malformed codes
    alike). Withdrawn ideas are found too: the child learns they took it back."""
    hashes = idea_code_hashes(typed)
    if not hashes:
        return None
    return db.session.scalars(
        select(Submission).where(Submission.code_hash.in_(hashes)).limit(1)
    ).first()


def idea_code_matches(submission: Submission, code: str | None) -> bool:
    """Is ``code`` (kept in the child's session) the idea's current code? A code replaced
    since (see renew_idea_code) is never shown."""
    return bool(code) and submission.code_hash in idea_code_hashes(code or "")


def purge_expired_texts(days: int, *, now: datetime | None = None) -> int:
    """Delete the words of rejected and withdrawn ideas older than ``days``; returns how many."""
    now = now or utcnow()
    cutoff = now - timedelta(days=days)
    expired = db.session.scalars(
        select(Submission).where(
            Submission.status.in_([SubmissionStatus.REJECTED, SubmissionStatus.WITHDRAWN]),
            Submission.text_deleted_at.is_(None),
            func.coalesce(Submission.withdrawn_at, Submission.decided_at, Submission.created_at)
            < cutoff,
        )
    ).all()
    for submission in expired:
        submission.delete_text(now)
    return len(expired)
