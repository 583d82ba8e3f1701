"""Which screening data each app host runs, so a host that differs from the others shows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from participation.db import UTCDateTime, db, utcnow


class ScreeningHost(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "screening_hosts"

    host: Mapped[str] = mapped_column(String(255), primary_key=True)
    # A hash of the rules files (and later the model) that this host screens with.
    version: Mapped[str] = mapped_column(String(16))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<ScreeningHost {self.host} {self.version}>"
