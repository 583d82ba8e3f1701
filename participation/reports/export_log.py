"""The export log: every file that leaves the app through an export is recorded once it has been
produced, with who made it, under which role, why, what it holds and a SHA-256 of the exact bytes
sent. Records are only ever added (AppendOnly, and a PostgreSQL trigger); admins read them.

Streams and disconnects. A streamed export is recorded at the end of its generator, in a
transaction of its own (the rows were read in another one, closed first). If the browser goes
away before the end, the server closes the generator: the record is still written, with the
hash and row counts of what was produced until then, and ``filters["delivery"]`` says
"interrupted" ("failed" if the export itself broke), so a file that was partly downloaded is
never missing from the log. The record's columns have no place for this, hence the key in
``filters``. A process killed outright (SIGKILL, power loss) writes nothing: nothing in Python
runs then.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from flask import current_app
from sqlalchemy import select

from participation.accounts.models import Role, User
from participation.audit.services import record_event
from participation.db import db, reset_session
from participation.reports.exports import ExportRequest, Tally, export_bytes
from participation.reports.models import ExportRecord

LOG_PAGE_SIZE = 50
Delivery = Literal["complete", "interrupted", "failed"]
PURPOSE_MAX_LENGTH = 500


class ExportRefused(Exception):
    """This person may not export (the route's roles already say so; this is the service's)."""


def export_role(user: User) -> Role:
    """The role an export is made under: organiser when the person is one, else admin."""
    if user.has_role(Role.ORGANISER):
        return Role.ORGANISER
    if user.has_role(Role.ADMIN):
        return Role.ADMIN
    raise ExportRefused()


def record_export(*, actor_id: int, role: Role, request: ExportRequest, purpose: str,
                  row_counts: dict[str, int], file_sha256: str,
                  delivery: Delivery) -> ExportRecord:
    """Add the export's record and its audit event to the session (the caller commits)."""
    filters = {**request.filters(), "delivery": delivery}
    record = ExportRecord(
        actor_id=actor_id, role=role.value, format=request.format,
        tables=list(request.tables), filters=filters,
        period_id=request.period.id if request.period else None,
        row_counts=dict(row_counts), threshold=request.threshold, file_sha256=file_sha256,
        purpose=purpose,
    )
    db.session.add(record)
    db.session.flush()
    record_event("report.exported", actor_id=actor_id, object_type="export",
                 object_id=record.id, details={"format": request.format,
                                               "tables": list(request.tables),
                                               "delivery": delivery})
    return record


def stream_export(*, actor: User, request: ExportRequest, purpose: str) -> Iterator[bytes]:
    """The export's bytes as they are produced; recorded in the log when the generator ends,
    however it ends (see the module's docstring)."""
    role = export_role(actor)  # refused before anything is produced
    actor_id = actor.id
    digest = hashlib.sha256()
    tally = Tally()
    delivery: Delivery = "failed"
    try:
        for chunk in export_bytes(request, tally):
            if chunk:
                digest.update(chunk)
                yield chunk
        delivery = "complete"
    except GeneratorExit:
        delivery = "interrupted"
        raise
    finally:
        reset_session()  # ends the reading transaction (and its server-side cursor)
        try:
            record_export(actor_id=actor_id, role=role, request=request, purpose=purpose,
                          row_counts=tally.rows, file_sha256=digest.hexdigest(),
                          delivery=delivery)
            db.session.commit()
        except Exception:
            reset_session()
            current_app.logger.exception("An export could not be recorded in the export log")
            raise


@dataclass(frozen=True)
class LogPage:
    records: list[ExportRecord]
    people: dict[int, str]
    older: bool
    newer: bool


def export_log_page(*, before: int | None, after: int | None,
                    size: int = LOG_PAGE_SIZE) -> LogPage:
    """One page of the log, newest first, by keyset on the id (every page costs the same)."""
    if after is not None:
        newer = list(db.session.scalars(select(ExportRecord).where(ExportRecord.id > after)
                                        .order_by(ExportRecord.id).limit(size + 1)))
        if len(newer) > size:
            records, older, has_newer = list(reversed(newer[:size])), True, True
            return LogPage(records, _people(records), older, has_newer)
        before = None
    query = select(ExportRecord).order_by(ExportRecord.id.desc()).limit(size + 1)
    if before is not None:
        query = query.where(ExportRecord.id < before)
    found = list(db.session.scalars(query))
    records = found[:size]
    return LogPage(records, _people(records), len(found) > size, before is not None)


def _people(records: list[ExportRecord]) -> dict[int, str]:
    ids = {record.actor_id for record in records if record.actor_id is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.email).where(User.id.in_(ids))).all())
