"""Admins manage accounts and read the audit log; nobody else can."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from participation.accounts.models import Role, User
from participation.db import db
from tests.moderation.test_pages import CSRF_RE, csrf, staff


def test_admin_invites_changes_roles_and_deactivates(app: Flask) -> None:
    app.config["STAFF_TOTP_REQUIRED"] = False
    try:
        admin = staff(app, "admin@example.org", Role.ADMIN)
        token = csrf(admin, "/staff/admin/accounts")
        admin.post("/staff/admin/accounts", data={
            "csrf_token": token, "email": "new@example.org",
            "passphrase": "a brand new long passphrase", "roles": ["facilitator"]})
        with app.app_context():
            user = db.session.scalars(select(User).where(User.email == "new@example.org")).one()
            user_id = user.id
            assert user.roles == {Role.FACILITATOR}
        # The newcomer signs in, then the admin changes roles and deactivates them.
        client = app.test_client()
        page = client.get("/staff/login").get_data(as_text=True)
        client.post("/staff/login", data={"csrf_token": CSRF_RE.search(page).group(1),
                                          "email": "new@example.org",
                                          "passphrase": "a brand new long passphrase"})
        assert client.get("/staff/queues").status_code == 200
        admin.post(f"/staff/admin/accounts/{user_id}", data={
            "csrf_token": token, "action": "roles", "roles": ["organiser"]})
        assert client.get("/staff/queues").status_code == 403
        admin.post(f"/staff/admin/accounts/{user_id}", data={"csrf_token": token,
                                                              "action": "deactivate"})
        assert client.get("/staff/").status_code == 302  # the session ended
        page = admin.get("/staff/admin/audit?action=account").get_data(as_text=True)
        for action in ("account.created", "account.roles_changed", "account.deactivated"):
            assert action in page
        assert "a brand new long passphrase" not in page
    finally:
        app.config["STAFF_TOTP_REQUIRED"] = True


def test_only_admins_reach_admin_pages(app: Flask) -> None:
    app.config["STAFF_TOTP_REQUIRED"] = False
    try:
        lead = staff(app, "lead@example.org", Role.SAFEGUARDING_LEAD, Role.FACILITATOR)
        for path in ("/staff/admin/accounts", "/staff/admin/audit"):
            assert lead.get(path).status_code == 403
    finally:
        app.config["STAFF_TOTP_REQUIRED"] = True
