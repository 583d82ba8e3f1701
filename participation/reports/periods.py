"""Consultation periods: a named stretch of time on a plan whose figures count only what children
did within its dates, and which, once closed, is read from a frozen snapshot of PROTECTED
figures (with the threshold of that moment), so later filters cannot narrow a small cell."""

from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult

from participation.accounts.models import Role, User
from participation.audit.services import record_event
from participation.db import db, utcnow
from participation.plans.models import Plan
from participation.reports.models import ConsultationPeriod
from participation.reports.queries import freeze
from participation.reports.settings import current_threshold

NAME_MAX_LENGTH = 120
PERIOD_MANAGERS = (Role.ORGANISER, Role.ADMIN)


class PeriodError(Exception):
    """A period action that cannot be done; ``code`` names why (the view words it)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def can_manage_periods(user: User) -> bool:
    """Organisers and admins open and close consultation periods."""
    return user.has_role(*PERIOD_MANAGERS)


def list_periods(plan_id: int | None = None) -> list[ConsultationPeriod]:
    """Periods, newest first (of one plan, or of all)."""
    query = select(ConsultationPeriod).order_by(ConsultationPeriod.starts_on.desc(),
                                                ConsultationPeriod.id.desc())
    if plan_id is not None:
        query = query.where(ConsultationPeriod.plan_id == plan_id)
    return list(db.session.scalars(query))


def period_by_public_id(public_id: str) -> ConsultationPeriod | None:
    return db.session.scalar(
        select(ConsultationPeriod).where(ConsultationPeriod.public_id == public_id))


def create_period(plan_id: int, name: str, starts_on: date, ends_on: date,
                  actor: User) -> ConsultationPeriod:
    """Open a period on a plan (its figures are live until it is closed)."""
    if not can_manage_periods(actor):
        raise PeriodError("forbidden")
    name = " ".join(name.split())
    if not name or len(name) > NAME_MAX_LENGTH:
        raise PeriodError("bad_name")
    if ends_on < starts_on:
        raise PeriodError("bad_dates")
    if db.session.get(Plan, plan_id) is None:
        raise PeriodError("no_plan")
    period = ConsultationPeriod(public_id=secrets.token_hex(16), plan_id=plan_id, name=name,
                                starts_on=starts_on, ends_on=ends_on, created_by_id=actor.id)
    db.session.add(period)
    db.session.flush()
    record_event("reports.period_created", actor_id=actor.id, object_type="consultation_period",
                 object_id=period.id, details={"starts_on": starts_on.isoformat(),
                                               "ends_on": ends_on.isoformat()})
    return period


def close_period(period: ConsultationPeriod, actor: User, *,
                 now: datetime | None = None) -> ConsultationPeriod:
    """Freeze the period: every summary table, protected with today's threshold, goes into its
    snapshot; from then on its pages and exports read only that. Closing twice (two organisers
    at once) freezes it once: the second is told it was already closed."""
    if not can_manage_periods(actor):
        raise PeriodError("forbidden")
    if period.is_closed:
        raise PeriodError("already_closed")
    now = now or utcnow()
    threshold = current_threshold()
    snapshot = freeze(period.plan_id, period, threshold)
    result = db.session.execute(
        update(ConsultationPeriod)
        .where(ConsultationPeriod.id == period.id, ConsultationPeriod.closed_at.is_(None))
        .values(closed_at=now, closed_by_id=actor.id, snapshot=snapshot,
                snapshot_threshold=threshold, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(period)
    if not (isinstance(result, CursorResult) and result.rowcount == 1):
        raise PeriodError("already_closed")
    record_event("reports.period_closed", actor_id=actor.id, object_type="consultation_period",
                 object_id=period.id, details={"threshold": threshold})
    return period
