"""The suppression threshold: one setting (5 to 20, 10 by default) read by every summary, chart
and export, changed by admins only, every change audited."""

from __future__ import annotations

from sqlalchemy import select

from participation.accounts.models import User
from participation.audit.services import record_event
from participation.db import db, utcnow
from participation.reports.models import ReportSettings
from participation.reports.privacy import DEFAULT_THRESHOLD, check_threshold


class SettingsError(Exception):
    """A settings change that cannot be made; ``code`` names why (the view words it)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _settings_row() -> ReportSettings | None:
    return db.session.scalar(select(ReportSettings).order_by(ReportSettings.id).limit(1))


def current_threshold() -> int:
    """Counts below this are published as "fewer than N" (the default until an admin sets it)."""
    row = _settings_row()
    return int(row.suppression_threshold) if row is not None else DEFAULT_THRESHOLD


def change_threshold(value: int, actor: User) -> bool:
    """Set the threshold (5 to 20) and audit the old and new value; False when unchanged."""
    try:
        check_threshold(value)
    except ValueError:
        raise SettingsError("out_of_range") from None
    row = _settings_row()
    old = int(row.suppression_threshold) if row is not None else DEFAULT_THRESHOLD
    if old == value:
        return False
    if row is None:
        row = ReportSettings(suppression_threshold=value, updated_by_id=actor.id)
        db.session.add(row)
    else:
        row.suppression_threshold = value
        row.updated_by_id = actor.id
        row.updated_at = utcnow()
    record_event("reports.threshold_changed", actor_id=actor.id, object_type="report_settings",
                 details={"old": old, "new": value})
    return True
