"""Builders shared by the committees tests: a committee with its people, and a session at a
given stage, written straight to the database (the services are tested on their own)."""

from __future__ import annotations

import uuid
from datetime import date

from flask import Flask
from sqlalchemy import select

from participation.accounts.models import User
from participation.committees.models import (
    Committee,
    CommitteeKind,
    CommitteeSession,
    SessionStatus,
)
from participation.db import db
from participation.plans.models import Plan


def make_committee(app: Flask, *, facilitator_ids: tuple[int, ...] = (),
                   lead_id: int | None = None, name: str = "Comité national des enfants",
                   name_is_public: bool = True, locales: tuple[str, ...] = ("fr", "en")) -> str:
    """A committee run by these facilitators; returns its public id."""
    with app.app_context():
        committee = Committee(
            public_id=uuid.uuid4().hex, name=name, name_is_public=name_is_public,
            kind=CommitteeKind.NATIONAL, region="West Africa", locales=list(locales),
            supporting_organisation="Réseau des droits de l'enfant",
            mandate_starts_on=date(2025, 1, 1), lead_id=lead_id,
        )
        committee.facilitators = [db.session.get_one(User, uid) for uid in facilitator_ids]
        db.session.add(committee)
        db.session.commit()
        return committee.public_id


def make_session(app: Flask, committee_public_id: str, facilitator_id: int, *,
                 locale: str = "fr",
                 status: SessionStatus = SessionStatus.DRAFT) -> str:
    """A session of that committee on the current plan; returns its public id."""
    with app.app_context():
        committee = db.session.scalars(
            select(Committee).where(Committee.public_id == committee_public_id)).one()
        plan = db.session.scalars(select(Plan).order_by(Plan.id.desc())).first()
        assert plan is not None, "load the demo plan first (the demo_plan fixture)"
        session = CommitteeSession(
            public_id=uuid.uuid4().hex, committee_id=committee.id, plan_id=plan.id,
            facilitator_id=facilitator_id, locale=locale, held_on=date(2026, 11, 20),
            methods=["discussion"], status=status,
        )
        db.session.add(session)
        db.session.commit()
        return session.public_id
