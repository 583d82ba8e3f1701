"""The audit log viewer (admin.audit), where review decisions are read back: 100 events a page by
keyset on the id ("older"/"newer"), filtered by action prefix, person and a date range in the
organisation's time zone."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from participation.accounts.models import Role, User
from participation.audit.models import AuditEvent
from participation.db import db

StaffClient = Callable[..., FlaskClient]


def add_events(app: Flask, count: int, *, action: str = "review.approved",
               at: datetime | None = None, actor: str | None = None) -> list[int]:
    with app.app_context():
        actor_id = (db.session.scalars(select(User.id).where(User.email == actor)).one()
                    if actor else None)
        events = [AuditEvent(action=action, actor_id=actor_id, object_type="submission",
                             object_id=str(n), **({"created_at": at} if at else {}))
                  for n in range(count)]
        db.session.add_all(events)
        db.session.commit()
        return [event.id for event in events]


def ids_on(page: str) -> list[int]:
    """The ids of the events shown, from their object ids' rows (newest first)."""
    return [int(found) for found in re.findall(r"<td>submission (\d+)</td>", page)]


def link(page: str, name: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="(?:prev|next)">{name}</a>', page)
    return found.group(1).replace("&amp;", "&") if found else None


def test_pages_of_one_hundred_older_and_newer(app: Flask,
                                              staff_client: StaffClient) -> None:
    admin = staff_client("admin@example.org", Role.ADMIN)
    add_events(app, 250)
    first = admin.get("/staff/admin/audit?action=review.").get_data(as_text=True)
    assert ids_on(first) == list(range(249, 149, -1))  # newest first
    assert link(first, "Newer") is None
    older = link(first, "Older")
    assert older is not None and "action=review." in older and "before=" in older
    second = admin.get(older).get_data(as_text=True)
    assert ids_on(second) == list(range(149, 49, -1))
    third = admin.get(link(second, "Older") or "").get_data(as_text=True)
    assert ids_on(third) == list(range(49, -1, -1)) and link(third, "Older") is None
    back = admin.get(link(third, "Newer") or "").get_data(as_text=True)
    assert ids_on(back) == list(range(149, 49, -1))
    top = admin.get(link(back, "Newer") or "").get_data(as_text=True)
    assert ids_on(top) == ids_on(first) and link(top, "Newer") is None


def test_filters_by_action_person_and_dates_in_the_org_time_zone(
    app: Flask, staff_client: StaffClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = staff_client("admin@example.org", Role.ADMIN)
    staff_client("fac@example.org", Role.FACILITATOR)
    # 23:30 UTC on 1 March is already 2 March in Paris; 22:30 UTC is still 1 March.
    add_events(app, 1, action="review.rejected", at=datetime(2026, 3, 1, 22, 30, tzinfo=UTC),
               actor="fac@example.org")
    add_events(app, 1, action="review.approved", at=datetime(2026, 3, 1, 23, 30, tzinfo=UTC),
               actor="fac@example.org")
    add_events(app, 1, action="concern.opened", at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC))

    def shown(query: str) -> list[str]:
        page = admin.get("/staff/admin/audit?" + query).get_data(as_text=True)
        return re.findall(r"<td><code>([a-z_.]+)</code></td>", page)

    march_first = "from=2026-03-01&to=2026-03-01"
    assert shown(march_first) == ["review.approved", "review.rejected"]  # UTC by default
    monkeypatch.setitem(app.config, "ORG_TIMEZONE", "Europe/Paris")
    assert shown(march_first) == ["review.rejected"]
    assert shown("from=2026-03-02&to=2026-03-02") == ["concern.opened", "review.approved"]
    with app.app_context():
        fac = db.session.scalars(select(User.id).where(User.email == "fac@example.org")).one()
    assert shown(f"actor={fac}&action=review") == ["review.approved", "review.rejected"]
    assert shown(f"actor={fac}&action=concern") == []
    page = admin.get("/staff/admin/audit?from=2026-13-45&action=concern").get_data(as_text=True)
    assert "A date could not be read" in page and "concern.opened" in page
    # Times are shown on the organisation's clocks.
    assert "2 Mar 2026, 10:00:00 +0100" in page
