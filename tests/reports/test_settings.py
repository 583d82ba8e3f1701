"""The suppression threshold: 5 to 20, 10 until an admin sets it, every change audited, and
its page for admins only."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from participation.accounts.models import Role, User
from participation.audit.models import AuditEvent
from participation.db import db
from participation.reports.settings import SettingsError, change_threshold, current_threshold
from tests.conftest import csrf_token, make_staff


def audit_events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.id)))


def test_ten_until_set_then_changes_are_audited_with_old_and_new(app: Flask) -> None:
    admin = make_staff(app, "admin@example.org", Role.ADMIN)
    with app.app_context():
        assert current_threshold() == 10
        actor = db.session.get_one(User, admin.id)
        assert change_threshold(15, actor) is True
        db.session.commit()
        assert current_threshold() == 15
        assert change_threshold(15, actor) is False  # nothing changed, nothing logged
        assert change_threshold(5, actor) is True
        db.session.commit()
        assert current_threshold() == 5
        events = audit_events("reports.threshold_changed")
        assert [(e.actor_id, e.details) for e in events] == [
            (admin.id, {"old": 10, "new": 15}), (admin.id, {"old": 15, "new": 5})]


@pytest.mark.parametrize("value", [4, 21, 0, -10])
def test_out_of_bounds_is_refused(app: Flask, value: int) -> None:
    admin = make_staff(app, "admin@example.org", Role.ADMIN)
    with app.app_context():
        with pytest.raises(SettingsError):
            change_threshold(value, db.session.get_one(User, admin.id))
        assert current_threshold() == 10
        assert audit_events("reports.threshold_changed") == []


@pytest.mark.parametrize("value", [5, 20])
def test_the_bounds_themselves_are_allowed(app: Flask, value: int) -> None:
    admin = make_staff(app, "admin@example.org", Role.ADMIN)
    with app.app_context():
        change_threshold(value, db.session.get_one(User, admin.id))
        db.session.commit()
        assert current_threshold() == value


def test_admins_change_it_over_http(app: Flask,
                                    staff_client: Callable[..., FlaskClient]) -> None:
    client = staff_client("admin@example.org", Role.ADMIN)
    page = client.get("/staff/reports/settings").get_data(as_text=True)
    assert 'value="10"' in page
    token = csrf_token(client, "/staff/reports/settings")
    response = client.post("/staff/reports/settings", data={"csrf_token": token,
                                                            "threshold": "12"})
    assert response.status_code == 302
    assert "fewer than 12" in client.get("/staff/reports/settings").get_data(as_text=True)
    refused = client.post("/staff/reports/settings", data={"csrf_token": token,
                                                           "threshold": "25"})
    assert refused.status_code == 422
    with app.app_context():
        assert current_threshold() == 12


@pytest.mark.parametrize("role", [Role.ORGANISER, Role.FACILITATOR, Role.SAFEGUARDING_LEAD])
def test_only_admins_open_the_setting(app: Flask, staff_client: Callable[..., FlaskClient],
                                      role: Role) -> None:
    client = staff_client("someone@example.org", role)
    assert client.get("/staff/reports/settings").status_code == 403
    token = csrf_token(client, "/staff/")
    assert client.post("/staff/reports/settings", data={
        "csrf_token": token, "threshold": "5"}).status_code == 403
    with app.app_context():
        assert current_threshold() == 10
