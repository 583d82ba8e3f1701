"""Operations on a committee session, step by step, by the facilitator who runs it.

Each takes explicit arguments, records who acted in the audit log (never a child's words) and
raises :class:`SessionError` with a code the view turns into a message; the caller commits.
A session holds counts and the group's words, never a child's name. Changing what a session
says after the children checked it returns it to a draft until it is read back again.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path

import yaml
from sqlalchemy import CursorResult, select, update

from participation.accounts.models import User
from participation.audit.services import record_event
from participation.committees.access import runs_committee
from participation.committees.models import (
    AssentText,
    Committee,
    CommitteeSession,
    CommitteeStatus,
    GroupPosition,
    Method,
    SessionPart,
    SessionStatus,
    SessionStep,
    ShareOfGroup,
    Statement,
    StatementKind,
    StatementVoice,
)
from participation.db import db, insert_unless_exists, utcnow
from participation.feedback.models import Submission, SubmissionStatus
from participation.feedback.services import MAX_IDEA_LENGTH
from participation.jobs.services import enqueue
from participation.moderation.models import Concern, ConcernEntry, EntryKind
from participation.plans.models import Section, SectionText
from participation.plans.queries import PlanView, get_plan_view, plan_view_for
from participation.screening.services import Priority

OBJECT_TYPE = "committee_session"
DATA_DIR = Path(__file__).parent / "data"
MAX_CHILDREN = 200
VOTE_METHODS = frozenset({Method.SHOW_OF_HANDS, Method.SECRET_VOTE})
VOTE_CHOICES = ("agree", "disagree", "abstain")
KEPT_AT_MAX = 200
HARD_WORDS_MAX = 500
ACCOUNT_MAX = 2000
CASE_REFERENCE_MAX = 64
NOTE_MAX = 2000
STEP_ORDER = tuple(SessionStep)
# Control and invisible direction characters say nothing anyone meant to write.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


class SessionError(Exception):
    """An action on a session that cannot be done; ``code`` picks the facilitator's message."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(code)


# -- reading -------------------------------------------------------------------------------

def find_session(public_id: str) -> CommitteeSession | None:
    """The session behind a URL's public id (None for anything else)."""
    if not re.fullmatch(r"[0-9a-f]{32}", public_id):
        return None
    return db.session.scalar(
        select(CommitteeSession).where(CommitteeSession.public_id == public_id))


def find_committee(public_id: str) -> Committee | None:
    if not re.fullmatch(r"[0-9a-f]{32}", public_id):
        return None
    return db.session.scalar(select(Committee).where(Committee.public_id == public_id))


def plan_view(session: CommitteeSession) -> PlanView | None:
    """The session's plan as children read it in the session's language: the cached copy
    while it is the current plan, else built for it (a pack outlives a plan's replacement)."""
    view = get_plan_view(session.locale)
    if view is not None and view.id == session.plan_id:
        return view
    return plan_view_for(session.plan_id, session.locale)


def choosable_sections(session: CommitteeSession) -> list[tuple[int, str]]:
    """The parts of the session's plan a facilitator may choose: (section id, title)."""
    titles = section_titles(session.plan_id, session.locale)
    ids = db.session.scalars(
        select(Section.id).where(Section.plan_id == session.plan_id,
                                 Section.retired_at.is_(None)).order_by(Section.position)).all()
    return [(section_id, titles.get(section_id, "")) for section_id in ids]


def section_titles(plan_id: int, locale: str) -> dict[int, str]:
    """Every section's title in ``locale`` (another language when that one is missing), even
    for retired parts: a session's record keeps its parts' names."""
    rows = db.session.execute(
        select(SectionText.section_id, SectionText.locale, SectionText.title)
        .join(Section, Section.id == SectionText.section_id)
        .where(Section.plan_id == plan_id)
    ).all()
    titles: dict[int, str] = {}
    for section_id, text_locale, title in rows:
        if text_locale == locale or section_id not in titles:
            titles[section_id] = title
    return titles


def consent_complete(session: CommitteeSession) -> bool:
    """Consent recorded and every child present assented: the session may go on."""
    return (session.children_present is not None and session.children_present >= 1
            and session.child_assents == session.children_present
            and session.assent_text_id is not None
            and session.may_quote is not None and session.may_photograph_work is not None
            and bool(session.paper_forms_kept_at) and session.paper_forms_kept_until is not None)


def has_vote(session: CommitteeSession) -> bool:
    return any(method in VOTE_METHODS for method in session.methods)


def attested(session: CommitteeSession) -> bool:
    return (bool(session.account) and session.all_could_speak is not None
            and session.not_told_what_to_say is True)


def something_to_send(session: CommitteeSession) -> bool:
    return bool(session.statements) or any(photo.caption for photo in session.photos)


@dataclass(frozen=True)
class StepState:
    """One step of the flow on the session page: done or not, and what is still missing."""

    step: SessionStep
    done: bool
    missing: tuple[str, ...]  # codes the page turns into sentences


def step_states(session: CommitteeSession) -> list[StepState]:
    """Where the session is, step by step, for the facilitator coming back to it."""
    parts = session.parts
    prepared = bool(parts) and bool(session.methods)
    consent = consent_complete(session)
    unanswered = sum(1 for part in parts if part.group_position is None)
    photos_missing: tuple[str, ...] = ()
    if session.may_photograph_work is False:
        photos_missing = ("photos_not_agreed",)
    elif not session.photos:
        photos_missing = ("no_photos",)
    read_back = session.read_back_at is not None and session.status != SessionStatus.DRAFT
    return [
        StepState(SessionStep.PREPARE, prepared, () if prepared else ("no_parts",)),
        StepState(SessionStep.CONSENT, consent, () if consent else ("consent",)),
        StepState(SessionStep.PARTS, consent and unanswered == 0 and something_to_send(session),
                  tuple(code for code, missing in (
                      ("positions", unanswered > 0),
                      ("statements", not something_to_send(session))) if missing)),
        StepState(SessionStep.WORK, bool(session.photos), photos_missing),
        StepState(SessionStep.READ_BACK, read_back, () if read_back else ("read_back",)),
        StepState(SessionStep.ATTEST, attested(session), () if attested(session) else ("attest",)),
    ]


def unanswered_parts(session: CommitteeSession) -> int:
    return sum(1 for part in session.parts if part.group_position is None)


# -- assent texts --------------------------------------------------------------------------

@cache
def assent_texts() -> tuple[int, dict[str, str]]:
    """The assent text's current version and its words per language, from data/assent.yaml."""
    data = yaml.safe_load((DATA_DIR / "assent.yaml").read_text(encoding="utf-8"))
    return int(data["version"]), {str(k): str(v).strip() for k, v in data["texts"].items()}


def current_assent(locale: str) -> AssentText:
    """The row of the current assent text in ``locale`` (English when that language has
    none), stored on first use: a session points at the exact words read to the children."""
    version, texts = assent_texts()
    for text_locale, body in texts.items():
        insert_unless_exists(AssentText, {"version": version, "locale": text_locale,
                                          "body": body, "created_at": utcnow()},
                             unique=["version", "locale"])
    wanted = locale if locale in texts else "en"
    return db.session.scalars(select(AssentText).where(
        AssentText.version == version, AssentText.locale == wanted)).one()


# -- writing -------------------------------------------------------------------------------

def audit_session(action: str, session: CommitteeSession, actor: User,
                  **details: object) -> None:
    record_event(action, actor_id=actor.id, object_type=OBJECT_TYPE,
                 object_id=session.public_id, details=details or None)


def reach_step(session: CommitteeSession, step: SessionStep) -> None:
    """Remember the furthest step reached."""
    if STEP_ORDER.index(step) > STEP_ORDER.index(session.step):
        session.step = step


def _change_status(session: CommitteeSession, expected: SessionStatus,
                   **values: object) -> bool:
    """One conditional UPDATE from ``expected``: of two racing changes exactly one wins."""
    result = db.session.execute(
        update(CommitteeSession)
        .where(CommitteeSession.id == session.id, CommitteeSession.status == expected)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    changed = isinstance(result, CursorResult) and result.rowcount == 1
    db.session.refresh(session)
    return changed


def ensure_editable(session: CommitteeSession, actor: User) -> None:
    """Only the committee's facilitators change a session, and only before it is sent. A
    change after the children checked it takes it back to a draft, to be read back again."""
    if not runs_committee(actor, session.committee):
        raise SessionError("forbidden")
    if not session.is_editable:
        raise SessionError("not_editable")
    if session.status == SessionStatus.CHECKED:
        db.session.flush()
        if not _change_status(session, SessionStatus.CHECKED, status=SessionStatus.DRAFT,
                              read_back_at=None, corrected_at_read_back=True):
            raise SessionError("not_editable")


def ensure_consent(session: CommitteeSession) -> None:
    if not consent_complete(session):
        raise SessionError("consent_first")


def clean_text(text: str | None, limit: int, *, code: str, required: bool = True) -> str | None:
    cleaned = _CONTROL_RE.sub("", (text or "").replace("\r\n", "\n")).strip()
    if not cleaned:
        if required:
            raise SessionError(code)
        return None
    if len(cleaned) > limit:
        raise SessionError(code + "_too_long")
    return cleaned


def start_session(committee: Committee, facilitator: User, *, held_on: date,
                  locale: str) -> CommitteeSession:
    """Open a draft session of an active committee on the current plan."""
    if not runs_committee(facilitator, committee):
        raise SessionError("forbidden")
    if committee.status != CommitteeStatus.ACTIVE:
        raise SessionError("committee_not_active")
    if locale not in committee.locales:
        raise SessionError("bad_locale")
    plan = get_plan_view(locale)
    if plan is None:
        raise SessionError("no_plan")
    session = CommitteeSession(
        public_id=uuid.uuid4().hex, committee_id=committee.id, plan_id=plan.id,
        facilitator_id=facilitator.id, locale=locale, held_on=held_on, methods=[],
        status=SessionStatus.DRAFT, step=SessionStep.PREPARE,
    )
    db.session.add(session)
    db.session.flush()
    audit_session("committee.session_started", session, facilitator, committee=committee.public_id)
    return session


def prepare_session(session: CommitteeSession, facilitator: User, *, section_ids: list[int],
                    locale: str, methods: list[str]) -> None:
    """Choose the parts (of this session's plan only), the language and the methods."""
    ensure_editable(session, facilitator)
    if locale not in session.committee.locales:
        raise SessionError("bad_locale")
    if locale != session.locale and session.children_present is not None:
        raise SessionError("locale_fixed")  # the assent was read in the first language
    try:
        chosen_methods = sorted({Method(m) for m in methods}, key=list(Method).index)
    except ValueError:
        raise SessionError("bad_method") from None
    if not chosen_methods:
        raise SessionError("no_method")
    wanted = list(dict.fromkeys(section_ids))
    if not wanted:
        raise SessionError("no_parts")
    sections = db.session.scalars(select(Section).where(
        Section.id.in_(wanted), Section.plan_id == session.plan_id,
        Section.retired_at.is_(None)).order_by(Section.position)).all()
    if len(sections) != len(wanted):
        raise SessionError("bad_part")
    keep = {section.id for section in sections}
    used = {s.section_id for s in session.statements} | {p.section_id for p in session.photos}
    for part in list(session.parts):
        if part.section_id not in keep:
            if part.section_id in used:
                raise SessionError("part_in_use")
            session.parts.remove(part)
    by_section = {part.section_id: part for part in session.parts}
    for position, section in enumerate(sections, start=1):
        existing = by_section.get(section.id)
        if existing is None:
            session.parts.append(SessionPart(section_id=section.id, position=position))
        else:
            existing.position = position
    session.locale = locale
    session.methods = [m.value for m in chosen_methods]
    if not has_vote(session):
        for part in session.parts:
            part.votes = None
    reach_step(session, SessionStep.CONSENT)
    audit_session("committee.session_prepared", session, facilitator, parts=len(sections),
           methods=session.methods, locale=locale)


@dataclass(frozen=True)
class ConsentRecord:
    """What the facilitator counted, without a single name."""

    children_present: int
    aged_8_10: int
    aged_11_13: int
    aged_14_17: int
    guardian_consents: int
    child_assents: int
    may_quote: bool
    may_photograph_work: bool
    paper_forms_kept_at: str
    paper_forms_kept_until: date


def record_consent(session: CommitteeSession, facilitator: User, record: ConsentRecord, *,
                   today: date) -> None:
    """Store the consent counts and the assent text read; refuse anything that does not add
    up, and any child present who did not assent (they do not take part)."""
    ensure_editable(session, facilitator)
    if not session.parts:
        raise SessionError("prepare_first")
    present = record.children_present
    if present < 1:
        raise SessionError("no_children")
    if present > MAX_CHILDREN:
        raise SessionError("too_many_children")
    counts = (record.aged_8_10, record.aged_11_13, record.aged_14_17,
              record.guardian_consents, record.child_assents)
    if any(count < 0 for count in counts):
        raise SessionError("negative")
    if record.aged_8_10 + record.aged_11_13 + record.aged_14_17 != present:
        raise SessionError("ages_dont_add_up")
    if record.guardian_consents > present:
        raise SessionError("too_many_consents")
    if record.child_assents != present:
        raise SessionError("assent_shortfall")
    kept_at = clean_text(record.paper_forms_kept_at, KEPT_AT_MAX, code="kept_at")
    if record.paper_forms_kept_until <= today:
        raise SessionError("kept_until_past")
    if not record.may_photograph_work and session.photos:
        raise SessionError("photos_exist")
    if not record.may_quote and any(s.voice == StatementVoice.OWN_WORDS
                                    for s in session.statements):
        raise SessionError("quotes_exist")
    assent = current_assent(session.locale)
    session.children_present = present
    session.aged_8_10, session.aged_11_13, session.aged_14_17 = (
        record.aged_8_10, record.aged_11_13, record.aged_14_17)
    session.guardian_consents, session.child_assents = (
        record.guardian_consents, record.child_assents)
    session.may_quote, session.may_photograph_work = record.may_quote, record.may_photograph_work
    session.paper_forms_kept_at, session.paper_forms_kept_until = (
        kept_at, record.paper_forms_kept_until)
    session.assent_text_id = assent.id
    reach_step(session, SessionStep.PARTS)
    audit_session("committee.consent_recorded", session, facilitator,
           children=present, assent_version=assent.version)


def record_part(session: CommitteeSession, facilitator: User, part: SessionPart, *,
                group_position: GroupPosition | None, votes: dict[str, int] | None,
                rank: int | None, hard_words: str | None) -> None:
    """What the group made of one part: its position, vote tallies, rank and hard words."""
    ensure_editable(session, facilitator)
    ensure_consent(session)
    if part.session_id != session.id:
        raise SessionError("bad_part")
    if votes is not None and any(value is not None for value in votes.values()):
        if not has_vote(session):
            raise SessionError("no_vote_method")
        tallies = {key: int(votes.get(key) or 0) for key in VOTE_CHOICES}
        if any(value < 0 for value in tallies.values()):
            raise SessionError("negative")
        if sum(tallies.values()) > (session.children_present or 0):
            raise SessionError("votes_exceed")
        part.votes = tallies
    else:
        part.votes = None
    if rank is not None and not 1 <= rank <= len(session.parts):
        raise SessionError("bad_rank")
    part.group_position = group_position
    part.rank = rank
    part.hard_words = clean_text(hard_words, HARD_WORDS_MAX, code="hard_words", required=False)
    reach_step(session, SessionStep.PARTS)
    audit_session("committee.part_recorded", session, facilitator, section_id=part.section_id)


@dataclass(frozen=True)
class StatementInput:
    """A statement as the form gives it; ``section_id`` None is "something missing"."""

    section_id: int | None
    kind: StatementKind
    voice: StatementVoice
    share: ShareOfGroup | None
    body: str


def _check_statement(session: CommitteeSession, data: StatementInput) -> str:
    if data.section_id is not None and data.section_id not in {
            part.section_id for part in session.parts}:
        raise SessionError("bad_part")
    if data.kind == StatementKind.MINORITY_VIEW and data.share is None:
        raise SessionError("share_required")
    if data.voice == StatementVoice.OWN_WORDS and not session.may_quote:
        raise SessionError("no_quotes")
    body = clean_text(data.body, MAX_IDEA_LENGTH, code="statement")
    assert body is not None
    return body


def add_statement(session: CommitteeSession, facilitator: User,
                  data: StatementInput) -> Statement:
    """A recommendation, question or minority view of the group, in the words chosen."""
    ensure_editable(session, facilitator)
    ensure_consent(session)
    body = _check_statement(session, data)
    statement = Statement(section_id=data.section_id, kind=data.kind, voice=data.voice,
                          share=data.share, body=body)
    session.statements.append(statement)
    db.session.flush()
    reach_step(session, SessionStep.PARTS)
    audit_session("committee.statement_added", session, facilitator, statement=statement.id,
           kind=data.kind.value, section_id=data.section_id)
    return statement


def edit_statement(session: CommitteeSession, facilitator: User, statement: Statement,
                   data: StatementInput) -> None:
    """Correct a statement while the session is a draft (or being read back)."""
    ensure_editable(session, facilitator)
    ensure_consent(session)
    if statement.session_id != session.id:
        raise SessionError("bad_statement")
    body = _check_statement(session, data)
    statement.section_id, statement.kind, statement.voice = data.section_id, data.kind, data.voice
    statement.share, statement.body = data.share, body
    audit_session("committee.statement_edited", session, facilitator, statement=statement.id,
           kind=data.kind.value, section_id=data.section_id)


def delete_statement(session: CommitteeSession, facilitator: User,
                     statement: Statement) -> None:
    """Take a statement out of the draft (the children changed their mind, a duplicate...)."""
    ensure_editable(session, facilitator)
    if statement.session_id != session.id:
        raise SessionError("bad_statement")
    session.statements.remove(statement)
    audit_session("committee.statement_deleted", session, facilitator, statement=statement.id)


def record_read_back(session: CommitteeSession, facilitator: User, *, corrected: bool,
                     now: datetime | None = None) -> None:
    """The children checked "what we will send" (corrected first, or not)."""
    if not runs_committee(facilitator, session.committee):
        raise SessionError("forbidden")
    ensure_consent(session)
    if not something_to_send(session):
        raise SessionError("nothing_to_send")
    if session.status != SessionStatus.DRAFT:
        raise SessionError("not_draft")
    db.session.flush()
    if not _change_status(session, SessionStatus.DRAFT, status=SessionStatus.CHECKED,
                          read_back_at=now or utcnow(),
                          corrected_at_read_back=session.corrected_at_read_back or corrected):
        raise SessionError("not_draft")
    reach_step(session, SessionStep.READ_BACK)
    audit_session("committee.read_back", session, facilitator,
                  corrected=session.corrected_at_read_back)


def record_attestation(session: CommitteeSession, facilitator: User, *, account: str,
                       all_could_speak: bool, not_told_what_to_say: bool) -> None:
    """The facilitator's own account of the session (staff words, never a child's name).
    Not a change to what the children checked, so a checked session stays checked."""
    if not runs_committee(facilitator, session.committee):
        raise SessionError("forbidden")
    if not session.is_editable:
        raise SessionError("not_editable")
    ensure_consent(session)
    text = clean_text(account, ACCOUNT_MAX, code="account")
    if not not_told_what_to_say:
        raise SessionError("told_what_to_say")
    session.account, session.all_could_speak = text, all_could_speak
    session.not_told_what_to_say = True
    reach_step(session, SessionStep.ATTEST)
    audit_session("committee.attested", session, facilitator, all_could_speak=all_could_speak)


def withdraw_session(session: CommitteeSession, facilitator: User, *,
                     now: datetime | None = None) -> None:
    """Take the session back before any of its submissions is decided.

    Its pending submissions are withdrawn and their words deleted, except a possible
    disclosure (urgent or escalated): that one stays with the safeguarding leads, as a
    child's withdrawn idea does. One decision made meanwhile by a reviewer wins: then nothing
    is withdrawn (the caller rolls back).
    """
    if not runs_committee(facilitator, session.committee):
        raise SessionError("forbidden")
    now = now or utcnow()
    expected = session.status
    if expected not in (SessionStatus.DRAFT, SessionStatus.CHECKED, SessionStatus.SUBMITTED):
        raise SessionError("cannot_withdraw")
    db.session.flush()
    if not _change_status(session, expected, status=SessionStatus.WITHDRAWN, withdrawn_at=now):
        raise SessionError("cannot_withdraw")
    ids = [s.submission_id for s in session.statements if s.submission_id is not None]
    ids += [p.submission_id for p in session.photos if p.submission_id is not None]
    keep = Submission.priority >= Priority.CHECK_SOON
    for submission_id in ids:
        result = db.session.execute(
            update(Submission)
            .where(Submission.id == submission_id,
                   Submission.status == SubmissionStatus.PENDING, ~keep)
            .values(status=SubmissionStatus.WITHDRAWN, withdrawn_at=now, body=None,
                    suggested_redaction=None, published_body=None, text_deleted_at=now,
                    claimed_by_id=None, claim_expires_at=None)
            .execution_options(synchronize_session=False)
        )
        if isinstance(result, CursorResult) and result.rowcount == 1:
            continue
        left = db.session.get_one(Submission, submission_id)
        db.session.refresh(left)
        if left.status != SubmissionStatus.PENDING:
            raise SessionError("already_decided")  # a reviewer decided it: too late
    audit_session("committee.session_withdrawn", session, facilitator, submissions=len(ids),
           kept_for_leads=_count_kept(ids))


def _count_kept(ids: list[int]) -> int:
    if not ids:
        return 0
    return len(db.session.scalars(select(Submission.id).where(
        Submission.id.in_(ids), Submission.status == SubmissionStatus.PENDING)).all())


def raise_room_concern(session: CommitteeSession, facilitator: User, *, case_reference: str,
                       note: str) -> Concern:
    """A child disclosed something in the room: the safeguarding leads get a concern about
    the session (never a statement, never a name), with the case reference the supporting
    organisation holds, and are alerted at once (without the note)."""
    if not runs_committee(facilitator, session.committee):
        raise SessionError("forbidden")
    reference = clean_text(case_reference, CASE_REFERENCE_MAX, code="case_reference")
    text = clean_text(note, NOTE_MAX, code="note")
    assert reference is not None and text is not None
    concern = Concern(committee_session_id=session.id, case_reference=reference,
                      opened_by_id=facilitator.id, opened_at=utcnow())
    db.session.add(concern)
    db.session.flush()
    db.session.add(ConcernEntry(concern_id=concern.id, author_id=facilitator.id,
                                kind=EntryKind.NOTE, text=text))
    audit_session("committee.room_concern", session, facilitator, concern=concern.id)
    enqueue("alert.room_concern", {"concern_id": concern.id})
    return concern


def submission_states(session: CommitteeSession) -> dict[int, SubmissionStatus]:
    """The review state of each of the session's submissions (submission id -> status)."""
    ids = [s.submission_id for s in session.statements if s.submission_id is not None]
    ids += [p.submission_id for p in session.photos if p.submission_id is not None]
    if not ids:
        return {}
    rows = db.session.execute(select(Submission.id, Submission.status).where(
        Submission.id.in_(ids))).all()
    return {row[0]: row[1] for row in rows}

