"""Staff sign-in: passphrase then TOTP, codes used once, throttling, sessions that end."""

from __future__ import annotations

import re

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from participation.accounts.models import Role, User
from participation.accounts.services import create_user, deactivate_user
from participation.audit.models import AuditEvent
from participation.db import RecordIsAppendOnly, db

PASSPHRASE = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _english(client: FlaskClient) -> None:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_user(app: Flask, email: str = "lead@example.org", roles: tuple[Role, ...] = (Role.FACILITATOR,)) -> tuple[int, str]:
    with app.app_context():
        user = create_user(email, PASSPHRASE, list(roles), actor_id=None, with_totp=True)
        db.session.commit()
        return user.id, user.totp_secret or ""


def csrf(client: FlaskClient, path: str) -> str:
    match = CSRF_RE.search(client.get(path).get_data(as_text=True))
    assert match
    return match.group(1)


def sign_in(client: FlaskClient, email: str, secret: str, *, code: str | None = None) -> object:
    client.post("/staff/login", data={"csrf_token": csrf(client, "/staff/login"),
                                      "email": email, "passphrase": PASSPHRASE})
    return client.post("/staff/login/code", data={
        "csrf_token": csrf(client, "/staff/login/code"),
        "code": code or pyotp.TOTP(secret).now()})


def events(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_create_user_cli(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["create-user", "Org@Example.org", "--role", "organiser",
                                 "--role", "admin"], input=PASSPHRASE + "\n")
    assert result.exit_code == 0, result.output
    assert "otpauth://totp/participation:org%40example.org?secret=" in result.output
    with app.app_context():
        user = db.session.scalars(select(User)).one()
        assert user.email == "org@example.org" and user.roles == {Role.ORGANISER, Role.ADMIN}
        assert user.password_hash.startswith("$argon2id$") and PASSPHRASE not in user.password_hash
    short = runner.invoke(args=["create-user", "x@example.org", "--role", "admin"], input="short\n")
    assert short.exit_code != 0 and "at least 15 characters" in short.output


def test_two_step_sign_in_and_code_reuse(app: Flask, client: FlaskClient) -> None:
    _, secret = make_user(app)
    code = pyotp.TOTP(secret).now()
    response = sign_in(client, "lead@example.org", secret, code=code)
    assert response.status_code == 302 and response.headers["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200
    # Sign out, then try the very same code again: refused.
    client.post("/staff/logout", data={"csrf_token": csrf(client, "/staff/")})
    assert client.get("/staff/").status_code == 302
    response = sign_in(client, "lead@example.org", secret, code=code)
    assert response.status_code == 200
    assert "already used" in response.get_data(as_text=True)
    assert events(app)[-2:] == ["auth.logout", "auth.login_failed"]


def test_wrong_passphrase_is_refused_and_logged_without_the_email(app: Flask, client: FlaskClient) -> None:
    make_user(app)
    response = client.post("/staff/login", data={"csrf_token": csrf(client, "/staff/login"),
                                                 "email": "lead@example.org",
                                                 "passphrase": "wrong wrong wrong wrong"})
    assert response.status_code == 200
    assert "do not match" in response.get_data(as_text=True)
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.login_failed")).one()
        assert "lead@example.org" not in str(event.details) and "wrong" not in str(event.details)


def test_sign_in_is_throttled_per_account(app: Flask, client: FlaskClient) -> None:
    make_user(app)
    token = csrf(client, "/staff/login")
    statuses = [client.post("/staff/login", data={"csrf_token": token, "email": "lead@example.org",
                                                  "passphrase": f"guess number {n} here"}).status_code
                for n in range(6)]
    assert statuses == [200] * 5 + [429]


def test_deactivation_ends_sessions(app: Flask, client: FlaskClient) -> None:
    user_id, secret = make_user(app)
    sign_in(client, "lead@example.org", secret)
    assert client.get("/staff/").status_code == 200
    with app.app_context():
        deactivate_user(db.session.get(User, user_id), actor_id=None)  # type: ignore[arg-type]
        db.session.commit()
    assert client.get("/staff/").status_code == 302


def test_open_redirect_is_refused(app: Flask, client: FlaskClient) -> None:
    _, secret = make_user(app)
    client.post("/staff/login?next=//evil.example/x", data={
        "csrf_token": csrf(client, "/staff/login"), "email": "lead@example.org", "passphrase": PASSPHRASE})
    response = client.post("/staff/login/code?next=//evil.example/x", data={
        "csrf_token": csrf(client, "/staff/login/code"), "code": pyotp.TOTP(secret).now()})
    assert response.headers["Location"] == "/staff/"


def test_audit_log_is_append_only(app: Flask, client: FlaskClient) -> None:
    _, secret = make_user(app)
    sign_in(client, "lead@example.org", secret)
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.login")).one()
        event.action = "something else"
        with pytest.raises(RecordIsAppendOnly):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.get(AuditEvent, event.id))
        with pytest.raises(RecordIsAppendOnly):
            db.session.flush()
        db.session.rollback()
