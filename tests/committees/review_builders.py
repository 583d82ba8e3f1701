"""Builder for the review tests: a committee session as its facilitator submitted it, written
straight to the database the way committees/submit.py does (each statement and caption a
screened PENDING submission with source = committee and submitted_by_id = the facilitator).
No tests here."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass, field
from datetime import date

from flask import Flask
from PIL import Image
from sqlalchemy import select

from participation.committees.models import (
    Committee,
    CommitteeSession,
    SessionPhoto,
    SessionStatus,
    ShareOfGroup,
    Statement,
    StatementKind,
    StatementVoice,
)
from participation.db import db, utcnow
from participation.feedback.models import Submission, SubmissionSource
from participation.feedback.services import screened_values
from participation.plans.models import Plan, Section


@dataclass(frozen=True)
class Said:
    """One statement the group made (``part`` a section slug, None for "something missing")."""

    body: str
    part: str | None = "values"
    kind: StatementKind = StatementKind.RECOMMENDATION
    voice: StatementVoice = StatementVoice.OWN_WORDS
    share: ShareOfGroup | None = ShareOfGroup.MOST


@dataclass(frozen=True)
class Sent:
    """What the builder made: the session and its submissions' public ids, in order."""

    session_id: int
    session_public_id: str
    statements: list[str] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)
    photos: list[str] = field(default_factory=list)  # the photos' public ids


def tiny_png(colour: tuple[int, int, int] = (40, 120, 200)) -> bytes:
    """A small drawing-like PNG (no metadata)."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def submitted_session(app: Flask, committee_public_id: str, facilitator_id: int, *,
                      said: tuple[Said, ...] = (Said("Des parcs plus près des écoles."),),
                      captions: tuple[tuple[str | None, str], ...] = (),
                      locale: str = "fr", held_on: date = date(2026, 11, 20)) -> Sent:
    """A session of the committee on the current plan, submitted with these statements and
    photo captions (``(part slug, caption)``)."""
    with app.app_context():
        committee = db.session.scalars(
            select(Committee).where(Committee.public_id == committee_public_id)).one()
        plan = db.session.scalars(select(Plan).order_by(Plan.id.desc())).first()
        assert plan is not None, "load the demo plan first (the demo_plan fixture)"
        sections = {s.slug: s.id for s in db.session.scalars(
            select(Section).where(Section.plan_id == plan.id))}
        session = CommitteeSession(
            public_id=uuid.uuid4().hex, committee_id=committee.id, plan_id=plan.id,
            facilitator_id=facilitator_id, locale=locale, held_on=held_on,
            methods=["discussion"], status=SessionStatus.SUBMITTED, submitted_at=utcnow(),
            children_present=12, aged_8_10=4, aged_11_13=5, aged_14_17=3, guardian_consents=12,
            child_assents=12, may_quote=True, may_photograph_work=True,
            account="Session went calmly; everyone spoke in turn.",
            all_could_speak=True, not_told_what_to_say=True,
        )
        db.session.add(session)
        db.session.flush()

        def submission(section_id: int | None, body: str) -> Submission:
            made = Submission(
                public_id=uuid.uuid4().hex, plan_id=plan.id, section_id=section_id,
                source=SubmissionSource.COMMITTEE, submitted_by_id=facilitator_id,
                locale=locale, age_band=None, child_token_hash=None, idempotency_key=None,
                code_hash=None, **screened_values(body, locale),
            )
            db.session.add(made)
            db.session.flush()
            return made

        sent = Sent(session.id, session.public_id)
        for item in said:
            section_id = sections[item.part] if item.part else None
            made = submission(section_id, item.body)
            db.session.add(Statement(session_id=session.id, section_id=section_id,
                                     kind=item.kind, voice=item.voice, share=item.share,
                                     body=item.body, submission_id=made.id))
            sent.statements.append(made.public_id)
        for part, caption in captions:
            section_id = sections[part] if part else None
            made = submission(section_id, caption)
            photo = SessionPhoto(public_id=uuid.uuid4().hex, session_id=session.id,
                                 section_id=section_id, image=tiny_png(),
                                 media_type="image/png", width=64, height=48, caption=caption,
                                 no_faces_or_names=True, submission_id=made.id)
            db.session.add(photo)
            sent.captions.append(made.public_id)
            sent.photos.append(photo.public_id)
        db.session.commit()
        return sent
