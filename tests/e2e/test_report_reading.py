"""An organiser on a tablet reads the children's approved ideas and a committee's statement,
filters them by language, marks one as considered, then opens the summary with its charts and
prints it to PDF (no staff menu, no forms). axe on every page; screenshots and the PDF's pages
are kept for a person to look at."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from participation.accounts.models import Role
from participation.db import db
from participation.feedback.models import (
    AgeBand,
    Reaction,
    ReactionKind,
    Submission,
    SubmissionSource,
    SubmissionStatus,
)
from participation.plans.models import Plan, Section
from tests.committees.builders import make_committee
from tests.committees.review_builders import Said, submitted_session
from tests.conftest import STAFF_PASSPHRASE, make_staff
from tests.e2e.conftest import TABLET, Visitor, print_to_pdf


@pytest.fixture
def organiser(browser: Any, live_server: str, axe_source: str) -> Iterator[Visitor]:
    context = browser.new_context(viewport=TABLET, reduced_motion="reduce",
                                  locale="en-GB", extra_http_headers={"Accept-Language": "en"})
    context.set_default_timeout(15_000)
    visitor = Visitor(context.new_page(), live_server, axe_source)
    yield visitor
    visitor.check_clean()
    context.close()


def seed(app: Flask) -> int:
    """Twelve French children aged 8-10 and two English ones wrote about "values"; fifty
    children reacted; a committee's statement was approved. Returns the plan's id."""
    with app.app_context():
        plan_id = db.session.scalars(select(Plan.id).order_by(Plan.id.desc())).one()
        parts = {s.slug: s.id for s in db.session.scalars(
            select(Section).where(Section.plan_id == plan_id))}
        ideas = [("fr", AgeBand.AGE_8_10, f"Des parcs près de l'école, numéro {n}")
                 for n in range(12)] + [("en", AgeBand.AGE_14_17, "Buses after dark"),
                                        ("en", None, "Ask us again next year")]
        for locale, band, text in ideas:
            db.session.add(Submission(
                public_id=uuid.uuid4().hex, plan_id=plan_id, section_id=parts["values"],
                source=SubmissionSource.CHILD, locale=locale, age_band=band, body=text,
                published_body=text, status=SubmissionStatus.APPROVED,
                child_token_hash=uuid.uuid4().hex))
        kinds = [ReactionKind.AGREE] * 30 + [ReactionKind.UNSURE] * 10 + \
            [ReactionKind.CONFUSED] * 10
        for index, kind in enumerate(kinds):
            db.session.add(Reaction(section_id=parts["values"], child_token_hash=uuid.uuid4().hex,
                                    kind=kind, locale="fr" if index % 2 else "en",
                                    age_band=AgeBand.AGE_11_13))
        db.session.add(Reaction(section_id=parts["vision"], child_token_hash=uuid.uuid4().hex,
                                kind=ReactionKind.DISAGREE, locale="es"))
        db.session.commit()
    return plan_id


def sign_in(visitor: Visitor, email: str, secret: str | None) -> None:
    page = visitor.page
    visitor.visit("/staff/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Passphrase").fill(STAFF_PASSPHRASE)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("6-digit code from your authenticator app").fill(
        pyotp.TOTP(secret or "").now())
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Home")


def test_an_organiser_reads_marks_and_prints(app: Flask, demo_plan: object,
                                             organiser: Visitor) -> None:
    plan_id = seed(app)
    facilitator = make_staff(app, "fac@example.org", Role.FACILITATOR)
    committee = make_committee(app, facilitator_ids=(facilitator.id,), name="Comité Nord")
    submitted_session(app, committee, facilitator.id,
                      said=(Said("Plus de bancs dans les parcs", part="values"),))
    with app.app_context():
        for item in db.session.scalars(select(Submission).where(
                Submission.source == SubmissionSource.COMMITTEE)):
            item.status, item.published_body = SubmissionStatus.APPROVED, item.body
        db.session.commit()
    account = make_staff(app, "org@example.org", Role.ORGANISER)
    page = organiser.page
    sign_in(organiser, account.email, account.totp_secret)

    organiser.visit("/staff/reports/ideas")
    values = page.get_by_role("region", name="3. What we believe in")
    committees = values.get_by_role("listitem").filter(has_text="Plus de bancs dans les parcs")
    expect(committees.get_by_text("Recommendation from Comité Nord")).to_be_visible()
    # The French 8-10 cell holds 12 children: labelled. The two English ideas are not.
    french = values.get_by_role("listitem").filter(has_text="numéro 11")
    expect(french.get_by_text("Français · aged 8 to 10", exact=False)).to_be_visible()
    buses = values.get_by_role("listitem").filter(has_text="Buses after dark")
    expect(buses.get_by_text("English")).to_have_count(0)
    organiser.screenshot("report-reading-tablet")

    page.get_by_label("Language").select_option(label="English")
    organiser.follow(page.get_by_role("button", name="Show"))
    organiser.audit()
    expect(page.get_by_text("Fewer than 10 children of this group wrote about this part")
           .first).to_be_visible()
    expect(page.get_by_text("Buses after dark")).to_have_count(0)
    organiser.screenshot("report-reading-filtered")

    page.get_by_label("Language").select_option(label="Français")
    page.get_by_label("Part of the plan").select_option(label="3. What we believe in")
    organiser.follow(page.get_by_role("button", name="Show"))
    organiser.audit()
    first = page.get_by_role("listitem").filter(has_text="numéro 11")
    organiser.follow(first.get_by_role("button", name="Mark as considered"))
    organiser.audit()
    expect(page.get_by_role("status")).to_have_text("Marked as considered.")
    first = page.get_by_role("listitem").filter(has_text="numéro 11")
    expect(first.get_by_text("Considered", exact=True)).to_be_visible()
    expect(page.get_by_label("Language")).to_have_value("fr")  # back to the same list
    organiser.screenshot("report-reading-considered")

    organiser.visit(f"/staff/reports?plan={plan_id}")
    charts = page.locator("figure.chart-slot img")
    expect(charts.first).to_be_visible()
    for index in range(charts.count()):
        charts.nth(index).scroll_into_view_if_needed()
        expect(charts.nth(index)).to_have_js_property("complete", True)
        assert charts.nth(index).evaluate("img => img.naturalWidth") > 0
    organiser.screenshot("report-summary-tablet")

    _pdf, pages = print_to_pdf(page, "report-summary", (".staff-header", ".staff-main form"))
    assert pages
