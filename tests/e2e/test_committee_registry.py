"""Committees in a real browser on a tablet: an organiser creates one with a facilitator and a
lead, and that facilitator sees only it. Every page is audited with axe."""

from __future__ import annotations

from typing import Any

import pyotp
from flask import Flask
from playwright.sync_api import expect

from participation.accounts.models import Role
from participation.plans.content import PlanContent
from tests.committees.builders import make_committee
from tests.conftest import STAFF_PASSPHRASE, make_staff
from tests.e2e.conftest import TABLET, Visitor


def sign_in(staff: Visitor, email: str, secret: str) -> None:
    page = staff.page
    staff.visit("/staff/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Passphrase").fill(STAFF_PASSPHRASE)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("6-digit code from your authenticator app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Home")


def test_an_organiser_creates_a_committee_its_facilitator_sees(
        app: Flask, visitor_factory: Any, demo_plan: PlanContent) -> None:
    organiser_account = make_staff(app, "org@example.org", Role.ORGANISER)
    fac = make_staff(app, "fac@example.org", Role.FACILITATOR)
    make_staff(app, "fac2@example.org", Role.FACILITATOR)
    make_staff(app, "lead@example.org", Role.SAFEGUARDING_LEAD)
    make_committee(app, name="Someone else's committee",
                   facilitator_ids=(make_staff(app, "fac3@example.org", Role.FACILITATOR).id,))

    organiser: Visitor = visitor_factory(viewport=TABLET, locale="en-GB")
    page = organiser.page
    sign_in(organiser, organiser_account.email, organiser_account.totp_secret or "")
    organiser.visit("/staff/committees")
    expect(page.get_by_role("heading", level=1)).to_have_text("Children's committees")
    organiser.follow(page.get_by_role("link", name="New committee"))
    expect(page.get_by_role("heading", level=1)).to_have_text("New committee")
    organiser.audit()
    page.get_by_label("Name", exact=True).fill("Comité des enfants du Sahel")
    page.get_by_label("Region").fill("West Africa")
    page.get_by_label("Kind of committee").select_option("national")
    page.get_by_role("checkbox", name="English").check()
    page.get_by_label("Supporting organisation").fill("Réseau Jeunesse")
    page.get_by_label("Mandate starts on").fill("2026-01-01")
    page.get_by_role("checkbox", name="fac@example.org", exact=True).check()
    page.get_by_label("Safeguarding lead").select_option(label="lead@example.org")
    organiser.screenshot("tablet-en-committee-new")
    organiser.follow(page.get_by_role("button", name="Create the committee"))

    expect(page.get_by_role("heading", level=1)).to_have_text("Comité des enfants du Sahel")
    expect(page.get_by_role("status")).to_have_text("The committee is created.")
    expect(page.get_by_role("checkbox", name="fac@example.org", exact=True)).to_be_checked()
    expect(page.get_by_label("Safeguarding lead").locator("option:checked")).to_have_text(
        "lead@example.org")
    organiser.audit()
    organiser.screenshot("tablet-en-committee")
    organiser.visit("/staff/committees/overview")
    expect(page.get_by_role("heading", level=1)).to_have_text("What the committees said")
    organiser.screenshot("tablet-en-committees-overview")

    facilitator: Visitor = visitor_factory(viewport=TABLET, locale="en-GB")
    sign_in(facilitator, fac.email, fac.totp_secret or "")
    facilitator.visit("/staff/committees")
    rows = facilitator.page.get_by_role("table").get_by_role("row")
    expect(rows).to_have_count(2)  # the header and its one committee
    expect(facilitator.page.get_by_role("link", name="Comité des enfants du Sahel")).to_be_visible()
    expect(facilitator.page.get_by_text("Someone else's committee")).to_have_count(0)
    facilitator.screenshot("tablet-en-committees-facilitator")
    facilitator.follow(facilitator.page.get_by_role("link", name="Comité des enfants du Sahel"))
    expect(facilitator.page.get_by_role("heading", level=1)).to_have_text(
        "Comité des enfants du Sahel")
    expect(facilitator.page.get_by_role("button", name="Save the facilitators")).to_have_count(0)
    facilitator.audit()
    facilitator.screenshot("tablet-en-committee-facilitator")
