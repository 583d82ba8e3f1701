"""Committees themselves: create, edit, pause, close or reactivate them, and choose the adults
who run them (facilitators) and watch over them (the safeguarding lead).

Organisers and admins do this; every change is audited with who acted and only facts about the
committee (field names, staff account ids), never anything a child said. The caller commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, CursorResult, Select, or_, select, update
from sqlalchemy.orm import joinedload

from participation.accounts.models import Role, User, UserRole
from participation.audit.services import record_event
from participation.committees.access import can_manage_committees, can_see_committee
from participation.committees.models import (
    Committee,
    CommitteeKind,
    CommitteeSession,
    CommitteeStatus,
    SessionStatus,
    committee_facilitators,
)
from participation.db import db, utcnow

NAME_MAX_LENGTH = 120
REGION_MAX_LENGTH = 80
ORGANISATION_MAX_LENGTH = 200
OBJECT_TYPE = "committee"

# Which statuses a committee may move to, and from which: pause and close an active committee,
# close a paused one, reactivate a paused or closed one (a committee closed by mistake).
TRANSITIONS: dict[CommitteeStatus, tuple[CommitteeStatus, ...]] = {
    CommitteeStatus.PAUSED: (CommitteeStatus.ACTIVE,),
    CommitteeStatus.CLOSED: (CommitteeStatus.ACTIVE, CommitteeStatus.PAUSED),
    CommitteeStatus.ACTIVE: (CommitteeStatus.PAUSED, CommitteeStatus.CLOSED),
}

# Sessions whose existence those who do not run the committee may see: sent to the
# organisation. Drafts (and sessions withdrawn before review) stay with the facilitators.
SENT_STATUSES = (
    SessionStatus.SUBMITTED, SessionStatus.IN_REVIEW, SessionStatus.ACCEPTED,
    SessionStatus.ANSWERED, SessionStatus.CLOSED,
)


class CommitteeError(Exception):
    """A committee change that cannot be made; ``code`` picks the translated message."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(code)


@dataclass(frozen=True)
class CommitteeDetails:
    """What an organiser types about a committee (everything but its people and status)."""

    name: str
    name_is_public: bool
    kind: CommitteeKind
    region: str
    locales: tuple[str, ...]
    supporting_organisation: str
    mandate_starts_on: date
    mandate_ends_on: date | None = None


# --- Rules ------------------------------------------------------------------------------------


def leads_committee(user: User, committee: Committee) -> bool:
    """The committee's designated safeguarding lead (and still one): sees its page, so they know
    which committee and sessions a concern from the room is about."""
    return user.has_role(Role.SAFEGUARDING_LEAD) and committee.lead_id == user.id


def may_open_committee(user: User, committee: Committee) -> bool:
    """Its page and the list of its sessions: managers, its facilitators and its lead."""
    return can_see_committee(user, committee) or leads_committee(user, committee)


def sees_drafts(user: User, committee: Committee) -> bool:
    """Sessions still being recorded (and withdrawn ones) are the facilitators' own work:
    nobody else learns of them before they are sent."""
    return user.has_role(Role.FACILITATOR) and any(
        person.id == user.id for person in committee.facilitators)


# --- Reads -------------------------------------------------------------------------------------


def committees_for(user: User) -> list[Committee]:
    """The committees this person may open: every one for managers; otherwise those they run
    (facilitators) or watch over (safeguarding leads). Active first, then by name."""
    query = select(Committee)
    if not can_manage_committees(user):
        rules: list[ColumnElement[bool]] = []
        if user.has_role(Role.FACILITATOR):
            rules.append(Committee.id.in_(
                select(committee_facilitators.c.committee_id)
                .where(committee_facilitators.c.user_id == user.id)))
        if user.has_role(Role.SAFEGUARDING_LEAD):
            rules.append(Committee.lead_id == user.id)
        if not rules:
            return []
        query = query.where(or_(*rules))
    order = {CommitteeStatus.ACTIVE: 0, CommitteeStatus.PAUSED: 1, CommitteeStatus.CLOSED: 2}
    committees = list(db.session.scalars(query.order_by(Committee.name, Committee.id)))
    return sorted(committees, key=lambda c: order[c.status])


def find_committee(public_id: str) -> Committee | None:
    """The committee with this public id (in URLs), or None."""
    found: Committee | None = db.session.scalar(
        select(Committee).where(Committee.public_id == public_id))
    return found


def committee_sessions(user: User, committee: Committee) -> list[CommitteeSession]:
    """The committee's sessions this person may know of, newest first (see :func:`sees_drafts`)."""
    query = (select(CommitteeSession).where(CommitteeSession.committee_id == committee.id)
             .options(joinedload(CommitteeSession.facilitator)))  # each row shows who ran it
    if not sees_drafts(user, committee):
        query = query.where(CommitteeSession.status.in_(SENT_STATUSES))
    return list(db.session.scalars(
        query.order_by(CommitteeSession.held_on.desc(), CommitteeSession.id.desc())))


def _active_with_role(role: Role) -> Select[User]:
    return (select(User).join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == role, User.is_active.is_(True)).order_by(User.email))


def facilitator_choices() -> list[User]:
    """Active accounts with the facilitator role: the only people who may run a committee."""
    return list(db.session.scalars(_active_with_role(Role.FACILITATOR)))


def lead_choices() -> list[User]:
    """Active safeguarding leads: the only people who may be a committee's lead."""
    return list(db.session.scalars(_active_with_role(Role.SAFEGUARDING_LEAD)))


# --- Checks ------------------------------------------------------------------------------------


def _clean(text: str) -> str:
    return " ".join(text.split())


def _checked_details(details: CommitteeDetails) -> dict[str, Any]:
    """The columns for these details, or :class:`CommitteeError` naming the first problem."""
    name, region = _clean(details.name), _clean(details.region)
    organisation = _clean(details.supporting_organisation)
    if not name or len(name) > NAME_MAX_LENGTH:
        raise CommitteeError("bad_name")
    if not region or len(region) > REGION_MAX_LENGTH:
        raise CommitteeError("bad_region")
    if not organisation or len(organisation) > ORGANISATION_MAX_LENGTH:
        raise CommitteeError("bad_organisation")
    supported = tuple(current_app.config["LANGUAGES"])
    if not details.locales or any(code not in supported for code in details.locales):
        raise CommitteeError("bad_locales")
    if details.mandate_ends_on is not None and details.mandate_ends_on < details.mandate_starts_on:
        raise CommitteeError("bad_mandate")
    try:
        kind = CommitteeKind(details.kind)
    except ValueError:
        raise CommitteeError("bad_kind") from None
    return {
        "name": name, "name_is_public": bool(details.name_is_public),
        "kind": kind, "region": region,
        # In the deployment's order, each once.
        "locales": [code for code in supported if code in details.locales],
        "supporting_organisation": organisation,
        "mandate_starts_on": details.mandate_starts_on, "mandate_ends_on": details.mandate_ends_on,
    }


def _require_manager(actor: User) -> None:
    if not can_manage_committees(actor):
        raise CommitteeError("forbidden")


def _facilitators(user_ids: Iterable[int]) -> list[User]:
    """These accounts, each an active facilitator, or :class:`CommitteeError`."""
    wanted = set(user_ids)
    if not wanted:
        return []
    found = list(db.session.scalars(
        _active_with_role(Role.FACILITATOR).where(User.id.in_(wanted))))
    if {user.id for user in found} != wanted:
        raise CommitteeError("not_facilitator")
    return found


def _lead(user_id: int | None) -> User | None:
    """This account if it is an active safeguarding lead (None: no lead), or the error."""
    if user_id is None:
        return None
    lead: User | None = db.session.scalar(
        _active_with_role(Role.SAFEGUARDING_LEAD).where(User.id == user_id))
    if lead is None:
        raise CommitteeError("not_lead")
    return lead


# --- Changes -----------------------------------------------------------------------------------


def create_committee(details: CommitteeDetails, *, actor: User,
                     facilitator_ids: Sequence[int] = (),
                     lead_id: int | None = None) -> Committee:
    """A new, active committee with its first facilitators and lead (both may come later)."""
    _require_manager(actor)
    values = _checked_details(details)
    facilitators = _facilitators(facilitator_ids)
    lead = _lead(lead_id)
    committee = Committee(public_id=uuid.uuid4().hex, status=CommitteeStatus.ACTIVE,
                          lead_id=lead.id if lead else None, **values)
    committee.lead = lead
    committee.facilitators = facilitators
    db.session.add(committee)
    db.session.flush()
    record_event("committee.create", actor_id=actor.id, object_type=OBJECT_TYPE,
                 object_id=committee.public_id, details={
                     "kind": committee.kind.value, "locales": committee.locales,
                     "facilitator_ids": sorted(user.id for user in facilitators),
                     "lead_id": committee.lead_id})
    return committee


def update_committee(committee: Committee, details: CommitteeDetails, *,
                     actor: User) -> list[str]:
    """New details for a committee; returns the names of the fields that changed (audited,
    without their values: a name that may not be published stays out of the log)."""
    _require_manager(actor)
    values = _checked_details(details)
    changed = [field for field, value in values.items() if getattr(committee, field) != value]
    if not changed:
        return []
    for field in changed:
        setattr(committee, field, values[field])
    committee.updated_at = utcnow()
    record_event("committee.update", actor_id=actor.id, object_type=OBJECT_TYPE,
                 object_id=committee.public_id, details={"fields": changed})
    return changed


def change_committee_status(committee: Committee, status: CommitteeStatus, *,
                            actor: User) -> None:
    """Pause, close or reactivate a committee: one conditional UPDATE from the statuses that may
    lead there, so two organisers pressing at once record one change."""
    _require_manager(actor)
    sources = TRANSITIONS[CommitteeStatus(status)]
    previous = committee.status
    result: CursorResult[Any] = db.session.execute(  # type: ignore[assignment]
        update(Committee)
        .where(Committee.id == committee.id, Committee.status.in_(sources))
        .values(status=status, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.expire(committee)
    if result.rowcount != 1:
        raise CommitteeError("status_changed")
    record_event("committee.status", actor_id=actor.id, object_type=OBJECT_TYPE,
                 object_id=committee.public_id,
                 details={"from": previous.value, "to": CommitteeStatus(status).value})


def set_facilitators(committee: Committee, user_ids: Sequence[int], *, actor: User) -> None:
    """Who runs the committee: only active accounts with the facilitator role. Someone taken
    off no longer sees the committee or its sessions."""
    _require_manager(actor)
    people = _facilitators(user_ids)
    before = {user.id for user in committee.facilitators}
    after = {user.id for user in people}
    if before == after:
        return
    committee.facilitators = sorted(people, key=lambda user: user.id)
    committee.updated_at = utcnow()
    record_event("committee.facilitators", actor_id=actor.id, object_type=OBJECT_TYPE,
                 object_id=committee.public_id,
                 details={"added": sorted(after - before), "removed": sorted(before - after)})


def set_lead(committee: Committee, lead_id: int | None, *, actor: User) -> None:
    """The committee's safeguarding lead: only an active safeguarding lead (None: none yet)."""
    _require_manager(actor)
    lead = _lead(lead_id)
    new_id = lead.id if lead else None
    if committee.lead_id == new_id:
        return
    previous = committee.lead_id
    committee.lead, committee.lead_id = lead, new_id
    committee.updated_at = utcnow()
    record_event("committee.lead", actor_id=actor.id, object_type=OBJECT_TYPE,
                 object_id=committee.public_id, details={"from": previous, "to": new_id})
