"""An organiser reads the summary of children's views on a laptop (1280x800) and on a tablet
(768x1024): per part by language, then by age band, small groups in words, a closed period
frozen. axe on every page; screenshots are kept for a person to look at."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pyotp
import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from participation.accounts.models import Role
from participation.db import db
from participation.feedback.models import AgeBand, Reaction, ReactionKind
from participation.plans.content import PlanContent
from participation.plans.models import Plan, Section
from tests.conftest import STAFF_PASSPHRASE, make_staff
from tests.e2e.conftest import TABLET, Visitor

LAPTOP = {"width": 1280, "height": 800}
WHEN = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def visitor(browser: Any, live_server: str, axe_source: str, viewport: dict[str, int]) -> Any:
    context = browser.new_context(viewport=viewport, reduced_motion="reduce", locale="en-GB",
                                  extra_http_headers={"Accept-Language": "en"})
    context.set_default_timeout(15_000)
    return context, Visitor(context.new_page(), live_server, axe_source)


def seed(app: Flask) -> None:
    """Part 1: 40 children (28 French aged 11-13, 12 English), 10 of them did not
    understand; part 2: 4 Spanish children (a small group)."""
    with app.app_context():
        plan_id = db.session.scalars(select(Plan.id)).one()
        parts = list(db.session.scalars(select(Section.id).where(
            Section.plan_id == plan_id).order_by(Section.position)))
        kinds = [ReactionKind.AGREE] * 20 + [ReactionKind.UNSURE] * 10 + \
            [ReactionKind.CONFUSED] * 10
        for index, kind in enumerate(kinds):
            french = index % 10 < 7
            db.session.add(Reaction(
                section_id=parts[0], child_token_hash=uuid.uuid4().hex, kind=kind,
                locale="fr" if french else "en",
                age_band=AgeBand.AGE_11_13 if french else None, created_at=WHEN))
        for _ in range(4):
            db.session.add(Reaction(section_id=parts[1], child_token_hash=uuid.uuid4().hex,
                                    kind=ReactionKind.DISAGREE, locale="es", created_at=WHEN))
        db.session.commit()


def sign_in(staff: Visitor, email: str, secret: str) -> None:
    page = staff.page
    staff.visit("/staff/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Passphrase").fill(STAFF_PASSPHRASE)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("6-digit code from your authenticator app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Home")


@pytest.mark.parametrize(("viewport", "name"), [(LAPTOP, "laptop"), (TABLET, "tablet")])
def test_an_organiser_reads_the_summary(app: Flask, demo_plan: PlanContent, browser: Any,
                                        live_server: str, axe_source: str,
                                        viewport: dict[str, int], name: str) -> None:
    seed(app)
    account = make_staff(app, f"org-{name}@example.org", Role.ORGANISER)
    context, organiser = visitor(browser, live_server, axe_source, viewport)
    try:
        page = organiser.page
        sign_in(organiser, account.email, account.totp_secret or "")
        organiser.visit("/staff/reports")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Summary of children\u2019s views")
        part_one = page.get_by_role("region", name="Part 1:", exact=False).first
        table = part_one.get_by_role("table", name="Reactions to", exact=False)
        expect(table).to_be_visible()
        expect(table.get_by_role("row", name="All children")).to_contain_text("40")
        expect(table.get_by_role("row", name="Français")).to_contain_text("30")
        expect(part_one.get_by_text("Hard to understand")).to_be_visible()
        part_two = page.get_by_role("region", name="Part 2:", exact=False).first
        reactions_two = part_two.get_by_role("table", name="Reactions to", exact=False)
        expect(reactions_two.get_by_role("row", name="Español")).to_contain_text("fewer than 10")
        organiser.screenshot(f"{name}-en-report-summary")

        page.get_by_role("radio", name="Age band").check()
        organiser.follow(page.get_by_role("button", name="Show"))
        part_one = page.get_by_role("region", name="Part 1:", exact=False).first
        table = part_one.get_by_role("table", name="Reactions to", exact=False)
        expect(table.get_by_role("row", name="11-13 years")).to_contain_text("30")
        expect(table.get_by_role("row", name="Age not given")).to_contain_text("10")
        expect(table.get_by_role("row", name="8-10 years")).to_contain_text("0")
        organiser.audit()
        organiser.screenshot(f"{name}-en-report-summary-age")

        organiser.follow(page.get_by_role("link", name="Consultation periods"))
        page.get_by_label("Name of the period").fill("March")
        page.get_by_label("First day").fill("2026-03-01")
        page.get_by_label("Last day").fill("2026-03-31")
        organiser.follow(page.get_by_role("button", name="Open the period"))
        expect(page.get_by_role("status")).to_contain_text("opened")
        organiser.audit()
        organiser.follow(page.get_by_role("button", name="Close and freeze \u201cMarch\u201d"))
        expect(page.get_by_role("status")).to_contain_text("frozen")
        organiser.audit()
        organiser.screenshot(f"{name}-en-report-periods")
        organiser.follow(page.get_by_role("link", name="March"))
        expect(page.get_by_text("these figures were frozen", exact=False)).to_be_visible()
        organiser.audit()
    finally:
        organiser.check_clean()
        context.close()
