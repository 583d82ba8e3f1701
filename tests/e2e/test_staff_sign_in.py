"""Staff sign in with a passphrase and a second factor; every staff page passes axe."""

from __future__ import annotations

from typing import Any

import pyotp
from flask import Flask
from playwright.sync_api import expect

from participation.accounts.models import Role
from participation.accounts.services import create_user
from participation.db import db
from tests.e2e.conftest import Visitor

PASSPHRASE = "a long and calm passphrase"


def make_staff(app: Flask, email: str, *roles: Role) -> str:
    with app.app_context():
        user = create_user(email, PASSPHRASE, list(roles), actor_id=None, with_totp=True)
        db.session.commit()
        return user.totp_secret or ""


def test_facilitator_signs_in_with_a_second_factor(app: Flask, visitor_factory: Any) -> None:
    secret = make_staff(app, "fac@example.org", Role.FACILITATOR)
    staff: Visitor = visitor_factory(viewport={"width": 1280, "height": 800}, locale="en-GB")
    page = staff.page
    staff.visit("/staff/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.get_by_label("Email").fill("fac@example.org")
    page.get_by_label("Passphrase").fill(PASSPHRASE)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Second step")
    staff.audit()
    page.get_by_label("6-digit code from your authenticator app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Home")
    expect(page.get_by_text("Urgent: a child may be unsafe")).to_have_count(0)
    staff.audit()
    staff.screenshot("staff-en-home")
    staff.visit("/staff/bulk")
    expect(page.get_by_role("heading", level=1)).to_have_text("Approve several ideas")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")


def test_staff_pages_in_french_and_spanish(app: Flask, visitor_factory: Any) -> None:
    secret = make_staff(app, "lead@example.org", Role.SAFEGUARDING_LEAD)
    for locale, continue_label, heading in (("fr-FR", "Continuer", "Accueil"),
                                            ("es-ES", "Continuar", "Inicio")):
        staff: Visitor = visitor_factory(viewport={"width": 1280, "height": 800}, locale=locale)
        page = staff.page
        staff.visit("/staff/login")
        page.locator("#email").fill("lead@example.org")
        page.locator("#passphrase").fill(PASSPHRASE)
        page.get_by_role("button", name=continue_label).click()
        totp = pyotp.TOTP(secret)
        # Each code works once: the second language waits for the next time step.
        code = totp.now() if locale == "fr-FR" else totp.at(int(__import__("time").time()) + 30)
        page.locator("#code").fill(code)
        page.locator("form button[type=submit]").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        staff.audit()


def test_admin_pages(app: Flask, visitor_factory: Any, demo_plan: object) -> None:
    secret = make_staff(app, "admin@example.org", Role.ADMIN)
    admin: Visitor = visitor_factory(viewport={"width": 1280, "height": 800}, locale="en-GB")
    page = admin.page
    admin.visit("/staff/login")
    page.get_by_label("Email").fill("admin@example.org")
    page.get_by_label("Passphrase").fill(PASSPHRASE)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("6-digit code from your authenticator app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Accounts").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff accounts")
    admin.audit()
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("cell", name="auth.login")).to_be_visible()
    admin.audit()
    admin.screenshot("staff-en-audit")
    page.get_by_role("link", name="Reading ease").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reading ease of the plan")
    admin.audit()
