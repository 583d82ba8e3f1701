"""The audit log. Rows are only ever inserted (AppendOnly: updates and deletes are refused)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from participation.db import AppendOnly, UTCDateTime, db, utcnow


class AuditEvent(AppendOnly, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # None: the system itself (a CLI run, a scheduled job) or an unknown account at sign-in.
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True, default=None
    )
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(String(32), default=None)
    object_id: Mapped[str | None] = mapped_column(String(64), default=None)
    # Small, non-sensitive facts (a reason code, roles granted): never text a child wrote.
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)

    def __repr__(self) -> str:
        return f"<AuditEvent {self.action} by {self.actor_id} at {self.created_at:%Y-%m-%d %H:%M}>"
