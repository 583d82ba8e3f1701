"""Staff sign-in: passphrase then TOTP, codes used once, throttling of failures, odd input."""

from __future__ import annotations

import time

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from participation.accounts.models import Role, User
from participation.audit.models import AuditEvent
from participation.db import RecordIsAppendOnly, db
from tests.conftest import STAFF_PASSPHRASE, csrf_token, make_staff, sign_in

EMAIL = "lead@example.org"


@pytest.fixture(autouse=True)
def _english(client: FlaskClient) -> None:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


def events(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def post_passphrase(client: FlaskClient, email: str, passphrase: str = STAFF_PASSPHRASE,
                    token: str | None = None) -> int:
    return client.post("/staff/login", data={
        "csrf_token": token or csrf_token(client, "/staff/login"), "email": email,
        "passphrase": passphrase}).status_code


def test_create_user_cli(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["create-user", "Org@Example.org", "--role", "organiser",
                                 "--role", "admin"], input=STAFF_PASSPHRASE + "\n")
    assert result.exit_code == 0, result.output
    assert "otpauth://totp/participation:org%40example.org?secret=" in result.output
    with app.app_context():
        user = db.session.scalars(select(User)).one()
        assert user.email == "org@example.org" and user.roles == {Role.ORGANISER, Role.ADMIN}
        assert user.password_hash.startswith("$argon2id$")
        assert STAFF_PASSPHRASE not in user.password_hash
    short = runner.invoke(args=["create-user", "x@example.org", "--role", "admin"], input="short\n")
    assert short.exit_code != 0 and "at least 15 characters" in short.output


@pytest.mark.parametrize("email", ["new\n@example.org", "new@example.org\n", "new@exa\rmple.org",
                                   "ne\tw@example.org", "new\u2028@example.org"])
def test_create_user_cli_refuses_control_characters(app: Flask, runner: FlaskCliRunner,
                                                    email: str) -> None:
    result = runner.invoke(args=["create-user", email, "--role", "admin"],
                           input=STAFF_PASSPHRASE + "\n")
    assert result.exit_code != 0
    assert "cannot contain a line break" in result.output
    with app.app_context():
        assert db.session.scalars(select(User)).all() == []


def test_create_user_cli_refuses_what_is_not_an_address(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["create-user", "two@@example.org", "--role", "admin"],
                           input=STAFF_PASSPHRASE + "\n")
    assert result.exit_code != 0 and "does not look like an email address" in result.output


def test_two_step_sign_in_and_code_reuse(app: Flask, client: FlaskClient) -> None:
    account = make_staff(app, EMAIL)
    code = pyotp.TOTP(account.totp_secret or "").now()
    response = sign_in(client, EMAIL, code=code)
    assert response.status_code == 302 and response.headers["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200
    # Sign out, then try the very same code again: refused.
    client.post("/staff/logout", data={"csrf_token": csrf_token(client, "/staff/")})
    assert client.get("/staff/").status_code == 302
    response = sign_in(client, EMAIL, code=code)
    assert response.status_code == 401
    assert "already used" in response.get_data(as_text=True)
    assert events(app)[-2:] == ["auth.logout", "auth.login_failed"]


def test_wrong_passphrase_is_refused_and_logged_without_the_email(app: Flask,
                                                                   client: FlaskClient) -> None:
    make_staff(app, EMAIL)
    response = client.post("/staff/login", data={"csrf_token": csrf_token(client, "/staff/login"),
                                                 "email": EMAIL,
                                                 "passphrase": "wrong wrong wrong wrong"})
    assert response.status_code == 401
    assert "do not match" in response.get_data(as_text=True)
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "auth.login_failed")).one()
        assert EMAIL not in str(event.details) and "wrong" not in str(event.details)


def test_failed_sign_ins_are_throttled_per_account(app: Flask, client: FlaskClient) -> None:
    make_staff(app, EMAIL)
    token = csrf_token(client, "/staff/login")
    statuses = [post_passphrase(client, EMAIL, f"guess number {n} here", token) for n in range(6)]
    assert statuses == [401] * 5 + [429]
    # The right passphrase is paused too while the account's limit lasts.
    assert post_passphrase(client, EMAIL, token=token) == 429


def test_correct_sign_ins_never_lock_the_account(app: Flask, client: FlaskClient) -> None:
    """Anyone who knows an address must not lock its owner out; only failures count."""
    make_staff(app, EMAIL)
    token = csrf_token(client, "/staff/login")
    assert [post_passphrase(client, EMAIL, token=token) for _ in range(8)] == [302] * 8
    statuses = [post_passphrase(client, EMAIL, f"guess number {n} here", token) for n in range(6)]
    assert statuses == [401] * 5 + [429]


def test_the_per_address_limit_still_holds(app: Flask, client: FlaskClient,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "LOGIN_LIMITS_PER_ADDRESS", "3 per minute")
    token = csrf_token(client, "/staff/login")
    statuses = [post_passphrase(client, f"person{n}@example.org", token=token) for n in range(4)]
    assert statuses == [401, 401, 401, 429]


@pytest.mark.parametrize("field", ["email", "passphrase"])
def test_nul_in_the_sign_in_form_is_a_clear_400(app: Flask, client: FlaskClient,
                                                field: str) -> None:
    make_staff(app, EMAIL)
    data = {"csrf_token": csrf_token(client, "/staff/login"), "email": EMAIL,
            "passphrase": STAFF_PASSPHRASE}
    data[field] = data[field][:4] + "\x00" + data[field][4:]
    response = client.post("/staff/login", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "<h1>Sign in</h1>" in page and 'name="passphrase"' in page
    assert "invisible character" in page
    assert client.get("/staff/").status_code == 302


def test_nul_in_the_code_is_a_clear_400(app: Flask, client: FlaskClient) -> None:
    account = make_staff(app, EMAIL)
    sign_in(client, EMAIL)
    code = pyotp.TOTP(account.totp_secret or "").now()
    response = client.post("/staff/login/code", data={
        "csrf_token": csrf_token(client, "/staff/login/code"), "code": code[:3] + "\x00" + code[3:]})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "<h1>Second step</h1>" in page and "invisible character" in page
    # The code was not spent: it still signs in.
    response = client.post("/staff/login/code", data={
        "csrf_token": csrf_token(client, "/staff/login/code"), "code": code})
    assert response.status_code == 302


def test_half_signed_in_state_ends_after_five_minutes(app: Flask, client: FlaskClient,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    account = make_staff(app, EMAIL)
    totp = pyotp.TOTP(account.totp_secret or "")
    assert sign_in(client, EMAIL).status_code == 302
    token = csrf_token(client, "/staff/login/code")
    # Visiting the second step now and then does not keep the state alive.
    real_time = time.time
    for minutes in (1, 2, 3, 4):
        monkeypatch.setattr(time, "time", lambda m=minutes: real_time() + m * 60)
        assert client.get("/staff/login/code").status_code == 200
    monkeypatch.setattr(time, "time", lambda: real_time() + 5 * 60 + 1)
    response = client.post("/staff/login/code",
                           data={"csrf_token": token, "code": totp.at(time.time())})
    assert response.status_code == 302 and response.headers["Location"].startswith("/staff/login")
    assert "took more than 5 minutes" in client.get("/staff/login").get_data(as_text=True)
    assert client.get("/staff/").status_code == 302
    assert events(app)[-1] == "auth.login_failed"
    # Back to the passphrase step: that works as usual.
    response = sign_in(client, EMAIL, code=totp.at(time.time() + 30))
    assert response.status_code == 302 and response.headers["Location"] == "/staff/"


def test_the_half_signed_in_state_keeps_its_start_time(app: Flask, client: FlaskClient) -> None:
    make_staff(app, EMAIL)
    sign_in(client, EMAIL)
    with client.session_transaction() as session:
        started = session["pending_login"]["started"]
    assert abs(started - time.time()) < 5
    for _ in range(3):
        assert client.get("/staff/login/code").status_code == 200
    with client.session_transaction() as session:
        assert session["pending_login"]["started"] == started


def test_open_redirect_is_refused(app: Flask, client: FlaskClient) -> None:
    account = make_staff(app, EMAIL)
    client.post("/staff/login?next=//evil.example/x", data={
        "csrf_token": csrf_token(client, "/staff/login"), "email": EMAIL,
        "passphrase": STAFF_PASSPHRASE})
    response = client.post("/staff/login/code?next=//evil.example/x", data={
        "csrf_token": csrf_token(client, "/staff/login/code"),
        "code": pyotp.TOTP(account.totp_secret or "").now()})
    assert response.headers["Location"] == "/staff/"


def test_audit_log_is_append_only(app: Flask, client: FlaskClient) -> None:
    account = make_staff(app, EMAIL)
    sign_in(client, EMAIL, totp_secret=account.totp_secret)
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "auth.login")).one()
        event.action = "something else"
        with pytest.raises(RecordIsAppendOnly):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.get(AuditEvent, event.id))
        with pytest.raises(RecordIsAppendOnly):
            db.session.flush()
        db.session.rollback()
