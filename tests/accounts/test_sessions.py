"""Staff sessions live on the server: signing out ends a copied cookie, sessions expire when idle
and at an absolute limit, and the cookie holds a random token, never the client's address."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from participation.accounts.models import Role, StaffSession, User
from participation.audit.models import AuditEvent
from participation.db import db, utcnow
from tests.conftest import csrf_token, make_staff, sign_in

ADMIN = "admin@example.org"
COOKIE = "participation_session"


@pytest.fixture
def no_totp(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Several browsers of one person sign in within one TOTP step (codes work once)."""
    monkeypatch.setitem(app.config, "STAFF_TOTP_REQUIRED", False)


def browser(app: Flask, email: str = ADMIN, **environ: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base.update({"HTTP_ACCEPT_LANGUAGE": "en", **environ})
    assert sign_in(client, email).status_code == 302
    return client


def cookie_value(client: FlaskClient) -> str:
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    return cookie.value


def decoded_session(app: Flask, client: FlaskClient) -> dict[str, object]:
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    data: dict[str, object] = serializer.loads(cookie_value(client))
    return data


def sessions(app: Flask) -> list[StaffSession]:
    with app.app_context():
        rows = list(db.session.scalars(select(StaffSession).order_by(StaffSession.id)))
        db.session.expunge_all()
        return rows


def shift_sessions(app: Flask, **columns: timedelta) -> None:
    """Move every session's timestamps into the past (as if time had passed)."""
    with app.app_context():
        for row in db.session.scalars(select(StaffSession)):
            for name, delta in columns.items():
                setattr(row, name, getattr(row, name) - delta)
        db.session.commit()


def test_signing_out_ends_a_copied_cookie(app: Flask, no_totp: None) -> None:
    make_staff(app, ADMIN, Role.ADMIN, with_totp=False)
    original = browser(app)
    copy = app.test_client()
    copy.set_cookie(COOKIE, cookie_value(original))
    assert copy.get("/staff/admin/accounts").status_code == 200
    original.post("/staff/logout", data={"csrf_token": csrf_token(original, "/staff/")})
    for client in (original, copy):
        response = client.get("/staff/admin/accounts")
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/staff/login")
    [row] = sessions(app)
    assert row.revoked_at is not None
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions[-2:] == ["auth.login", "auth.logout"]


def test_the_cookie_holds_a_random_token_and_no_address(app: Flask) -> None:
    account = make_staff(app, ADMIN, Role.ADMIN)
    client = app.test_client()
    client.environ_base.update({"REMOTE_ADDR": "203.0.113.77",
                                "HTTP_USER_AGENT": "ExampleBrowser/1.0 (Tablet)"})
    assert sign_in(client, ADMIN, totp_secret=account.totp_secret).status_code == 302
    assert client.get("/staff/").status_code == 200
    data = decoded_session(app, client)
    assert "_id" not in data  # Flask-Login's hash of address and browser
    text = json.dumps(data)
    assert "203.0.113.77" not in text and "ExampleBrowser" not in text
    token = data["_user_id"]
    assert isinstance(token, str) and len(token) >= 40 and token != str(account.id)
    [row] = sessions(app)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.user_id == account.id and row.revoked_at is None


def test_idle_sessions_end(app: Flask, no_totp: None) -> None:
    make_staff(app, ADMIN, Role.ADMIN, with_totp=False)
    client = browser(app)
    shift_sessions(app, last_seen_at=timedelta(minutes=29))
    assert client.get("/staff/").status_code == 200  # still within the 30 idle minutes
    shift_sessions(app, last_seen_at=timedelta(minutes=31))
    assert client.get("/staff/").status_code == 302


def test_sessions_end_at_their_absolute_limit(app: Flask, no_totp: None) -> None:
    make_staff(app, ADMIN, Role.ADMIN, with_totp=False)
    client = browser(app)
    [row] = sessions(app)
    assert row.expires_at - row.created_at == timedelta(hours=12)
    # Active all along (seen a moment ago), but signed in more than 12 hours ago.
    shift_sessions(app, created_at=timedelta(hours=12, minutes=1),
                   expires_at=timedelta(hours=12, minutes=1))
    assert client.get("/staff/").status_code == 302


def test_the_absolute_limit_is_a_setting(app: Flask, no_totp: None,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "STAFF_SESSION_MAX_HOURS", 2)
    make_staff(app, ADMIN, Role.ADMIN, with_totp=False)
    browser(app)
    [row] = sessions(app)
    assert row.expires_at - row.created_at == timedelta(hours=2)


def test_last_seen_is_written_at_most_once_a_minute(app: Flask, no_totp: None) -> None:
    make_staff(app, ADMIN, Role.ADMIN, with_totp=False)
    client = browser(app)
    [first] = sessions(app)
    for _ in range(3):
        assert client.get("/staff/").status_code == 200
    [row] = sessions(app)
    assert row.last_seen_at == first.last_seen_at  # no write per request
    shift_sessions(app, last_seen_at=timedelta(minutes=2))
    before = utcnow()
    assert client.get("/staff/").status_code == 200
    [row] = sessions(app)
    assert row.last_seen_at >= before - timedelta(seconds=1)


def test_home_lists_own_sessions_and_signs_out_everywhere_else(app: Flask,
                                                                no_totp: None) -> None:
    make_staff(app, ADMIN, Role.ADMIN, with_totp=False)
    make_staff(app, "other@example.org", Role.FACILITATOR, with_totp=False)
    here = browser(app, REMOTE_ADDR="198.51.100.4", HTTP_USER_AGENT="HereBrowser/2")
    there = browser(app, REMOTE_ADDR="198.51.100.5", HTTP_USER_AGENT="ThereBrowser/3")
    someone_else = browser(app, "other@example.org")
    page = here.get("/staff/").get_data(as_text=True)
    assert page.count("<time datetime=") == 4  # two sessions: started and last active
    assert page.count("This browser") == 2  # the column's hidden heading, and one row
    for private in ("198.51.100", "HereBrowser", "ThereBrowser"):
        assert private not in page
    assert "Sign out everywhere else" in page
    response = here.post("/staff/sessions/others",
                         data={"csrf_token": csrf_token(here, "/staff/")})
    assert response.status_code == 302
    assert "signed out everywhere else" in here.get("/staff/").get_data(as_text=True)
    assert there.get("/staff/").status_code == 302
    assert someone_else.get("/staff/").status_code == 200
    page = here.get("/staff/").get_data(as_text=True)
    assert page.count("<time datetime=") == 2 and "Sign out everywhere else" not in page
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "auth.sessions_ended")).one()
        assert event.details == {"reason": "signed_out_elsewhere", "count": 1}


def test_a_closed_account_or_an_old_style_cookie_opens_nothing(app: Flask,
                                                              no_totp: None) -> None:
    account = make_staff(app, ADMIN, Role.ADMIN, with_totp=False)
    client = browser(app)
    with app.app_context():
        db.session.execute(update(User).where(User.id == account.id).values(is_active=False))
        db.session.commit()
    assert client.get("/staff/").status_code == 302
    # The format of the previous cookie ("id:version") is refused too.
    forged = app.test_client()
    with forged.session_transaction() as session:
        session["_user_id"] = f"{account.id}:1"
    assert forged.get("/staff/").status_code == 302


def test_signing_in_again_replaces_this_browsers_session(app: Flask, no_totp: None) -> None:
    make_staff(app, ADMIN, Role.ADMIN, with_totp=False)
    client = browser(app)
    old_cookie = cookie_value(client)
    assert sign_in(client, ADMIN).status_code == 302
    first, second = sessions(app)
    assert first.revoked_at is not None and second.revoked_at is None
    stale = app.test_client()
    stale.set_cookie(COOKIE, old_cookie)
    assert stale.get("/staff/").status_code == 302
    assert client.get("/staff/").status_code == 200
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "auth.logout")).one()
        assert event.details == {"reason": "signed_in_again"}
