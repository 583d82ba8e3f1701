"""What organisers' reports keep: the suppression setting, consultation periods with their
frozen snapshots, ideas marked as considered, and the append-only log of every export.

Nothing here holds a child's words or token: snapshots and exports hold protected figures and
approved text only.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from participation.db import AppendOnly, TimestampMixin, UTCDateTime, db, utcnow
from participation.reports.privacy import DEFAULT_THRESHOLD


class ReportSettings(db.Model):  # type: ignore[name-defined,misc]
    """The deployment's one row of report settings; every change is audited."""

    __tablename__ = "report_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Counts below this are shown as "fewer than N" (5 to 20; reports/privacy.py).
    suppression_threshold: Mapped[int] = mapped_column(SmallInteger, default=DEFAULT_THRESHOLD)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )

    def __repr__(self) -> str:
        return f"<ReportSettings threshold={self.suppression_threshold}>"


class ConsultationPeriod(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """A named stretch of time over which children were consulted on a plan. Once closed, its
    figures are frozen in ``snapshot`` and every later page and export reads that, so repeated
    queries with different filters cannot narrow down a small cell."""

    __tablename__ = "consultation_periods"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    closed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    # Protected figures only (already suppressed with snapshot_threshold), never raw counts.
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    snapshot_threshold: Mapped[int | None] = mapped_column(SmallInteger, default=None)

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    def __repr__(self) -> str:
        return f"<ConsultationPeriod {self.public_id} {'closed' if self.is_closed else 'open'}>"


class ConsideredIdea(db.Model):  # type: ignore[name-defined,misc]
    """An organiser marked an approved idea or committee statement as considered."""

    __tablename__ = "considered_ideas"

    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True
    )
    considered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    considered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<ConsideredIdea {self.submission_id}>"


class ExportRecord(AppendOnly, db.Model):  # type: ignore[name-defined,misc]
    """One export, as it left the app: who, why, what, and a hash of the file. Only added to
    (a PostgreSQL trigger refuses changes too); admins read the log."""

    __tablename__ = "export_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    role: Mapped[str] = mapped_column(String(32))  # the role the export was made under
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    format: Mapped[str] = mapped_column(String(8))  # csv, xlsx, json
    tables: Mapped[list[str]] = mapped_column(JSON)
    filters: Mapped[dict[str, Any]] = mapped_column(JSON)
    period_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultation_periods.id", ondelete="RESTRICT"), default=None
    )
    row_counts: Mapped[dict[str, int]] = mapped_column(JSON)
    threshold: Mapped[int] = mapped_column(Integer)
    file_sha256: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"<ExportRecord {self.id} {self.format}>"
