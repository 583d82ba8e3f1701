"""Admins manage accounts (one form per action) and read the audit log; nobody else can.
Changing roles, deactivating and resetting a second factor end every session of the account."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from participation.accounts.models import Role, User, UserRole
from participation.accounts.services import password_hasher
from participation.audit.models import AuditEvent
from participation.db import db
from tests.conftest import STAFF_PASSPHRASE, csrf_token, make_staff, sign_in

ADMIN = "admin@example.org"
StaffClient = Callable[..., FlaskClient]


@pytest.fixture
def no_totp(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Several browsers of one person sign in within one TOTP step (codes work once)."""
    monkeypatch.setitem(app.config, "STAFF_TOTP_REQUIRED", False)


def browser(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert sign_in(client, email).status_code == 302
    return client


def user_by_email(app: Flask, email: str) -> User:
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == email)).one()
        db.session.expunge(user)
        return user


def actions(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_admin_invites_changes_roles_and_deactivates(app: Flask, no_totp: None) -> None:
    make_staff(app, ADMIN, Role.ADMIN, with_totp=False)
    admin = browser(app, ADMIN)
    token = csrf_token(admin, "/staff/admin/accounts")
    response = admin.post("/staff/admin/accounts", data={
        "csrf_token": token, "email": "new@example.org",
        "passphrase": "a brand new long passphrase", "roles": ["facilitator"]})
    assert response.status_code == 302
    user = user_by_email(app, "new@example.org")
    assert user.roles == {Role.FACILITATOR}
    # The newcomer signs in, then the admin changes roles and deactivates them.
    client = app.test_client()
    sign_in(client, "new@example.org", passphrase="a brand new long passphrase")
    assert client.get("/staff/queues").status_code == 200
    prefix = f"user-{user.id}"
    admin.post(f"/staff/admin/accounts/{user.id}/roles", data={
        f"{prefix}-csrf_token": token, f"{prefix}-roles": ["organiser"]})
    assert user_by_email(app, "new@example.org").roles == {Role.ORGANISER}
    assert client.get("/staff/queues").status_code == 302  # signed out by the change
    sign_in(client, "new@example.org", passphrase="a brand new long passphrase")
    assert client.get("/staff/queues").status_code == 403
    admin.post(f"/staff/admin/accounts/{user.id}/deactivate", data={"csrf_token": token})
    assert client.get("/staff/").status_code == 302  # the session ended
    page = admin.get("/staff/admin/audit?action=account").get_data(as_text=True)
    for action in ("account.created", "account.roles_changed", "account.deactivated"):
        assert action in page
    assert "a brand new long passphrase" not in page


def test_each_action_ends_every_session_of_the_account(app: Flask, no_totp: None) -> None:
    make_staff(app, ADMIN, Role.ADMIN, with_totp=False)
    person = make_staff(app, "fac@example.org", Role.FACILITATOR, with_totp=False)
    admin = browser(app, ADMIN)
    token = csrf_token(admin, "/staff/admin/accounts")
    steps = [
        (f"/staff/admin/accounts/{person.id}/roles",
         {f"user-{person.id}-csrf_token": token,
          f"user-{person.id}-roles": ["facilitator", "organiser"]}, "roles_changed"),
        (f"/staff/admin/accounts/{person.id}/second-factor", {"csrf_token": token}, "totp_reset"),
        (f"/staff/admin/accounts/{person.id}/deactivate", {"csrf_token": token}, "deactivated"),
    ]
    for path, data, reason in steps:
        browsers = [browser(app, "fac@example.org") for _ in range(2)]
        assert all(b.get("/staff/").status_code == 200 for b in browsers)
        assert admin.post(path, data=data).status_code in {200, 302}
        assert [b.get("/staff/").status_code for b in browsers] == [302, 302], reason
        with app.app_context():
            event = db.session.scalars(select(AuditEvent).where(
                AuditEvent.action == "auth.sessions_ended").order_by(AuditEvent.id.desc())).first()
            assert event is not None and event.details == {"reason": reason, "count": 2}
    assert admin.get("/staff/").status_code == 200  # the admin's own session is untouched


def test_the_reset_shows_the_new_second_factor_once(app: Flask, no_totp: None) -> None:
    make_staff(app, ADMIN, Role.ADMIN, with_totp=False)
    person = make_staff(app, "fac@example.org", Role.FACILITATOR)
    admin = browser(app, ADMIN)
    response = admin.post(f"/staff/admin/accounts/{person.id}/second-factor",
                          data={"csrf_token": csrf_token(admin, "/staff/admin/accounts")})
    secret = user_by_email(app, "fac@example.org").totp_secret
    assert response.status_code == 200 and secret and secret != person.totp_secret
    assert secret in response.get_data(as_text=True)
    assert secret not in admin.get("/staff/admin/accounts").get_data(as_text=True)


def test_one_route_per_action_and_each_form_checks_its_token(app: Flask, no_totp: None) -> None:
    make_staff(app, ADMIN, Role.ADMIN, with_totp=False)
    person = make_staff(app, "fac@example.org", Role.FACILITATOR, with_totp=False)
    admin = browser(app, ADMIN)
    token = csrf_token(admin, "/staff/admin/accounts")
    # The old dispatching route is gone.
    assert admin.post(f"/staff/admin/accounts/{person.id}",
                      data={"csrf_token": token, "action": "deactivate"}).status_code in {404, 405}
    for action in ("roles", "deactivate", "second-factor"):
        assert admin.post(f"/staff/admin/accounts/{person.id}/{action}").status_code == 400
    assert admin.post("/staff/admin/accounts/999999/deactivate",
                      data={"csrf_token": token}).status_code == 404
    assert user_by_email(app, "fac@example.org").is_active


def test_an_admin_cannot_deactivate_themselves(app: Flask, no_totp: None) -> None:
    admin_account = make_staff(app, ADMIN, Role.ADMIN, with_totp=False)
    admin = browser(app, ADMIN)
    response = admin.post(f"/staff/admin/accounts/{admin_account.id}/deactivate",
                          data={"csrf_token": csrf_token(admin, "/staff/admin/accounts")})
    assert response.status_code == 302
    assert "cannot deactivate your own account" in admin.get(
        "/staff/admin/accounts").get_data(as_text=True)
    assert user_by_email(app, ADMIN).is_active


@pytest.mark.parametrize("email", ["new\n@example.org", "new@example.org\n", "ne\x00w@example.org",
                                   "new@exa\tmple.org", "new\u2028@example.org",
                                   "new\u200b@example.org"])
def test_invite_refuses_line_breaks_and_control_characters(app: Flask, no_totp: None,
                                                           email: str) -> None:
    make_staff(app, ADMIN, Role.ADMIN, with_totp=False)
    admin = browser(app, ADMIN)
    response = admin.post("/staff/admin/accounts", data={
        "csrf_token": csrf_token(admin, "/staff/admin/accounts"), "email": email,
        "passphrase": "a brand new long passphrase", "roles": ["facilitator"]})
    assert response.status_code == 422
    assert "cannot contain a line break" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User.id).where(User.email != ADMIN)) is None


def test_invite_refuses_what_is_not_an_address(app: Flask, no_totp: None) -> None:
    make_staff(app, ADMIN, Role.ADMIN, with_totp=False)
    admin = browser(app, ADMIN)
    response = admin.post("/staff/admin/accounts", data={
        "csrf_token": csrf_token(admin, "/staff/admin/accounts"), "email": "two@@example.org",
        "passphrase": "a brand new long passphrase", "roles": ["facilitator"]})
    assert response.status_code == 422
    assert "does not look like an email address" in response.get_data(as_text=True)


def test_an_existing_odd_address_breaks_nothing(app: Flask, no_totp: None) -> None:
    """Accounts made before addresses were checked keep working, line break and all."""
    make_staff(app, ADMIN, Role.ADMIN, with_totp=False)
    odd = "odd\nperson@example.org"
    with app.app_context():
        user = User(email=odd, password_hash=password_hasher().hash(STAFF_PASSPHRASE))
        user.role_rows = [UserRole(role=Role.FACILITATOR)]
        db.session.add(user)
        db.session.commit()
        user_id = user.id
    admin = browser(app, ADMIN)
    assert admin.get("/staff/admin/accounts").status_code == 200
    person = browser(app, odd)
    assert person.get("/staff/").status_code == 200
    token = csrf_token(admin, "/staff/admin/accounts")
    admin.post(f"/staff/admin/accounts/{user_id}/roles", data={
        f"user-{user_id}-csrf_token": token, f"user-{user_id}-roles": ["organiser"]})
    assert user_by_email(app, odd).roles == {Role.ORGANISER}
    assert admin.get("/staff/admin/audit").status_code == 200
    assert admin.get(f"/staff/admin/audit?actor={user_id}").status_code == 200


def test_the_audit_filter_ignores_control_characters(app: Flask, no_totp: None) -> None:
    make_staff(app, ADMIN, Role.ADMIN, with_totp=False)
    admin = browser(app, ADMIN)
    response = admin.get("/staff/admin/audit?action=auth%00.login")
    assert response.status_code == 200 and "auth.login" in response.get_data(as_text=True)


def test_only_admins_reach_admin_pages(app: Flask, staff_client: StaffClient) -> None:
    lead = staff_client("lead@example.org", Role.SAFEGUARDING_LEAD, Role.FACILITATOR)
    for path in ("/staff/admin/accounts", "/staff/admin/audit"):
        assert lead.get(path).status_code == 403
    assert actions(app).count("auth.login") == 1
