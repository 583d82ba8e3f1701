"""The outbox: enqueue work in the caller's transaction; dispatch each due message once.

``enqueue`` adds a row to the caller's session, so the work is stored with the change that needs
it or not at all: a crash between the two loses nothing. After that commit the web process
nudges the queue (best effort); a periodic dispatch runs every minute anyway.

Dispatch claims a message before running it: a conditional UPDATE that only succeeds from the
state it was read in (on PostgreSQL the candidate is also locked with ``FOR UPDATE SKIP
LOCKED``), committed before the handler runs. The claim lasts JOBS_LEASE_SECONDS, so the work of
a worker that died is taken over; a handler may therefore run twice after a crash, never twice
while its first run is alive. Failures back off exponentially and give up after
JOBS_MAX_ATTEMPTS.
"""

from __future__ import annotations

import logging
import re
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import (
    ColumnElement,
    CursorResult,
    and_,
    delete,
    event,
    func,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session, SessionTransaction

from participation.db import db, utcnow
from participation.jobs.models import OutboxMessage
from participation.jobs.queue import GroupedKind, Handler, job_queue

logger = logging.getLogger(__name__)

NUDGE_KEY = "jobs.nudge"
MAX_BACKOFF = timedelta(hours=1)
KEEP_DONE = timedelta(days=30)
# Payload values: ids, lists of ids and short codes; never words or addresses.
_CODE_RE = re.compile(r"^[a-z0-9_.-]{1,64}$")
_ADDRESS_RE = re.compile(r"\S+@\S+")
_IP_RE = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b|\b[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}\b",
                    re.IGNORECASE)


class PayloadError(ValueError):
    """A payload held something other than ids and short codes."""


def _check_payload(payload: dict[str, Any]) -> dict[str, Any]:
    for key, value in payload.items():
        values = value if isinstance(value, list) else [value]
        for item in values:
            if isinstance(item, str) and not _CODE_RE.match(item):
                raise PayloadError(f"payload {key!r}: only ids and short codes")
            if not isinstance(item, int | str | None):
                raise PayloadError(f"payload {key!r}: only ids and short codes")
    return dict(payload)


def enqueue(kind: str, payload: dict[str, Any], *,
            available_at: datetime | None = None) -> OutboxMessage:
    """Add work to the caller's transaction: it runs after the caller's commit, or never.

    ``payload`` holds ids and short codes only (checked): a handler reads the rest from the
    database when it runs, so the outbox never holds a child's words or an e-mail address.
    """
    message = OutboxMessage(kind=kind, payload=_check_payload(payload), attempts=0,
                            available_at=available_at or utcnow())
    db.session.add(message)
    db.session.info[NUDGE_KEY] = True
    return message


@dataclass
class DispatchReport:
    """What one dispatch did: messages done, to retry, given up, held for a grouping window."""

    done: int = 0
    retried: int = 0
    failed: int = 0
    held: int = 0


def _pending() -> ColumnElement[bool]:
    return and_(OutboxMessage.done_at.is_(None), OutboxMessage.failed_at.is_(None))


def _due(now: datetime) -> ColumnElement[bool]:
    return and_(_pending(), OutboxMessage.available_at <= now)


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def dispatch_due(*, now: datetime | None = None, limit: int = 500) -> DispatchReport:
    """Run every due outbox message once (at most ``limit`` per kind); commits as it goes.

    ``now`` pins the clock (tests); by default each step reads it. Call it with no work of
    the caller's in progress: it commits that first.
    """
    clock: Callable[[], datetime] = (lambda: now) if now is not None else utcnow
    queue = job_queue()
    report = DispatchReport()
    db.session.commit()  # start from a clean transaction: claims are committed one by one
    kinds = db.session.scalars(select(OutboxMessage.kind).where(_due(clock())).distinct()).all()
    db.session.commit()
    for kind in kinds:
        grouped = queue.grouped.get(kind)
        if grouped is not None:
            _dispatch_group(kind, grouped, clock, report)
            continue
        _dispatch_each(kind, queue.handlers.get(kind), clock, limit, report)
    return report


def _dispatch_each(kind: str, handler: Handler | None, clock: Callable[[], datetime],
                   limit: int, report: DispatchReport) -> None:
    def run(payloads: list[dict[str, Any]]) -> None:
        if handler is None:  # retried, then given up and logged: never silently dropped
            raise LookupError(f"no handler for {kind}")
        handler(payloads[0])

    for _ in range(limit):
        claimed = _claim_next(kind, clock())
        if claimed is None:
            return
        _run(claimed, run, clock, report)


def _claim_next(kind: str, now: datetime) -> list[int] | None:
    """Claim the oldest due message of ``kind``: its id in a list, [] if another worker won
    the race for it, None when nothing is due."""
    query = (select(OutboxMessage.id, OutboxMessage.attempts)
             .where(OutboxMessage.kind == kind, _due(now))
             .order_by(OutboxMessage.available_at, OutboxMessage.id).limit(1))
    if _postgres():
        query = query.with_for_update(skip_locked=True)
    row = db.session.execute(query).first()
    if row is None:
        db.session.commit()
        return None
    claimed = _claim([(row.id, row.attempts)], now)
    db.session.commit()
    return claimed


def _claim(rows: Sequence[tuple[int, int]], now: datetime) -> list[int]:
    """Take messages from the state they were read in; the ids this worker now holds."""
    lease = timedelta(seconds=current_app.config["JOBS_LEASE_SECONDS"])
    claimed = []
    for message_id, attempts in rows:
        result = db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.attempts == attempts, _due(now))
            .values(attempts=attempts + 1, available_at=now + lease, last_error=None)
            .execution_options(synchronize_session=False)
        )
        if isinstance(result, CursorResult) and result.rowcount == 1:
            claimed.append(message_id)
    return claimed


def _run(ids: list[int], handler: Callable[[list[dict[str, Any]]], None],
         clock: Callable[[], datetime], report: DispatchReport) -> None:
    """Run a handler on claimed messages; done with its writes in one commit, or back off."""
    if not ids:
        return
    payloads = list(db.session.scalars(
        select(OutboxMessage.payload).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)))
    try:
        handler(payloads)
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids))
                           .values(done_at=clock()).execution_options(synchronize_session=False))
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        _record_failure(ids, error, clock(), report)
        return
    report.done += len(ids)


def describe_error(error: BaseException) -> str:
    """The error's class and a short message without addresses (e-mail or network)."""
    message = " ".join(str(error).split())
    message = _IP_RE.sub("<ip>", _ADDRESS_RE.sub("<address>", message))
    return f"{type(error).__name__}: {message[:150]}"[:200]


def retry_delay(attempts: int) -> timedelta:
    """Exponential back-off after ``attempts`` failures: 30 s, 1, 2, 4 ... minutes, at most 1 h."""
    base = current_app.config["JOBS_RETRY_SECONDS"]
    return min(timedelta(seconds=base * 2 ** min(attempts - 1, 20)), MAX_BACKOFF)


def _record_failure(ids: list[int], error: Exception, now: datetime,
                    report: DispatchReport) -> None:
    summary = describe_error(error)
    limit = current_app.config["JOBS_MAX_ATTEMPTS"]
    for message in db.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids))):
        message.last_error = summary
        if message.attempts >= limit:
            message.failed_at = now
            report.failed += 1
            logger.error("Gave up on outbox message %s (%s) after %s attempts: %s",
                         message.id, message.kind, message.attempts, summary)
        else:
            message.available_at = now + retry_delay(message.attempts)
            report.retried += 1
            logger.warning("Outbox message %s (%s) failed, attempt %s; retrying at %s: %s",
                           message.id, message.kind, message.attempts,
                           message.available_at.isoformat(timespec="seconds"), summary)
    db.session.commit()


def _lock_kind(kind: str) -> None:
    """Serialise the grouping decision for ``kind`` across workers until the commit."""
    if _postgres():
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                           {"key": zlib.crc32(f"outbox:{kind}".encode())})
    else:  # SQLite: the first write takes the database's single write lock until the commit
        db.session.execute(update(OutboxMessage)
                           .where(OutboxMessage.kind == kind, _pending())
                           .values(attempts=OutboxMessage.attempts)
                           .execution_options(synchronize_session=False))


def _dispatch_group(kind: str, grouped: GroupedKind, clock: Callable[[], datetime],
                    report: DispatchReport) -> None:
    """The first message after a quiet window runs at once; later ones wait for the window's
    end and then run together, so a burst becomes one call (one e-mail)."""
    now = clock()
    _lock_kind(kind)
    of_kind = OutboxMessage.kind == kind
    in_flight = db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        of_kind, _pending(), OutboxMessage.attempts > 0, OutboxMessage.last_error.is_(None),
        OutboxMessage.available_at > now))
    rows = [(row.id, row.attempts) for row in db.session.execute(
        select(OutboxMessage.id, OutboxMessage.attempts).where(of_kind, _due(now))
        .order_by(OutboxMessage.id))]
    if in_flight or not rows:
        db.session.commit()  # a running batch: these join the next one
        return
    last_done = db.session.scalar(select(func.max(OutboxMessage.done_at)).where(of_kind))
    window_end = last_done + grouped.window() if last_done is not None else None
    if window_end is not None and now < window_end:
        db.session.execute(update(OutboxMessage)
                           .where(OutboxMessage.id.in_([row[0] for row in rows]), _pending())
                           .values(available_at=window_end)
                           .execution_options(synchronize_session=False))
        db.session.commit()
        report.held += len(rows)
        job_queue().nudge(at=window_end)  # on time; the periodic dispatch is the safety net
        return
    claimed = _claim(rows, now)
    db.session.commit()
    _run(claimed, grouped.handler, clock, report)


@dataclass(frozen=True)
class OutboxCounts:
    waiting: int  # not done yet, including retries and held messages
    retrying: int  # waiting after at least one failure
    failed: int  # given up
    done: int


def count_messages() -> OutboxCounts:
    """How much work waits, is being retried, was given up and is done."""
    def count(*conditions: ColumnElement[bool]) -> int:
        return db.session.scalar(
            select(func.count()).select_from(OutboxMessage).where(*conditions)) or 0

    return OutboxCounts(
        waiting=count(_pending()),
        retrying=count(_pending(), OutboxMessage.last_error.is_not(None)),
        failed=count(OutboxMessage.failed_at.is_not(None)),
        done=count(OutboxMessage.done_at.is_not(None)),
    )


def prune_done_messages(*, now: datetime | None = None) -> int:
    """Delete messages done more than KEEP_DONE ago (given-up ones stay for a person to see)."""
    cutoff = (now or utcnow()) - KEEP_DONE
    result = db.session.execute(delete(OutboxMessage).where(OutboxMessage.done_at < cutoff))
    db.session.commit()
    return result.rowcount if isinstance(result, CursorResult) else 0


@event.listens_for(Session, "after_commit")
def _nudge_after_commit(session: Session) -> None:
    """After a commit that enqueued work, ask a worker to dispatch it now."""
    if session.in_nested_transaction() or not session.info.pop(NUDGE_KEY, False):
        return  # a savepoint: the work is not committed until the outer transaction is
    if has_app_context() and "jobs" in current_app.extensions:
        job_queue().nudge()


@event.listens_for(Session, "after_soft_rollback")
def _forget_nudge(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(NUDGE_KEY, None)
