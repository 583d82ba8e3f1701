"""A committee's submitted session in real browsers: the facilitator who sent it is never
offered it, another facilitator reviews it, a statement with a disclosure reaches only the lead's
urgent lane, a room concern reaches the lead with no name, and a child sees the approved
statement under the part, labelled as from a children's committee (fr and en, tablet and
phone). Every page is audited with axe; nothing waits on a clock."""

from __future__ import annotations

import re
from typing import Any

import pyotp
from flask import Flask
from playwright.sync_api import expect

from participation.accounts.models import Role
from participation.db import db, utcnow
from participation.moderation.models import Concern, ConcernEntry, EntryKind
from participation.plans.content import PlanContent
from tests.committees.builders import make_committee
from tests.committees.review_builders import Said, submitted_session
from tests.conftest import STAFF_PASSPHRASE, StaffAccount, make_staff
from tests.e2e.conftest import PHONE, TABLET, Visitor
from tests.jobs.builders import URGENT_WORDS

STATEMENT = "Des parcs plus près des écoles."
CAPTION = "Notre école idéale, avec un grand jardin."


def signed_in(visitor_factory: Any, account: StaffAccount) -> Visitor:
    """A staff member's tablet, signed in with the passphrase and the second factor."""
    staff: Visitor = visitor_factory(viewport=TABLET, locale="en-GB")
    page = staff.page
    staff.visit("/staff/login")
    page.get_by_label("Email").fill(account.email)
    page.get_by_label("Passphrase").fill(STAFF_PASSPHRASE)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("6-digit code from your authenticator app").fill(
        pyotp.TOTP(account.totp_secret or "").now())
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Home")
    staff.audit()
    return staff


def review_next(staff: Visitor, queue: str) -> None:
    page = staff.page
    staff.visit("/staff/queues")
    page.get_by_role("row", name=re.compile(f"^{queue} ")).get_by_role(
        "button", name="Review next").click()
    staff.wait_ready()


def fact(staff: Visitor, name: str) -> Any:
    page = staff.page
    return page.locator("dl.facts > div", has=page.locator("dt", has_text=name)).locator("dd")


def test_a_committee_session_reviewed_by_another_facilitator_reaches_children(
        app: Flask, visitor_factory: Any, demo_plan: PlanContent) -> None:
    runner = make_staff(app, "runner@example.org", Role.FACILITATOR)
    other = make_staff(app, "other@example.org", Role.FACILITATOR)
    lead = make_staff(app, "lead@example.org", Role.SAFEGUARDING_LEAD)
    committee = make_committee(app, facilitator_ids=(runner.id, other.id), lead_id=lead.id,
                               name="Comité national des enfants")
    sent = submitted_session(app, committee, runner.id, said=(Said(STATEMENT),),
                             captions=(("values", CAPTION),))
    submitted_session(app, committee, runner.id, locale="en", said=(Said(URGENT_WORDS),))
    with app.app_context():  # what the recorder's "a safeguarding concern arose" makes
        concern = Concern(committee_session_id=sent.session_id, case_reference="RDE-2026-0042",
                          opened_by_id=runner.id, opened_at=utcnow())
        db.session.add(concern)
        db.session.flush()
        db.session.add(ConcernEntry(concern_id=concern.id, author_id=runner.id,
                                    kind=EntryKind.NOTE, text="A child told me something "
                                    "after the vote; the partner's officer was called."))
        db.session.commit()
        concern_id = concern.id

    # The facilitator who sent it is never offered it.
    sender = signed_in(visitor_factory, runner)
    sender.visit("/staff/queues")
    ordinary = sender.page.get_by_role("row", name=re.compile("^Ordinary "))
    expect(ordinary.get_by_role("cell").first).to_have_text("0")
    expect(ordinary.get_by_role("button", name="Review next")).to_be_disabled()

    # Another facilitator reviews the statement, then the caption with its photo.
    reviewer = signed_in(visitor_factory, other)
    review_next(reviewer, "Ordinary")
    page = reviewer.page
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Ordinary: review a committee's input")
    expect(page.get_by_text("From a children's committee")).to_be_visible()
    expect(fact(reviewer, "Committee")).to_have_text("Comité national des enfants")
    expect(fact(reviewer, "Session held on")).to_have_text("November 20, 2026")
    expect(fact(reviewer, "Kind of statement")).to_have_text("Recommendation")
    expect(fact(reviewer, "Whose words")).to_have_text("The children's own words")
    expect(fact(reviewer, "How many held this view")).to_have_text("Most of the children")
    expect(page.locator(".child-text")).to_have_text(STATEMENT)
    reviewer.audit()
    reviewer.screenshot("committee-review-statement")
    page.get_by_role("group", name="Approve as written", exact=True).get_by_role(
        "button", name="Save and next").click()
    reviewer.wait_ready()
    expect(page.get_by_text("Decision saved. Here is the next item.")).to_be_visible()
    expect(page.locator(".child-text")).to_have_text(CAPTION)
    photo = page.locator("figure.committee-photo img")
    expect(photo).to_be_visible()
    assert page.evaluate("img => img.naturalWidth", photo.element_handle()) > 0
    reviewer.audit()
    reviewer.screenshot("committee-review-caption")
    page.get_by_role("group", name="Approve as written", exact=True).get_by_role(
        "button", name="Save", exact=True).click()
    reviewer.wait_ready()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review queues")
    reviewer.audit()

    # The statement with a disclosure waits in the lead's urgent lane only.
    done = page.get_by_role("row", name=re.compile("^Ordinary "))
    expect(done.get_by_role("button", name="Review next")).to_be_disabled()
    expect(page.get_by_role("row", name=re.compile("^Urgent "))).to_have_count(0)
    safeguarding = signed_in(visitor_factory, lead)
    review_next(safeguarding, "Urgent")
    lead_page = safeguarding.page
    expect(lead_page.get_by_role("heading", level=1)).to_have_text(
        "Urgent: review a committee's input")
    expect(lead_page.get_by_text("From a children's committee")).to_be_visible()
    expect(lead_page.get_by_role("group", name="Open a safeguarding concern")).to_be_visible()
    safeguarding.audit()
    safeguarding.screenshot("committee-review-urgent")

    # The room concern: raised in a session, no name, the case reference.
    safeguarding.visit("/staff/concerns")
    row = lead_page.get_by_role("row", name=re.compile(f"^Concern #{concern_id} "))
    expect(row).to_contain_text("Raised in a committee session")
    safeguarding.follow(row.get_by_role("link"))
    expect(lead_page.get_by_role("heading", level=2, name="Raised in a committee session")
           ).to_be_visible()
    expect(fact(safeguarding, "Case reference")).to_have_text("RDE-2026-0042")
    expect(fact(safeguarding, "Committee")).to_have_text("Comité national des enfants")
    safeguarding.audit()
    safeguarding.screenshot("committee-room-concern")

    # A child on a tablet, then on a phone, in French and in English.
    child: Visitor = visitor_factory(viewport=TABLET)
    child.visit("/fr/plan/values")
    # The heading is English until the translator's pass (translations/ is theirs).
    region = child.page.get_by_role("region", name=re.compile(
        "From children's committees|comités d'enfants"))
    expect(region).to_contain_text(STATEMENT)
    expect(region).to_contain_text("Comité national des enfants")
    region.locator("figure").scroll_into_view_if_needed()  # the picture loads when near
    expect(region.locator("figure img")).to_be_visible()
    expect(region).to_contain_text(CAPTION)
    ideas = child.page.locator('section[aria-labelledby="ideas-title"]')
    expect(ideas).not_to_contain_text(STATEMENT)  # children's ideas stay apart
    assert child.page.evaluate("""() => {
        const ideas = document.getElementById("ideas-title");
        const groups = document.getElementById("committee-work-title");
        return !!(ideas.compareDocumentPosition(groups) & Node.DOCUMENT_POSITION_FOLLOWING);
    }""")
    child.screenshot("committee-child-fr-tablet")
    phone: Visitor = visitor_factory(viewport=PHONE)
    phone.visit("/en/plan/values")
    region = phone.page.get_by_role("region", name="From children's committees")
    expect(region).to_be_visible()
    expect(region).to_contain_text("Nothing from a committee in this language yet.")
    region.locator("summary").click()
    expect(region.locator("details li")).to_contain_text(STATEMENT)
    expect(region.locator("details li")).to_contain_text(
        "From: Comité national des enfants")
    phone.audit()
    region.scroll_into_view_if_needed()
    phone.screenshot("committee-child-en-phone", full_page=False)
    phone.screenshot("committee-child-en-phone-full")
