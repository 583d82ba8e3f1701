"""Reviewers in real browsers, in a straight line: "Save and next" through a queue, a facilitator's
"not sure" reaching the lead's escalated lane and coming back, a lead's concern resolving the
item (linked both ways), and a facilitator refused a lead's page with a way back. Every page
is audited with axe; nothing waits on a clock."""

from __future__ import annotations

import re
from typing import Any

import pyotp
from flask import Flask
from playwright.sync_api import expect

from participation.accounts.models import Role
from participation.plans.content import PlanContent
from tests.conftest import STAFF_PASSPHRASE, make_staff
from tests.e2e.conftest import Visitor

LAPTOP = {"width": 1280, "height": 800}


def send_idea(child: Visitor, slug: str, words: str) -> None:
    page = child.page
    child.visit(f"/en/plan/{slug}")
    page.get_by_label("What would you change or add to this part?").fill(words)
    page.get_by_role("button", name="Send my idea").click()
    expect(page).to_have_url(re.compile(r"/sent"))


def signed_in(app: Flask, visitor_factory: Any, email: str, *roles: Role) -> Visitor:
    """A staff member's browser, signed in with the passphrase and the second factor."""
    account = make_staff(app, email, *roles)
    staff: Visitor = visitor_factory(viewport=LAPTOP, locale="en-GB")
    page = staff.page
    staff.visit("/staff/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Passphrase").fill(STAFF_PASSPHRASE)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("6-digit code from your authenticator app").fill(
        pyotp.TOTP(account.totp_secret or "").now())
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Home")
    staff.audit()
    return staff


def open_queue(staff: Visitor, queue: str) -> None:
    """From the queues page, "Review next" on one queue; waits for the item page."""
    page = staff.page
    page.get_by_role("link", name="Review queues", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review queues")
    staff.audit()
    page.get_by_role("row", name=re.compile(f"^{queue} ")).get_by_role(
        "button", name="Review next").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{queue}: review an idea")
    staff.audit()


def decision(staff: Visitor, name: str) -> Any:
    """The fieldset of one decision (its legend names it)."""
    return staff.page.get_by_role("group", name=name, exact=True)


def fact(staff: Visitor, name: str) -> Any:
    """The value next to a term in the item's facts ("Language" -> "English")."""
    page = staff.page
    return page.locator("dl.facts > div", has=page.locator("dt", has_text=name)).locator("dd")


def idea_text(staff: Visitor) -> Any:
    return staff.page.get_by_role("region", name="What the child wrote").locator(".child-text")


def test_save_and_next_moves_through_three_ordinary_items(
    app: Flask, child: Visitor, visitor_factory: Any, demo_plan: PlanContent
) -> None:
    send_idea(child, "values", "My name is Sam Taylor and I want a school garden.")
    words = ["More parks near the school please.", "Less homework on Fridays.",
             "A bigger library for everyone."]
    for text in words:
        send_idea(child, "vision", text)
    fac = signed_in(app, visitor_factory, "fac@example.org", Role.FACILITATOR)
    page = fac.page

    # A flagged item first: the edited version is the first decision, "as written" the last.
    open_queue(fac, "Personal details")
    legends = page.locator("legend").all_inner_texts()
    assert legends[0] == "Approve the edited version" and legends[-1] == "Approve as written"
    expect(page.get_by_label("Reason shown to the child")).to_have_value("personal_details")
    fac.screenshot("staff-en-item-flagged")
    page.get_by_role("link", name="Back to the queues").click()

    open_queue(fac, "Ordinary")
    expect(idea_text(fac)).to_have_text(words[0])
    # Which part it is about, the language, and when, on the organisation's clocks.
    expect(fact(fac, "Part of the plan")).to_have_text("Our dream")
    expect(fact(fac, "Language")).to_have_text("English")
    expect(fact(fac, "Sent")).to_have_text(re.compile(r"\d+ \w+ \d{4}, \d\d:\d\d UTC · just now"))
    expect(page.get_by_role("link", name="Open the child's page of this part")).to_have_attribute(
        "href", "/en/plan/vision")
    fac.screenshot("staff-en-item-ordinary")
    # The first by keyboard ("A": approve as written, then the next item) ...
    page.keyboard.press("a")
    expect(idea_text(fac)).to_have_text(words[1])
    expect(page.get_by_role("status")).to_have_text("Decision saved. Here is the next item.")
    fac.audit()
    # ... the second by the button, the third with a reason.
    decision(fac, "Approve as written").get_by_role("button", name="Save and next").click()
    expect(idea_text(fac)).to_have_text(words[2])
    fac.audit()
    decision(fac, "Do not share").get_by_label("Reason shown to the child").select_option(
        "repeated")
    decision(fac, "Do not share").get_by_role("button", name="Save and next").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review queues")
    expect(page.get_by_text("Nothing else is waiting in that queue.")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("^Ordinary ")).get_by_role("cell").first
           ).to_have_text("0")
    fac.audit()


def test_an_escalation_reaches_the_lead_after_the_urgent_items_and_comes_back(
    app: Flask, child: Visitor, visitor_factory: Any, demo_plan: PlanContent
) -> None:
    send_idea(child, "vision", "my uncle is strange")
    # Words the learned model finds worth a lead's look: the "check soon" lane.
    send_idea(child, "values", "people at home shout a lot")
    send_idea(child, "values", "my dad hits me when he drinks and im scared to go home")
    fac = signed_in(app, visitor_factory, "fac@example.org", Role.FACILITATOR)
    open_queue(fac, "Ordinary")
    escalate = decision(fac, "Not sure: escalate to the safeguarding lead")
    escalate.get_by_label("Note for the safeguarding lead").fill("Sounds frightened?")
    escalate.get_by_role("button", name="Save and next").click()
    expect(fac.page.get_by_text("Nothing else is waiting in that queue.")).to_be_visible()
    fac.audit()

    lead = signed_in(app, visitor_factory, "lead@example.org", Role.SAFEGUARDING_LEAD)
    page = lead.page
    # The escalated lane is on the home page with its target, and on the queues page right
    # after the urgent lane.
    escalated_row = page.get_by_role("row", name=re.compile("^Escalated "))
    expect(escalated_row).to_contain_text("4 hours")
    page.get_by_role("link", name="Review queues", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review queues")
    names = [re.split(r"\s", text, maxsplit=1)[0] for text in
             page.locator("tbody tr th").all_inner_texts()]
    assert names == ["Urgent", "Escalated", "Check", "Personal", "Ordinary"]
    lead.audit()
    lead.screenshot("staff-en-queues")
    open_queue(lead, "Urgent")
    decision(lead, "Keep from sharing, no concern needed").get_by_role(
        "button", name="Save and next").click()
    expect(page.get_by_text("Nothing else is waiting in that queue.")).to_be_visible()
    open_queue(lead, "Escalated")
    expect(page.get_by_text("Sounds frightened?")).to_be_visible()
    expect(decision(lead, "Approve as written")).to_have_count(0)
    lead.screenshot("staff-en-item-escalated")
    send_back = decision(lead, "Not a concern: send back to the ordinary review")
    send_back.get_by_label("Why this is not a concern").fill("Ordinary family noise.")
    send_back.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Decision saved.")
    lead.audit()

    # The model's "check soon": the lead reads its score, finds nothing and sends it back.
    open_queue(lead, "Check soon")
    expect(page.get_by_text(re.compile(r"Learned model: 0\.\d\d out of 1 \(check soon\)"))
           ).to_be_visible()
    lead.screenshot("staff-en-item-check-soon")
    send_back = decision(lead, "Not a concern: send back to the ordinary review")
    send_back.get_by_label("Why this is not a concern").fill("Noise at home, no sign of harm.")
    send_back.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Decision saved.")
    lead.audit()

    open_queue(fac, "Ordinary")
    expect(idea_text(fac)).to_have_text("my uncle is strange")
    decision(fac, "Approve as written").get_by_role("button", name="Save and next").click()
    expect(idea_text(fac)).to_have_text("people at home shout a lot")
    decision(fac, "Approve as written").get_by_role("button", name="Save", exact=True).click()
    expect(fac.page.get_by_role("status")).to_have_text("Decision saved.")
    child.visit("/en/plan/vision")
    expect(child.page.get_by_text("my uncle is strange")).to_be_visible()
    child.visit("/en/plan/values")
    expect(child.page.get_by_text("people at home shout a lot")).to_be_visible()


def test_a_leads_concern_resolves_the_item_and_links_both_ways(
    app: Flask, child: Visitor, visitor_factory: Any, demo_plan: PlanContent
) -> None:
    send_idea(child, "values", "my dad hits me when he drinks and im scared to go home")
    lead = signed_in(app, visitor_factory, "lead@example.org", Role.SAFEGUARDING_LEAD)
    page = lead.page
    open_queue(lead, "Urgent")
    expect(page.get_by_text("Keys (outside a text box):")).to_contain_text("concern note")
    lead.screenshot("staff-en-item-lead-lane")
    concern = decision(lead, "Open a safeguarding concern")
    concern.get_by_label("What you see and first decision").fill("Disclosure at home.")
    concern.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"Concern #\d+ · Open"))
    lead.audit()
    title = page.get_by_role("heading", level=1).inner_text().split(" · ")[0]
    page.get_by_role("link", name="The idea's review page").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Urgent: review an idea")
    expect(page.get_by_text("Kept from sharing by a safeguarding lead")).to_be_visible()
    lead.audit()
    page.get_by_role("link", name=f"Safeguarding {title.lower()}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    # The item left the urgent queue.
    page.get_by_role("link", name="Review queues", exact=True).click()
    expect(page.get_by_role("row", name=re.compile("^Urgent ")).get_by_role("cell").first
           ).to_have_text("0")
    page.get_by_role("link", name="Concerns", exact=True).click()
    expect(page.get_by_role("row", name=re.compile(title))).to_contain_text(
        "May be hurt or abused")
    expect(page.locator('[aria-current="page"]')).to_have_count(1)
    lead.audit()
    lead.screenshot("staff-en-concerns")

    admin = signed_in(app, visitor_factory, "admin@example.org", Role.ADMIN)
    admin.page.get_by_role("link", name="Audit log").click()
    expect(admin.page.get_by_role("heading", level=1)).to_have_text("Audit log")
    admin.audit()
    admin.page.get_by_label("Action starts with").fill("concern.")
    admin.page.get_by_role("button", name="Filter").click()
    expect(admin.page.get_by_role("cell", name="concern.opened", exact=True)).to_be_visible()
    expect(admin.page.get_by_role("cell", name="review.claimed", exact=True)).to_have_count(0)
    admin.audit()
    admin.page.get_by_label("Action starts with").fill("")
    admin.page.get_by_role("button", name="Filter").click()
    expect(admin.page.get_by_role("cell", name="review.claimed", exact=True)).to_be_visible()
    admin.audit()
    admin.screenshot("staff-en-audit")


def test_a_facilitator_on_a_leads_page_gets_the_staff_403_with_a_way_back(
    app: Flask, visitor_factory: Any, demo_plan: PlanContent
) -> None:
    fac = signed_in(app, visitor_factory, "fac@example.org", Role.FACILITATOR)
    response = fac.visit("/staff/concerns")
    assert response.status == 403
    page = fac.page
    expect(page.get_by_role("heading", level=1)).to_have_text("You don't have access to this.")
    assert page.locator("body[data-idle-seconds]").count() == 0
    fac.screenshot("staff-en-403")
    page.get_by_role("link", name="Back to the staff home").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Home")
    fac.audit()
