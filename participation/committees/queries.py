"""Reads of committee input once an adult decided it: the approved statements and photo
captions under each part (children's side, organisers' overview), and what a reviewer or a
safeguarding lead is shown of where a statement or a room concern comes from.

Group input is read from committee tables joined to approved submissions with
``source = committee``: it is never mixed into (or counted with) individual children's ideas.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, select

from participation.committees.labels import SHARE_LABELS, STATEMENT_KIND_LABELS, VOICE_LABELS
from participation.committees.models import (
    Committee,
    CommitteeSession,
    SessionPhoto,
    Statement,
    StatementKind,
)
from participation.db import db
from participation.feedback.models import Submission, SubmissionSource, SubmissionStatus
from participation.moderation.queries import CommitteeOrigin, SessionFacts

# How a statement's kind reads to reviewers and to children.
CHILD_KIND_LABELS = {
    StatementKind.RECOMMENDATION: _l("They ask for this"),
    StatementKind.QUESTION: _l("They have a question"),
    StatementKind.MINORITY_VIEW: _l("Some of them think differently"),
}
UNNAMED = _l("A children's committee")


def committee_label(name: str, name_is_public: bool) -> str:
    """How children and exports see a committee: its name only when it may be published."""
    return name if name_is_public else str(UNNAMED)


@dataclass(frozen=True)
class ApprovedStatement:
    """A committee's statement an adult approved: only its published text is ever shown."""

    text: str
    kind: StatementKind
    committee: str  # the committee's label (its name only if it may be published)
    locale: str


@dataclass(frozen=True)
class ApprovedCaption:
    """A photo of the children's work whose caption an adult approved."""

    photo_id: str  # the photo's public id (the image is served only while this holds)
    text: str
    committee: str
    locale: str
    width: int
    height: int


def _approved(plan_id: int, section_id: int | None, locale: str | None,
              other_than: str | None) -> list[ColumnElement[bool]]:
    """Approved group input of one part (or "something missing") in the languages asked."""
    conditions: list[ColumnElement[bool]] = [
        Submission.plan_id == plan_id,
        Submission.source == SubmissionSource.COMMITTEE,
        Submission.status == SubmissionStatus.APPROVED,
        Submission.published_body.is_not(None),
        Submission.section_id == section_id if section_id is not None
        else Submission.section_id.is_(None),
    ]
    if locale is not None:
        conditions.append(Submission.locale == locale)
    if other_than is not None:
        conditions.append(Submission.locale != other_than)
    return conditions


def approved_statements(plan_id: int, section_id: int | None, *, locale: str | None = None,
                        other_than: str | None = None, limit: int = 20
                        ) -> list[ApprovedStatement]:
    """Committee statements approved under a part (or "something missing"), newest first, in
    one language, all but one, or all."""
    rows = db.session.execute(
        select(Submission.published_body, Statement.kind, Committee.name,
               Committee.name_is_public, Submission.locale)
        .join(Statement, Statement.submission_id == Submission.id)
        .join(CommitteeSession, CommitteeSession.id == Statement.session_id)
        .join(Committee, Committee.id == CommitteeSession.committee_id)
        .where(*_approved(plan_id, section_id, locale, other_than))
        .order_by(Submission.decided_at.desc(), Submission.id.desc())
        .limit(limit)
    ).all()
    return [ApprovedStatement(text or "", kind, committee_label(name, public), row_locale)
            for text, kind, name, public, row_locale in rows]


def approved_captions(plan_id: int, section_id: int | None, *, locale: str | None = None,
                      other_than: str | None = None, limit: int = 10) -> list[ApprovedCaption]:
    """Photos of children's work whose caption was approved under a part, newest first."""
    rows = db.session.execute(
        select(SessionPhoto.public_id, Submission.published_body, Committee.name,
               Committee.name_is_public, Submission.locale, SessionPhoto.width,
               SessionPhoto.height)
        .join(SessionPhoto, SessionPhoto.submission_id == Submission.id)
        .join(CommitteeSession, CommitteeSession.id == SessionPhoto.session_id)
        .join(Committee, Committee.id == CommitteeSession.committee_id)
        .where(*_approved(plan_id, section_id, locale, other_than))
        .order_by(Submission.decided_at.desc(), Submission.id.desc())
        .limit(limit)
    ).all()
    return [ApprovedCaption(photo_id, text or "", committee_label(name, public), row_locale,
                            width, height)
            for photo_id, text, name, public, row_locale, width, height in rows]


def public_photo(public_id: str) -> SessionPhoto | None:
    """A photo children may see: its caption was approved (and is still approved)."""
    found: SessionPhoto | None = db.session.scalar(
        select(SessionPhoto)
        .join(Submission, Submission.id == SessionPhoto.submission_id)
        .where(SessionPhoto.public_id == public_id,
               Submission.source == SubmissionSource.COMMITTEE,
               Submission.status == SubmissionStatus.APPROVED,
               Submission.published_body.is_not(None))
    )
    return found


# The staff route that serves a photo to the session's facilitators and the caption's
# reviewers (committees/session_views.py); the item page shows the caption alone without it.
STAFF_PHOTO_ENDPOINT = "committee_sessions.photo"


def _staff_photo_url(session_public_id: str, photo_public_id: str) -> str | None:
    if STAFF_PHOTO_ENDPOINT not in current_app.view_functions:
        return None
    rule = next(current_app.url_map.iter_rules(STAFF_PHOTO_ENDPOINT))
    if set(rule.arguments) != {"session_id", "photo_id"}:  # another shape: the caption alone
        return None
    return url_for(STAFF_PHOTO_ENDPOINT, session_id=session_public_id, photo_id=photo_public_id)


def committee_origin(submission: Submission) -> CommitteeOrigin | None:
    """What a reviewer sees of where a statement or caption comes from: the committee, the
    session's date, the statement's kind, voice and share; never consent counts, the
    facilitator's account or who the facilitator is."""
    if submission.source != SubmissionSource.COMMITTEE:
        return None
    statement = db.session.execute(
        select(Statement.kind, Statement.voice, Statement.share, Committee.name,
               CommitteeSession.held_on)
        .join(CommitteeSession, CommitteeSession.id == Statement.session_id)
        .join(Committee, Committee.id == CommitteeSession.committee_id)
        .where(Statement.submission_id == submission.id)
    ).first()
    if statement is not None:
        kind, voice, share, name, held_on = statement
        return CommitteeOrigin(
            committee=name, held_on=held_on, kind=str(STATEMENT_KIND_LABELS[kind]),
            voice=str(VOICE_LABELS[voice]),
            share=str(SHARE_LABELS[share]) if share is not None else None, photo_url=None,
        )
    photo = db.session.execute(
        select(SessionPhoto.public_id, CommitteeSession.public_id, Committee.name,
               CommitteeSession.held_on)
        .join(CommitteeSession, CommitteeSession.id == SessionPhoto.session_id)
        .join(Committee, Committee.id == CommitteeSession.committee_id)
        .where(SessionPhoto.submission_id == submission.id)
    ).first()
    if photo is None:
        return None
    photo_id, session_public_id, name, held_on = photo
    return CommitteeOrigin(committee=name, held_on=held_on, kind=None, voice=None, share=None,
                           photo_url=_staff_photo_url(session_public_id, photo_id))


def room_session_facts(session_ids: Collection[int]) -> dict[int, SessionFacts]:
    """Where and when room concerns were raised: the committee's name and the session's date
    and language (never its consent details or statements)."""
    rows = db.session.execute(
        select(CommitteeSession.id, Committee.name, CommitteeSession.held_on,
               CommitteeSession.locale)
        .join(Committee, Committee.id == CommitteeSession.committee_id)
        .where(CommitteeSession.id.in_(list(session_ids)))
    ).all()
    return {session_id: SessionFacts(name, held_on, locale)
            for session_id, name, held_on, locale in rows}


def session_of_submission(submission_id: int) -> int | None:
    """The committee session a statement or caption submission belongs to, if any."""
    found: int | None = db.session.scalar(
        select(Statement.session_id).where(Statement.submission_id == submission_id))
    if found is None:
        found = db.session.scalar(
            select(SessionPhoto.session_id).where(SessionPhoto.submission_id == submission_id))
    return found

