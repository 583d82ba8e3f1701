"""The review loop in real browsers: a child writes, a facilitator reviews with a second factor,
the child sees the shared idea; the urgent idea only reaches the safeguarding lead."""

from __future__ import annotations

from typing import Any

import pyotp
from flask import Flask
from playwright.sync_api import expect

from participation.accounts.models import Role
from participation.accounts.services import create_user
from participation.db import db
from participation.plans.content import PlanContent
from tests.e2e.conftest import Visitor

PASSPHRASE = "a long and calm passphrase"
LAPTOP = {"width": 1280, "height": 800}


def make_staff(app: Flask, email: str, role: Role) -> str:
    with app.app_context():
        user = create_user(email, PASSPHRASE, [role], actor_id=None, with_totp=True)
        db.session.commit()
        return user.totp_secret or ""


def sign_in(staff: Visitor, email: str, secret: str) -> None:
    page = staff.page
    staff.visit("/staff/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Passphrase").fill(PASSPHRASE)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("6-digit code from your authenticator app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Home")


def test_review_loop(app: Flask, child: Visitor, visitor_factory: Any, demo_plan: PlanContent) -> None:
    page = child.page
    child.visit("/en/plan/priority-1")
    page.get_by_label("What would you change or add to this part?").fill(
        "My name is Sam and children should vote on school rules.")
    page.get_by_role("button", name="Send my idea").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Your idea is sent")
    child.visit("/en/plan/values")
    page.get_by_label("What would you change or add to this part?").fill(
        "my dad hits me when he drinks and im scared to go home")
    page.get_by_role("button", name="Send my idea").click()
    expect(page.get_by_role("region", name="Thank you for telling us")).to_be_visible()

    fac: Visitor = visitor_factory(viewport=LAPTOP, locale="en-GB")
    sign_in(fac, "fac@example.org", make_staff(app, "fac@example.org", Role.FACILITATOR))
    fac.page.get_by_role("link", name="Review queues").click()
    expect(fac.page.get_by_role("row", name="Urgent")).to_have_count(0)
    fac.audit()
    fac.page.get_by_role("row", name="Personal details").get_by_role("button", name="Review next").click()
    expect(fac.page.locator("mark.flag-personal_info")).to_have_text("Sam")
    fac.audit()
    fac.screenshot("staff-en-item")
    fac.page.keyboard.press("e")  # keyboard shortcut: focus the edit box
    edited = fac.page.get_by_label("Edited version to share")
    expect(edited).to_be_focused()
    edited.fill("Children should vote on school rules.")
    fac.page.get_by_role("group", name="Approve the edited version").get_by_role(
        "button", name="Save", exact=True).click()
    expect(fac.page.get_by_role("status")).to_have_text("Decision saved.")
    fac.audit()

    child.visit("/en/plan/priority-1")
    expect(page.get_by_text("Children should vote on school rules.")).to_be_visible()
    expect(page.get_by_text("Sam")).to_have_count(0)
    child.visit("/en/my-ideas")
    expect(page.get_by_text("Shared with other children.")).to_be_visible()

    lead: Visitor = visitor_factory(viewport=LAPTOP, locale="en-GB")
    sign_in(lead, "lead@example.org", make_staff(app, "lead@example.org", Role.SAFEGUARDING_LEAD))
    lead.page.get_by_role("link", name="Review queues").click()
    lead.page.get_by_role("row", name="Urgent").get_by_role("button", name="Review next").click()
    expect(lead.page.get_by_role("heading", level=1)).to_have_text("Urgent: review an idea")
    expect(lead.page.locator("mark.flag").first).to_be_visible()
    expect(lead.page.get_by_role("group", name="Approve as written")).to_have_count(0)
    lead.audit()
    lead.screenshot("staff-en-urgent-item")

    # The lead opens a concern, records an action and closes it; each page passes axe.
    lead.page.get_by_label("What you see and first decision").fill("Disclosure of violence at home.")
    lead.page.get_by_role("group", name="Open a safeguarding concern").get_by_role(
        "button", name="Save", exact=True).click()
    expect(lead.page.get_by_text("my dad hits me when he drinks")).to_be_visible()
    lead.audit()
    lead.page.get_by_label("Add", exact=True).select_option("action")
    lead.page.get_by_label("Text").fill("Called the school's safeguarding lead.")
    lead.page.get_by_role("button", name="Add to the record").click()
    expect(lead.page.get_by_role("status")).to_have_text("Added to the record.")
    lead.page.get_by_label("Outcome").fill("Referred; the child is safe.")
    lead.page.get_by_role("button", name="Close with this outcome").click()
    expect(lead.page.get_by_role("heading", level=1)).to_contain_text("Closed")
    lead.audit()
    lead.screenshot("staff-en-concern")
    lead.page.get_by_role("link", name="All concerns").click()
    lead.audit()
