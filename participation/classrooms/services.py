"""Classroom sessions: start, end, join, count, and the limits a joined tablet gets.

A class of 30 tablets behind one school address would exhaust the per-address limit on ideas
in seconds. A facilitator starts a session; each tablet that joins with its code carries the
session in its (signed) Flask session cookie, and the feedback views limit it per child and per
session instead of per address.

Counts are kept in ``classroom_counts`` rows, incremented in place; nothing links a child, an
idea or a reaction to a class. What the lead wires into other domains:

* :func:`current_classroom` on every child POST (no database query);
* :func:`classroom_limits` for Flask-Limiter, keyed ``f"classroom:{ref.id}"``;
* :func:`count_activity` when a child opens a part, reacts or stores an idea.
"""

from __future__ import annotations

import math
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import yaml
from flask import current_app, session
from sqlalchemy import CursorResult, Insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from participation.accounts.models import Role, User
from participation.audit.services import record_event
from participation.classrooms.models import ClassroomCount, ClassroomMetric, ClassroomSession
from participation.db import db, insert_unless_exists, utcnow
from participation.plans.queries import get_plan_view

# 31 symbols: digits and capitals without 0/O and 1/I/L, which children (and adults) confuse.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
CODE_BITS = CODE_LENGTH * math.log2(len(CODE_ALPHABET))  # 39.6: about 8 x 10^11 codes
CODE_ATTEMPTS = 10
SEPARATORS = frozenset(" -\t\u2010\u2011\u2012\u2013\u2014\u2212\u00a0")

EXPECTED_RANGE = (1, 200)
MINUTES_RANGE = (15, 480)
NAME_MAX_LENGTH = 120
STAFF_ROLES = (Role.FACILITATOR, Role.ORGANISER, Role.ADMIN)

# Per-session limits, per expected child and per minute (see classroom_limits).
IDEAS_PER_CHILD_PER_MINUTE = 3
REACTIONS_PER_CHILD_PER_MINUTE = 10

SESSION_KEY = "classroom"  # in the child's Flask session: id, code, expected, closes (epoch s)


class ClassroomError(Exception):
    """A staff action on a classroom that cannot be done; ``code`` picks the message."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(code)


class JoinError(Exception):
    """A tablet could not join; ``code`` is ``unknown``, ``closed`` or ``full``."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(code)


@dataclass(frozen=True)
class ClassroomRef:
    """What a joined tablet knows about its session, read from its cookie alone."""

    id: int
    code: str
    expected_children: int
    closes_at: datetime


@dataclass(frozen=True)
class PartCounts:
    section_id: int
    title: str
    opened: int
    reactions: int
    ideas: int


@dataclass(frozen=True)
class LiveCounts:
    """Counts for the facilitator's screen: numbers only, nothing a child wrote."""

    joined: int
    parts_opened: int
    reactions: int
    ideas: int
    parts: tuple[PartCounts, ...]  # the plan's parts in reading order
    other: PartCounts | None  # "something missing?" ideas and parts no longer in the plan

    def as_dict(self) -> dict[str, Any]:
        rows = [*self.parts, *([self.other] if self.other else [])]
        return {
            "joined": self.joined,
            "parts_opened": self.parts_opened,
            "reactions": self.reactions,
            "ideas": self.ideas,
            "parts": [
                {"section_id": p.section_id, "opened": p.opened, "reactions": p.reactions,
                 "ideas": p.ideas}
                for p in rows
            ],
        }


# --- Codes -------------------------------------------------------------------------------------


@cache
def _rude_fragments() -> frozenset[str]:
    """Insults from the screening word lists (fr, en, es) that a code could spell out.

    A code is shown in large letters to a whole class: one that reads as a swear word is
    drawn again. Safeguarding leads extend those lists; codes follow.
    """
    from participation.screening.rules import DATA_DIR

    fragments: set[str] = set()
    for path in DATA_DIR.glob("[a-z][a-z].yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for word in (data.get("insults") or {}).get("words") or []:
            upper = str(word).upper()
            if len(upper) >= 3 and all(char in CODE_ALPHABET for char in upper):
                fragments.add(upper)
    return frozenset(fragments)


def _random_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def new_code() -> str:
    """A fresh random code (``secrets``), never one that spells an insult."""
    while True:
        code = _random_code()
        if not any(fragment in code for fragment in _rude_fragments()):
            return code


def normalise_code(typed: str) -> str | None:
    """The stored form of a typed or scanned code (any case, with or without the dash or
    spaces), or None when it cannot be a code."""
    code = "".join(char for char in typed if char not in SEPARATORS).upper()
    if len(code) != CODE_LENGTH or any(char not in CODE_ALPHABET for char in code):
        return None
    return code


def format_code(code: str) -> str:
    """How people see a code: two groups of four, ``ABCD-EFGH``."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def join_cap(expected_children: int) -> int:
    """How many tablets may join: room for re-joins after "I'm finished" and spare tablets."""
    return max(2 * expected_children, expected_children + 10)


# --- Staff operations --------------------------------------------------------------------------


def can_manage_classroom(user: User, classroom: ClassroomSession) -> bool:
    """The object-level rule: admins see every session; anyone else only those they started."""
    if user.has_role(Role.ADMIN):
        return True
    return user.has_role(*STAFF_ROLES) and classroom.created_by_id == user.id


def list_classrooms(user: User, *, limit: int = 100) -> list[ClassroomSession]:
    """The sessions this person may see, newest first."""
    query = select(ClassroomSession).order_by(ClassroomSession.starts_at.desc(),
                                              ClassroomSession.id.desc()).limit(limit)
    if not user.has_role(Role.ADMIN):
        query = query.where(ClassroomSession.created_by_id == user.id)
    return list(db.session.scalars(query))


def start_classroom(
    *, name: str, expected_children: int, minutes: int, locale: str, user: User,
    now: datetime | None = None,
) -> ClassroomSession:
    """Open a session for a group, from now for ``minutes``, with a fresh unique code.

    The caller commits. Raises :class:`ClassroomError` (``forbidden``, ``bad_name``,
    ``bad_expected``, ``bad_minutes``, ``bad_locale``, ``no_code``).
    """
    now = now or utcnow()
    name = " ".join(name.split())
    if not user.has_role(*STAFF_ROLES):
        raise ClassroomError("forbidden")
    if not name or len(name) > NAME_MAX_LENGTH:
        raise ClassroomError("bad_name")
    if not EXPECTED_RANGE[0] <= expected_children <= EXPECTED_RANGE[1]:
        raise ClassroomError("bad_expected")
    if not MINUTES_RANGE[0] <= minutes <= MINUTES_RANGE[1]:
        raise ClassroomError("bad_minutes")
    if locale not in current_app.config["LANGUAGES"]:
        raise ClassroomError("bad_locale")
    for _attempt in range(CODE_ATTEMPTS):
        new_id = insert_unless_exists(ClassroomSession, {  # a code already taken: draw again
            "code": new_code(), "name": name, "expected_children": expected_children,
            "locale": locale, "starts_at": now, "ends_at": now + timedelta(minutes=minutes),
            "created_by_id": user.id,
        }, unique=["code"])
        classroom = db.session.get(ClassroomSession, new_id) if new_id else None
        if classroom is None:
            continue
        record_event(
            "classroom.start", actor_id=user.id, object_type="classroom", object_id=classroom.id,
            details={"expected_children": expected_children, "minutes": minutes,
                     "locale": locale},
        )
        return classroom
    raise ClassroomError("no_code")


def end_classroom(
    classroom: ClassroomSession, user: User | None, now: datetime | None = None
) -> bool:
    """Close a session before its time; True if this call closed it (ending twice is harmless).

    ``user`` None is the system (``flask classroom end``). A conditional UPDATE, so two
    facilitators pressing "End" at once record one end. The caller commits.
    """
    now = now or utcnow()
    if user is not None and not can_manage_classroom(user, classroom):
        raise ClassroomError("forbidden")
    result: CursorResult[Any] = db.session.execute(  # type: ignore[assignment]
        update(ClassroomSession)
        .where(ClassroomSession.id == classroom.id, ClassroomSession.ended_at.is_(None),
               ClassroomSession.ends_at > now)
        .values(ended_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(classroom)
    if result.rowcount != 1:
        return False
    record_event("classroom.end", actor_id=user.id if user else None, object_type="classroom",
                 object_id=classroom.id)
    return True


# --- Children -----------------------------------------------------------------------------------


def find_classroom(code: str) -> ClassroomSession | None:
    """The session with this code, open or not (None for a malformed or unknown code)."""
    normalised = normalise_code(code)
    if normalised is None:
        return None
    return db.session.scalar(select(ClassroomSession).where(ClassroomSession.code == normalised))


def find_open_classroom(code: str, now: datetime | None = None) -> ClassroomSession | None:
    """The session with this code if children may join it now."""
    classroom = find_classroom(code)
    return classroom if classroom is not None and classroom.is_open(now or utcnow()) else None


def _upsert(values: dict[str, Any]) -> Insert:
    """INSERT for this database's dialect (both spell ON CONFLICT DO UPDATE the same way)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(ClassroomCount).values(**values)
    return sqlite.insert(ClassroomCount).values(**values)


def _increment(classroom_id: int, metric: ClassroomMetric, section_id: int,
               cap: int | None = None) -> int | None:
    """Add one to a counter in place; with ``cap``, only while it is below it. Returns the new
    count, or None when the cap was reached. One statement, so concurrent requests never lose
    a count or pass the cap."""
    table = ClassroomCount.__table__
    statement: Any = _upsert(
        {"classroom_id": classroom_id, "section_id": section_id, "metric": metric, "count": 1}
    )
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.classroom_id, table.c.section_id, table.c.metric],
        set_={"count": table.c.count + 1},
        where=(table.c.count < cap) if cap is not None else None,
    ).returning(table.c.count)
    count: int | None = db.session.execute(statement).scalar_one_or_none()
    return count


def join_classroom(code: str, now: datetime | None = None) -> ClassroomRef:
    """Put this tablet into the session with ``code``: its limits become per child and per
    session from now on, until the session's closing time.

    Stores the session in the child's Flask session and counts ``JOINED`` (a tablet that is
    already in this session is not counted twice). The caller commits. Raises
    :class:`JoinError` with ``unknown`` (malformed or no such code), ``closed`` or ``full``
    (``join_cap`` tablets have joined).
    """
    now = now or utcnow()
    classroom = find_classroom(code)
    if classroom is None:
        raise JoinError("unknown")
    if not classroom.is_open(now):
        raise JoinError("closed")
    current = current_classroom(now)
    if current is not None and current.id == classroom.id:
        return current
    joined = _increment(classroom.id, ClassroomMetric.JOINED, 0,
                        cap=join_cap(classroom.expected_children))
    if joined is None:
        raise JoinError("full")
    closes = int(classroom.ends_at.timestamp())  # whole seconds, as the cookie keeps it
    session[SESSION_KEY] = {
        "id": classroom.id,
        "code": classroom.code,
        "expected": classroom.expected_children,
        "closes": closes,
    }
    return ClassroomRef(classroom.id, classroom.code, classroom.expected_children,
                        datetime.fromtimestamp(closes, UTC))


def current_classroom(now: datetime | None = None) -> ClassroomRef | None:
    """The session this tablet joined, from its cookie only (no database query), or None when
    it joined none or the session's time is over.

    Call it on every child POST. A session a facilitator ended early still counts here until
    its planned closing time (the cookie cannot know); its limits stay per session meanwhile.
    "I'm finished" and the idle timeout clear the Flask session, and with it the classroom.
    """
    stored = session.get(SESSION_KEY)
    if not isinstance(stored, dict):
        return None
    try:
        ref = ClassroomRef(
            id=int(stored["id"]), code=str(stored["code"]),
            expected_children=int(stored["expected"]),
            closes_at=datetime.fromtimestamp(int(stored["closes"]), UTC),
        )
    except (KeyError, TypeError, ValueError):
        return None
    moment = now.timestamp() if now else time.time()
    return ref if moment < ref.closes_at.timestamp() else None


def count_activity(classroom_id: int, metric: ClassroomMetric, section_id: int = 0) -> None:
    """Add one to a session's counter, atomically, in the caller's transaction.

    ``section_id`` is the part's id (``plan.section_ids[slug]``) for ``PART_OPENED``,
    ``REACTION`` and ``IDEA`` about a part; 0 for an idea not tied to a part ("something
    missing?"). Call it once per event, after the event is stored: ``IDEA`` only when
    ``submit_idea`` created a record, ``REACTION`` on a child's first reaction to a part,
    ``PART_OPENED`` the first time this tablet opens a part. ``JOINED`` is counted by
    :func:`join_classroom`. Totals are summed over parts, so nothing is counted twice.
    """
    _increment(classroom_id, metric, section_id)


def classroom_limits(
    ref: ClassroomRef | None, metric: ClassroomMetric = ClassroomMetric.IDEA
) -> str:
    """The Flask-Limiter limit string for a whole session, used instead of the per-address one;
    "" (no limit) for a tablet in no session.

    Ideas: ``3 x expected`` per minute (a class of 30: 90 a minute); reactions
    (``metric=ClassroomMetric.REACTION``): ``10 x expected`` per minute. The per-child limits
    still apply. Flask-Limiter calls a limit's provider before its ``exempt_when``, hence the
    "" for None. Wiring, per view (key: :func:`classroom_rate_key`)::

        @limiter.limit(lambda: classroom_limits(current_classroom()),
                       key_func=classroom_rate_key)
        @limiter.limit(_idea_address_limits,
                       exempt_when=lambda: current_classroom() is not None)
    """
    if ref is None:
        return ""
    if metric is ClassroomMetric.REACTION:
        return f"{REACTIONS_PER_CHILD_PER_MINUTE * ref.expected_children} per minute"
    if metric is ClassroomMetric.IDEA:
        return f"{IDEAS_PER_CHILD_PER_MINUTE * ref.expected_children} per minute"
    raise ValueError(f"no limit for {metric}")


def classroom_rate_key() -> str:
    """Flask-Limiter key for the session this tablet joined: ``classroom:<id>``."""
    ref = current_classroom()
    return f"classroom:{ref.id}" if ref else "classroom:none"


# --- Facilitator's counts ----------------------------------------------------------------------


def live_counts(classroom: ClassroomSession) -> LiveCounts:
    """Totals and counts per part for one session, parts in the plan's reading order (titles in
    the session's language)."""
    rows = db.session.execute(
        select(ClassroomCount.section_id, ClassroomCount.metric, ClassroomCount.count)
        .where(ClassroomCount.classroom_id == classroom.id)
    ).all()
    counts: dict[tuple[int, ClassroomMetric], int] = {
        (section_id, metric): count for section_id, metric, count in rows
    }

    def total(metric: ClassroomMetric) -> int:
        return sum(count for (_, kind), count in counts.items() if kind is metric)

    def part(section_id: int, title: str) -> PartCounts:
        return PartCounts(
            section_id, title,
            counts.get((section_id, ClassroomMetric.PART_OPENED), 0),
            counts.get((section_id, ClassroomMetric.REACTION), 0),
            counts.get((section_id, ClassroomMetric.IDEA), 0),
        )

    plan = get_plan_view(classroom.locale)
    parts = tuple(part(plan.section_ids[s.slug], s.title) for s in plan.sections) if plan else ()
    listed = {p.section_id for p in parts}
    other_ids = {section_id for section_id, metric in counts
                 if section_id not in listed and metric is not ClassroomMetric.JOINED}
    other = None
    if other_ids:
        others = [part(section_id, "") for section_id in sorted(other_ids)]
        other = PartCounts(0, "", sum(p.opened for p in others),
                           sum(p.reactions for p in others), sum(p.ideas for p in others))
    return LiveCounts(
        joined=total(ClassroomMetric.JOINED),
        parts_opened=total(ClassroomMetric.PART_OPENED),
        reactions=total(ClassroomMetric.REACTION),
        ideas=total(ClassroomMetric.IDEA),
        parts=parts,
        other=other,
    )
