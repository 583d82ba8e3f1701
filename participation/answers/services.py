"""Organisers' operations on answers ("you said, we did"): write a draft, link the ideas and
statements it answers, publish (or submit it for a second organiser's approval), withdraw, and
add progress updates.

Every operation records who acted in the audit log (never the children's or the answer's
words), and every status change is one conditional UPDATE from the status it expects, so two
organisers acting at once end with exactly one outcome.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import ColumnElement, CursorResult, delete, exists, insert, select, update

from participation.accounts.models import Role, User
from participation.answers.models import (
    Answer,
    AnswerStatus,
    AnswerSubject,
    AnswerText,
    AnswerUpdate,
    AnswerUpdateText,
    Decision,
    answer_links,
)
from participation.audit.models import AuditEvent
from participation.audit.services import record_event
from participation.committees.models import CommitteeSession, SessionStatus, Statement
from participation.db import db, utcnow
from participation.feedback.models import Submission, SubmissionSource, SubmissionStatus
from participation.plans.models import Section
from participation.plans.readability import TARGET_READING_EASE, reading_ease

# A short text for children: long answers are not read.
BODY_MAX_LENGTH = 1200
REASON_MAX_LENGTH = 600
UPDATE_MAX_LENGTH = 800
THEME_MAX_LENGTH = 120
# The live reading-ease check scores at most this much text (it is a short answer).
SCORE_MAX_LENGTH = 4000
# Committee sessions an answer may be written for: their statements are (being) decided.
ANSWERABLE_SESSIONS = (SessionStatus.IN_REVIEW, SessionStatus.ACCEPTED, SessionStatus.ANSWERED)
# The statuses publishing an answer moves a session on from.
SESSION_WAITING = (SessionStatus.ACCEPTED, SessionStatus.IN_REVIEW)
# The audit actions that make someone one of an answer's writers (who may not approve it).
WRITING_ACTIONS = ("answer.created", "answer.edited")
ORGANISERS = (Role.ORGANISER, Role.ADMIN)


class AnswerError(Exception):
    """An answer operation that cannot be done; ``code`` picks the organiser's message and
    ``locales`` names the languages concerned, if any."""

    def __init__(self, code: str, locales: tuple[str, ...] = ()) -> None:
        self.code = code
        self.locales = locales
        super().__init__(code if not locales else f"{code}: {', '.join(locales)}")


@dataclass(frozen=True)
class AnswerSubjectRef:
    """What an answer is about: a part, a "something missing" theme or a committee session."""

    subject: AnswerSubject
    section_id: int | None = None
    theme: str | None = None
    committee_session_id: int | None = None


@dataclass(frozen=True)
class TextInput:
    """The children's text of an answer in one language, and the reason when one is owed."""

    body: str
    reason: str = ""


def _clean(text: str | None) -> str:
    """Trimmed text with Windows line ends made plain (what a textarea sends)."""
    return (text or "").replace("\r\n", "\n").strip()


def supported_locales() -> tuple[str, ...]:
    """Every language children read the plan in: an answer needs a text in each."""
    return tuple(current_app.config["LANGUAGES"])


def score_text(text: str, locale: str) -> float:
    """The plan's reading-ease score of ``text`` in ``locale`` (the same formula as the plan).

    Raises :class:`AnswerError` ``bad_locale`` or ``too_long``; nothing is stored."""
    if locale not in supported_locales():
        raise AnswerError("bad_locale")
    if len(text) > SCORE_MAX_LENGTH:
        raise AnswerError("too_long")
    return reading_ease(text, locale)


def children_read(body: str, reason: str | None) -> str:
    """What children read in one language (the answer, then its reason): what is scored."""
    return "\n\n".join(part for part in (body, reason or "") if part.strip())


def below_floor(score: float | None) -> bool:
    """A text harder than the plan's target: organisers are warned (never blocked)."""
    return score is not None and score < TARGET_READING_EASE


def is_organiser(user: User) -> bool:
    """Organisers (and admins) write, publish and approve answers."""
    return bool(user.has_role(*ORGANISERS))


def _require_organiser(user: User) -> None:
    if not is_organiser(user):
        raise AnswerError("forbidden")


def _set_status(answer_id: int, expected: Collection[AnswerStatus], **values: object) -> bool:
    """One conditional UPDATE from an expected status; True if this call made the change."""
    result = db.session.execute(
        update(Answer)
        .where(Answer.id == answer_id, Answer.status.in_(list(expected)))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return isinstance(result, CursorResult) and result.rowcount == 1


def _refresh(answer: Answer) -> None:
    db.session.refresh(answer)


# --- Subject and texts -----------------------------------------------------------------------


def _check_subject(plan_id: int, ref: AnswerSubjectRef) -> AnswerSubjectRef:
    """The subject as stored, or AnswerError when it is not part of this plan or not answerable."""
    if ref.subject == AnswerSubject.PART:
        section = db.session.get(Section, ref.section_id) if ref.section_id else None
        if section is None or section.plan_id != plan_id or section.retired_at is not None:
            raise AnswerError("bad_part")
        return AnswerSubjectRef(AnswerSubject.PART, section_id=section.id)
    if ref.subject == AnswerSubject.MISSING:
        theme = " ".join((ref.theme or "").split())
        if not theme or len(theme) > THEME_MAX_LENGTH:
            raise AnswerError("bad_theme")
        return AnswerSubjectRef(AnswerSubject.MISSING, theme=theme)
    if ref.subject == AnswerSubject.COMMITTEE_SESSION:
        session = (db.session.get(CommitteeSession, ref.committee_session_id)
                   if ref.committee_session_id else None)
        if (session is None or session.plan_id != plan_id
                or session.status not in ANSWERABLE_SESSIONS):
            raise AnswerError("bad_session")
        return AnswerSubjectRef(AnswerSubject.COMMITTEE_SESSION,
                                committee_session_id=session.id)
    raise AnswerError("bad_subject")


def _clean_texts(texts: Mapping[str, TextInput]) -> dict[str, TextInput]:
    """The texts given, trimmed, in supported languages; too long is refused (a draft may leave
    a language empty: completeness is checked before anyone publishes)."""
    locales = supported_locales()
    cleaned: dict[str, TextInput] = {}
    for locale, text in texts.items():
        if locale not in locales:
            raise AnswerError("bad_locale", (locale,))
        body, reason = _clean(text.body), _clean(text.reason)
        if len(body) > BODY_MAX_LENGTH:
            raise AnswerError("body_too_long", (locale,))
        if len(reason) > REASON_MAX_LENGTH:
            raise AnswerError("reason_too_long", (locale,))
        cleaned[locale] = TextInput(body, reason)
    return cleaned


def _store_texts(answer: Answer, texts: Mapping[str, TextInput]) -> None:
    """Write each language's text with its reading ease; an emptied language is removed."""
    for locale, text in texts.items():
        row = answer.text_in(locale)
        if not text.body and not text.reason:
            if row is not None:
                answer.texts.remove(row)
            continue
        if row is None:
            row = AnswerText(locale=locale, body="")
            answer.texts.append(row)
        row.body = text.body
        row.reason = text.reason or None
        row.reading_ease = reading_ease(children_read(text.body, text.reason), locale)


def missing_texts(answer: Answer) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(languages without a text, languages without the reason the decision needs)."""
    no_body: list[str] = []
    no_reason: list[str] = []
    for locale in supported_locales():
        text = answer.text_in(locale)
        if text is None or not text.body.strip():
            no_body.append(locale)
        if answer.decision.needs_reason and (text is None or not (text.reason or "").strip()):
            no_reason.append(locale)
    return tuple(no_body), tuple(no_reason)


def check_complete(answer: Answer) -> None:
    """Children see an answer only with a text in every language, and the reason in every
    language when the decision is "not now" or "can't"."""
    no_body, no_reason = missing_texts(answer)
    if no_body:
        raise AnswerError("missing_text", no_body)
    if no_reason:
        raise AnswerError("missing_reason", no_reason)


# --- Drafts ----------------------------------------------------------------------------------


def create_answer(*, plan_id: int, subject: AnswerSubjectRef, decision: Decision,
                  texts: Mapping[str, TextInput], actor: User,
                  now: datetime | None = None) -> Answer:
    """Start a draft answer about a part, a theme or a committee session. The caller commits.

    Raises :class:`AnswerError` (``forbidden``, ``bad_part``, ``bad_theme``, ``bad_session``,
    ``bad_subject``, ``bad_locale``, ``body_too_long``, ``reason_too_long``)."""
    _require_organiser(actor)
    ref = _check_subject(plan_id, subject)
    cleaned = _clean_texts(texts)
    answer = Answer(
        public_id=uuid.uuid4().hex, plan_id=plan_id, subject=ref.subject,
        section_id=ref.section_id, theme=ref.theme,
        committee_session_id=ref.committee_session_id, decision=Decision(decision),
        status=AnswerStatus.DRAFT, written_by_id=actor.id,
    )
    if now is not None:
        answer.created_at = now
    db.session.add(answer)
    _store_texts(answer, cleaned)
    db.session.flush()
    record_event("answer.created", actor_id=actor.id, object_type="answer", object_id=answer.id,
                 details={"subject": ref.subject.value, "decision": answer.decision.value,
                          "locales": sorted(t.locale for t in answer.texts)})
    return answer


def edit_answer(answer: Answer, *, decision: Decision, texts: Mapping[str, TextInput],
                actor: User) -> Answer:
    """Change a draft, or an answer awaiting approval (which goes back to draft: the approver
    must read what children will read). A published answer is withdrawn or updated instead.

    Raises :class:`AnswerError` ``status_changed`` when someone else moved it meanwhile."""
    _require_organiser(actor)
    cleaned = _clean_texts(texts)
    previous = answer.status
    if not _set_status(answer.id, (AnswerStatus.DRAFT, AnswerStatus.AWAITING_APPROVAL),
                       status=AnswerStatus.DRAFT, decision=Decision(decision),
                       updated_at=utcnow()):
        _refresh(answer)
        raise AnswerError("status_changed")
    _refresh(answer)
    _store_texts(answer, cleaned)
    db.session.flush()
    record_event("answer.edited", actor_id=actor.id, object_type="answer", object_id=answer.id,
                 details={"decision": answer.decision.value,
                          "back_to_draft": previous == AnswerStatus.AWAITING_APPROVAL,
                          "locales": sorted(t.locale for t in answer.texts)})
    return answer


# --- Links to ideas and statements -----------------------------------------------------------


def linkable_condition(answer: Answer) -> list[ColumnElement[bool]]:
    """Which submissions an answer may link: approved ones of its part, its theme's "something
    missing" ideas, or its committee session's statements (the published text only)."""
    base: list[ColumnElement[bool]] = [
        Submission.plan_id == answer.plan_id, Submission.status == SubmissionStatus.APPROVED,
        Submission.published_body.is_not(None)]
    if answer.subject == AnswerSubject.PART:
        return [*base, Submission.section_id == answer.section_id]
    if answer.subject == AnswerSubject.MISSING:
        return [*base, Submission.section_id.is_(None)]
    statements = select(Statement.submission_id).where(
        Statement.session_id == answer.committee_session_id,
        Statement.submission_id.is_not(None))
    return [*base, Submission.source == SubmissionSource.COMMITTEE,
            Submission.id.in_(statements.scalar_subquery())]


def linked_ids(answer_id: int) -> set[int]:
    """The submissions an answer answers."""
    return set(db.session.scalars(
        select(answer_links.c.submission_id).where(answer_links.c.answer_id == answer_id)))


def link_submissions(answer: Answer, submission_ids: Collection[int], *, actor: User) -> int:
    """Set the ideas and statements an answer answers (replacing the previous choice); only
    approved ones of its subject. Returns how many are linked now.

    Raises :class:`AnswerError` ``withdrawn`` or ``bad_link`` (something not linkable)."""
    _require_organiser(actor)
    if answer.status == AnswerStatus.WITHDRAWN:
        raise AnswerError("withdrawn")
    wanted = set(submission_ids)
    allowed = set(db.session.scalars(
        select(Submission.id).where(Submission.id.in_(wanted), *linkable_condition(answer))))
    if wanted - allowed:
        raise AnswerError("bad_link")
    current = linked_ids(answer.id)
    added, removed = wanted - current, current - wanted
    if removed:
        db.session.execute(delete(answer_links).where(
            answer_links.c.answer_id == answer.id,
            answer_links.c.submission_id.in_(removed)))
    if added:
        db.session.execute(insert(answer_links), [
            {"answer_id": answer.id, "submission_id": submission_id}
            for submission_id in sorted(added)])
    if added or removed:
        record_event("answer.linked", actor_id=actor.id, object_type="answer",
                     object_id=answer.id,
                     details={"added": len(added), "removed": len(removed),
                              "linked": len(wanted)})
    return len(wanted)


# --- Publishing ------------------------------------------------------------------------------


def needs_second_organiser() -> bool:
    return bool(current_app.config["ANSWERS_NEED_SECOND_ORGANISER"])


def has_written(answer: Answer, user_id: int) -> bool:
    """Whether this person wrote or changed the answer: they may never approve it."""
    if answer.written_by_id == user_id:
        return True
    return bool(db.session.scalar(select(exists().where(
        AuditEvent.object_type == "answer", AuditEvent.object_id == str(answer.id),
        AuditEvent.actor_id == user_id, AuditEvent.action.in_(WRITING_ACTIONS)))))


def may_approve(answer: Answer, user: User) -> bool:
    """The named rule the page and the service share: another organiser, while it waits."""
    return (answer.status == AnswerStatus.AWAITING_APPROVAL and is_organiser(user)
            and not has_written(answer, user.id))


def _mark_session_answered(answer: Answer, actor_id: int, now: datetime) -> None:
    """Publishing a committee session's answer: the session is answered (from accepted or in
    review, once; a session answered already stays so)."""
    if answer.committee_session_id is None:
        return
    result = db.session.execute(
        update(CommitteeSession)
        .where(CommitteeSession.id == answer.committee_session_id,
               CommitteeSession.status.in_(SESSION_WAITING))
        .values(status=SessionStatus.ANSWERED, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if isinstance(result, CursorResult) and result.rowcount == 1:
        record_event("committee.session_answered", actor_id=actor_id,
                     object_type="committee_session", object_id=answer.committee_session_id,
                     details={"answer": answer.id})


def _go_live(answer: Answer, expected: AnswerStatus, actor: User, now: datetime,
             approved_by: int | None) -> None:
    if not _set_status(answer.id, (expected,), status=AnswerStatus.PUBLISHED, published_at=now,
                       approved_by_id=approved_by, updated_at=now):
        _refresh(answer)
        raise AnswerError("status_changed")
    _mark_session_answered(answer, actor.id, now)
    _refresh(answer)


def publish_answer(answer: Answer, *, actor: User, now: datetime | None = None) -> AnswerStatus:
    """Let children see a complete draft, or, when ANSWERS_NEED_SECOND_ORGANISER is on, send
    it to another organiser for approval. Returns the status it now has.

    Raises :class:`AnswerError` (``missing_text``, ``missing_reason``, ``status_changed``)."""
    _require_organiser(actor)
    now = now or utcnow()
    if answer.status != AnswerStatus.DRAFT:
        raise AnswerError("status_changed")
    check_complete(answer)
    if needs_second_organiser():
        if not _set_status(answer.id, (AnswerStatus.DRAFT,),
                           status=AnswerStatus.AWAITING_APPROVAL, updated_at=now):
            _refresh(answer)
            raise AnswerError("status_changed")
        _refresh(answer)
        record_event("answer.submitted", actor_id=actor.id, object_type="answer",
                     object_id=answer.id)
        return AnswerStatus.AWAITING_APPROVAL
    _go_live(answer, AnswerStatus.DRAFT, actor, now, approved_by=None)
    record_event("answer.published", actor_id=actor.id, object_type="answer",
                 object_id=answer.id, details={"decision": answer.decision.value})
    return AnswerStatus.PUBLISHED


def approve_answer(answer: Answer, *, actor: User, now: datetime | None = None) -> None:
    """A second organiser, who did not write it, lets children see an answer.

    Raises :class:`AnswerError` ``own_answer`` (its writer), ``status_changed`` (someone else
    approved or changed it first), ``missing_text`` / ``missing_reason``."""
    _require_organiser(actor)
    now = now or utcnow()
    if has_written(answer, actor.id):
        raise AnswerError("own_answer")
    if answer.status != AnswerStatus.AWAITING_APPROVAL:
        raise AnswerError("status_changed")
    check_complete(answer)
    _go_live(answer, AnswerStatus.AWAITING_APPROVAL, actor, now, approved_by=actor.id)
    record_event("answer.approved", actor_id=actor.id, object_type="answer",
                 object_id=answer.id, details={"decision": answer.decision.value})


def withdraw_answer(answer: Answer, *, actor: User, now: datetime | None = None) -> None:
    """Take a published answer down (kept for the record). A committee session with no other
    published answer is waiting for one again.

    Raises :class:`AnswerError` ``status_changed`` if it is not published (any more)."""
    _require_organiser(actor)
    now = now or utcnow()
    if not _set_status(answer.id, (AnswerStatus.PUBLISHED,), status=AnswerStatus.WITHDRAWN,
                       withdrawn_at=now, updated_at=now):
        _refresh(answer)
        raise AnswerError("status_changed")
    _refresh(answer)
    record_event("answer.withdrawn", actor_id=actor.id, object_type="answer",
                 object_id=answer.id)
    if answer.committee_session_id is not None:
        _reopen_session(answer.committee_session_id, actor.id, now)


def _reopen_session(session_id: int, actor_id: int, now: datetime) -> None:
    """An answered session whose last published answer was withdrawn waits for one again."""
    still = db.session.scalar(select(exists().where(
        Answer.committee_session_id == session_id, Answer.status == AnswerStatus.PUBLISHED)))
    if still:
        return
    session = db.session.get(CommitteeSession, session_id)
    if session is None:
        return
    back_to = SessionStatus.ACCEPTED if session.accepted_at else SessionStatus.IN_REVIEW
    result = db.session.execute(
        update(CommitteeSession)
        .where(CommitteeSession.id == session_id,
               CommitteeSession.status == SessionStatus.ANSWERED)
        .values(status=back_to, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if isinstance(result, CursorResult) and result.rowcount == 1:
        record_event("committee.session_unanswered", actor_id=actor_id,
                     object_type="committee_session", object_id=session_id)


# --- Progress updates ------------------------------------------------------------------------


def add_answer_update(answer: Answer, texts: Mapping[str, str], *, actor: User,
                      now: datetime | None = None) -> AnswerUpdate:
    """Tell children what happened since the answer ("we started", "it is done"), in every
    language. Published at once, or, with ANSWERS_NEED_SECOND_ORGANISER, once another
    organiser approves it.

    Raises :class:`AnswerError` ``not_published``, ``missing_text``, ``body_too_long``."""
    _require_organiser(actor)
    now = now or utcnow()
    if answer.status != AnswerStatus.PUBLISHED:
        raise AnswerError("not_published")
    locales = supported_locales()
    cleaned = {locale: _clean(texts.get(locale)) for locale in locales}
    missing = tuple(locale for locale, body in cleaned.items() if not body)
    if missing:
        raise AnswerError("missing_text", missing)
    too_long = tuple(locale for locale, body in cleaned.items() if len(body) > UPDATE_MAX_LENGTH)
    if too_long:
        raise AnswerError("body_too_long", too_long)
    second = needs_second_organiser()
    item = AnswerUpdate(answer_id=answer.id, written_by_id=actor.id, created_at=now,
                        published_at=None if second else now)
    item.texts = [AnswerUpdateText(locale=locale, body=body,
                                   reading_ease=reading_ease(body, locale))
                  for locale, body in cleaned.items()]
    db.session.add(item)
    db.session.flush()
    record_event("answer.update_added", actor_id=actor.id, object_type="answer",
                 object_id=answer.id, details={"update": item.id, "published": not second})
    return item


def approve_answer_update(item: AnswerUpdate, *, actor: User,
                          now: datetime | None = None) -> None:
    """Another organiser lets children see a progress update (its writer never can).

    Raises :class:`AnswerError` ``own_answer`` or ``status_changed`` (already published)."""
    _require_organiser(actor)
    now = now or utcnow()
    if item.written_by_id == actor.id:
        raise AnswerError("own_answer")
    result = db.session.execute(
        update(AnswerUpdate)
        .where(AnswerUpdate.id == item.id, AnswerUpdate.published_at.is_(None))
        .values(published_at=now)
        .execution_options(synchronize_session=False)
    )
    if not (isinstance(result, CursorResult) and result.rowcount == 1):
        db.session.refresh(item)
        raise AnswerError("status_changed")
    db.session.refresh(item)
    record_event("answer.update_approved", actor_id=actor.id, object_type="answer",
                 object_id=item.answer_id, details={"update": item.id})
