"""The outbox: work to do after a change, stored in the change's own transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from participation.db import UTCDateTime, db, utcnow


class OutboxMessage(db.Model):  # type: ignore[name-defined,misc]
    """One piece of work. ``payload`` holds ids and codes only, never a child's words."""

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_due", "kind", "done_at", "available_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Not before this time (a retry's back-off, or a burst being grouped).
    available_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Given up after too many attempts (still counted on the staff badge; logged).
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # The error's class and a short message, scrubbed: never a child's words or an address.
    last_error: Mapped[str | None] = mapped_column(String(200), default=None)

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind}>"
