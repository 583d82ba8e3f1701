"""A classroom session in real browsers: a facilitator starts it and shows the code, a child's
tablet joins with it, and the facilitator's page counts the tablet on its next poll."""

from __future__ import annotations

import re
from typing import Any

import pyotp
from flask import Flask
from playwright.sync_api import expect

from participation.accounts.models import Role
from participation.accounts.services import create_user
from participation.db import db
from participation.plans.content import PlanContent
from tests.e2e.conftest import PHONE, TABLET, Visitor

PASSPHRASE = "a long and calm passphrase"
LAPTOP = {"width": 1280, "height": 800}
POLL_MS = 10_000  # the page polls every 10 s (on Playwright's fake clock here)


def sign_in(app: Flask, staff: Visitor, email: str) -> None:
    with app.app_context():
        user = create_user(email, PASSPHRASE, [Role.FACILITATOR], actor_id=None, with_totp=True)
        db.session.commit()
        secret = user.totp_secret or ""
    page = staff.page
    staff.visit("/staff/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Passphrase").fill(PASSPHRASE)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("6-digit code from your authenticator app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Home")


def test_a_tablet_joins_and_the_facilitator_sees_it(
    app: Flask, visitor_factory: Any, demo_plan: PlanContent
) -> None:
    fac: Visitor = visitor_factory(viewport=LAPTOP, locale="en-GB")
    staff_page = fac.page
    staff_page.clock.install()
    sign_in(app, fac, "fac@example.org")
    staff_page.get_by_role("link", name="Classroom sessions").click()
    expect(staff_page.get_by_role("heading", level=1)).to_have_text("Classroom sessions")
    fac.audit()
    staff_page.get_by_label("Name of the group").fill("Year 6, Tuesday")
    staff_page.get_by_label("How many children?").fill("28")
    staff_page.get_by_label("How long?").select_option("45")
    staff_page.get_by_label("Language of the plan").select_option("en")
    fac.screenshot("staff-en-classrooms")
    staff_page.get_by_role("button", name="Start the session").click()

    expect(staff_page.get_by_role("heading", level=1)).to_have_text("Year 6, Tuesday")
    code = staff_page.locator(".classroom-code").inner_text()
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}", code)
    expect(staff_page.get_by_role("img", name=re.compile(r"^QR code that opens .*\/en\/join\/"
                                                          + code + "$"))).to_be_visible()
    joined = staff_page.locator('[data-count="joined"]')
    expect(joined).to_have_text("0")
    fac.audit()
    fac.screenshot("staff-en-classroom")

    child: Visitor = visitor_factory(viewport=TABLET)
    child.visit("/en/join")
    child.page.get_by_label("Your class code").fill(code.lower().replace("-", " "))
    child.screenshot("tablet-en-join")
    child.page.get_by_role("button", name="Join").click()
    expect(child.page.get_by_role("heading", level=1)).to_have_text("You joined!")
    child.audit()
    child.screenshot("tablet-en-joined")
    child.page.get_by_role("link", name="Read the plan").click()
    expect(child.page.get_by_role("heading", level=2, name="The parts of the plan")).to_be_visible()

    # The facilitator's page updates itself, and tells screen readers (politely).
    staff_page.clock.run_for(POLL_MS)
    expect(joined).to_have_text("1")
    expect(staff_page.locator("[data-counts-announcer]")).to_have_text(
        "1 tablet joined. 0 reactions. 0 ideas sent.")
    fac.audit()

    # The same pages at tablet and phone sizes.
    staff_page.set_viewport_size(TABLET)
    fac.screenshot("tablet-en-staff-classroom")
    staff_page.set_viewport_size(PHONE)
    fac.screenshot("phone-en-staff-classroom")
    staff_page.set_viewport_size(LAPTOP)
    staff_page.get_by_role("link", name="Show on the board or print").click()
    expect(staff_page.get_by_role("heading", level=1)).to_have_text("Join your class")
    fac.audit()
    fac.screenshot("staff-en-classroom-board")
    staff_page.emulate_media(media="print")  # printed for the board: the code and QR alone
    expect(staff_page.get_by_role("link", name="Back to the session")).to_be_hidden()
    expect(staff_page.get_by_role("button", name="Sign out")).to_be_hidden()
    expect(staff_page.get_by_text(code)).to_be_visible()
    fac.screenshot("staff-en-classroom-board-print")
    staff_page.emulate_media(media="screen")
    staff_page.go_back()

    # What the QR code opens on a phone: the code is filled in, one tap on Join.
    phone: Visitor = visitor_factory(viewport=PHONE)
    phone.visit(f"/en/join/{code}")
    expect(phone.page.get_by_label("Your class code")).to_have_value(code)
    phone.screenshot("phone-en-join")
    phone.page.get_by_label("Your class code").fill("ZZZZ-ZZZZ")
    phone.page.get_by_role("button", name="Join").click()
    expect(phone.page.get_by_role("alert")).to_have_text(
        "That code is not right. Look at the board and try again.")
    phone.audit()
    phone.screenshot("phone-en-join-wrong")

    # Ending the session (after a confirmation) closes it to new tablets.
    staff_page.once("dialog", lambda dialog: dialog.accept())
    staff_page.get_by_role("button", name="End this session now").click()
    expect(staff_page.get_by_role("status")).to_have_text(
        "The session is ended. No more tablets can join.")
    fac.audit()
    phone.page.get_by_label("Your class code").fill(code)
    phone.page.get_by_role("button", name="Join").click()
    expect(phone.page.get_by_role("alert")).to_contain_text("This class session is over.")
