"""Record an event. Every state change a staff member makes calls this in the same transaction."""

from __future__ import annotations

from typing import Any

from participation.audit.models import AuditEvent
from participation.db import db


def record_event(
    action: str,
    *,
    actor_id: int | None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the session; the caller's commit stores it with the change."""
    event = AuditEvent(
        action=action,
        actor_id=actor_id,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        details=details,
    )
    db.session.add(event)
    return event
