"""Hearing back in real browsers: a child writes down the idea code and checks the idea days
later on another device; a child who may be in danger is answered with care, in fr, en, es."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale, gettext
from playwright.sync_api import expect

from participation.plans.content import PlanContent
from tests.e2e.conftest import PHONE, TABLET, Visitor
from tests.feedback.helpers import approve, keep_safe

HARM = {"fr": "mon père me frappe tous les soirs", "en": "my dad hits me every night",
        "es": "mi padrastro me pega cuando bebe"}
HELPLINE_PHONE = {"fr": "119", "en": "0800 1111", "es": "900 20 20 10"}
NOT_SHARED = ("Not shared.", "It could not be shared this time.",
              "We did not understand it. You can try again with other words.")


def say(app: Flask, locale: str, message: str) -> str:
    """``message`` as the page shows it in ``locale`` (English until it is translated)."""
    with app.test_request_context(f"/{locale}/"), force_locale(locale):
        return str(gettext(message))


def send_idea(app: Flask, child: Visitor, locale: str, slug: str, words: str) -> str:
    """Write and send an idea on a part; returns the idea's public id (from the address)."""
    page = child.page
    child.visit(f"/{locale}/plan/{slug}")
    page.get_by_label(say(app, locale, "What would you change or add to this part?")).fill(words)
    child.follow(page.get_by_role("button", name=say(app, locale, "Send my idea")))
    match = re.search(r"/ideas/([0-9a-f]{32})/sent$", page.url)
    assert match, page.url
    child.audit()
    return match.group(1)


def written_down_code(app: Flask, child: Visitor, locale: str) -> str:
    """The four words the confirmation page asks the child to write down."""
    words = child.page.get_by_role(
        "list", name=say(app, locale, "Write down your idea code")).get_by_role("listitem")
    expect(words).to_have_count(4)
    return " ".join(words.all_inner_texts())


def check_code(app: Flask, device: Visitor, locale: str, typed: str) -> None:
    page = device.page
    device.visit(f"/{locale}/check")
    page.get_by_label(say(app, locale, "Your idea code")).fill(typed)
    device.follow(page.get_by_role("button", name=say(app, locale, "Check my idea")))
    device.audit()


def test_a_code_written_down_finds_the_idea_on_another_device(
    app: Flask, visitor_factory: Any, demo_plan: PlanContent
) -> None:
    tablet: Visitor = visitor_factory(viewport=TABLET)
    public_id = send_idea(app, tablet, "en", "vision", "A skate park next to the library.")
    code = written_down_code(app, tablet, "en")
    expect(tablet.page.get_by_text("Keep it safe: anyone with these words can check this idea.")
           ).to_be_visible()
    tablet.screenshot("tablet-en-sent-code")

    tablet.follow(tablet.page.get_by_role("link", name="See my ideas"))
    expect(tablet.page.get_by_text("A skate park next to the library.")).to_be_visible()
    expect(tablet.page.get_by_text(code)).to_be_visible()
    tablet.audit()
    tablet.screenshot("tablet-en-my-ideas-code")

    # Days later, on a phone: typed in capitals with dashes, the code still works.
    phone: Visitor = visitor_factory(viewport=PHONE)
    check_code(app, phone, "en", code.upper().replace(" ", "-"))
    result = phone.page.get_by_role("region", name="Your idea")
    expect(result).to_contain_text("Waiting for an adult to read it.")
    expect(result).not_to_contain_text("A skate park")
    phone.screenshot("phone-en-check-waiting")
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    approve(app, public_id, "A skate park next to the library, please!")
    phone.follow(phone.page.get_by_role("link", name="Check another idea"))
    phone.page.get_by_label("Your idea code").fill(code)
    phone.follow(phone.page.get_by_role("button", name="Check my idea"))
    result = phone.page.get_by_role("region", name="Your idea")
    expect(result).to_contain_text("Shared with other children.")
    expect(result.get_by_text("A skate park next to the library, please!")).to_be_visible()
    expect(result).to_contain_text("We removed words that could show who you are.")
    phone.audit()
    phone.screenshot("phone-en-check-shared")

    # A wrong code gets a kind answer, and the form keeps what was typed to fix it.
    phone.follow(phone.page.get_by_role("link", name="Check another idea"))
    phone.page.get_by_label("Your idea code").fill("apple moon kite boat")
    phone.follow(phone.page.get_by_role("button", name="Check my idea"))
    expect(phone.page.get_by_role("alert")).to_have_text(
        "We could not find an idea with this code. Check each word, then try again.")
    expect(phone.page.get_by_label("Your idea code")).to_have_value("apple moon kite boat")
    phone.audit()
    phone.screenshot("phone-en-check-wrong-code")

    # On a French page, the shared English idea is one tap away, hidden words read naturally.
    approve(app, send_idea(app, tablet, "en", "vision", "My name is Sam and I like parks."),
            "My name is [hidden] and I like parks.")
    phone.visit("/fr/plan/vision")
    other = phone.page.locator("details.other-ideas")
    expect(other.get_by_text("A skate park next to the library, please!")).to_be_hidden()
    other.locator("summary").click()
    expect(other.get_by_text("A skate park next to the library, please!")).to_be_visible()
    expect(other.get_by_text("[hidden]")).to_have_count(0)
    expect(other.locator(".hidden-words")).to_have_text("des mots ont été cachés…")
    phone.audit()
    phone.page.locator("#ideas-title").scroll_into_view_if_needed()
    phone.screenshot("phone-fr-shared-other-languages", full_page=False)

    # The tablet forgets the child; "my ideas" points to the check page.
    tablet.follow(tablet.page.get_by_role("link", name="I'm finished"))
    tablet.follow(tablet.page.get_by_role("button", name="Yes, I'm finished"))
    tablet.visit("/en/my-ideas")
    expect(tablet.page.get_by_role("heading", name="This device does not remember you now")
           ).to_be_visible()
    expect(tablet.page.get_by_text(code)).to_have_count(0)
    tablet.screenshot("tablet-en-my-ideas-forgotten")
    tablet.follow(tablet.page.get_by_role("link", name="Check my idea"))
    expect(tablet.page.get_by_label("Your idea code")).to_be_visible()


@pytest.mark.parametrize("locale", ["fr", "en", "es"])
def test_a_child_who_may_be_in_danger_is_answered_with_care(
    app: Flask, visitor_factory: Any, demo_plan: PlanContent, locale: str
) -> None:
    tablet: Visitor = visitor_factory(viewport=TABLET)
    public_id = send_idea(app, tablet, locale, "values", HARM[locale])
    code = written_down_code(app, tablet, locale)
    help_box = tablet.page.get_by_role("region", name=say(app, locale, "Thank you for telling us"))
    expect(help_box).to_contain_text(HELPLINE_PHONE[locale])
    tablet.screenshot(f"tablet-{locale}-sent-worrying")

    keep_safe(app, public_id)
    caring = say(app, locale, "A helping adult has read what you wrote.")
    tablet.visit(f"/{locale}/my-ideas")
    expect(tablet.page.get_by_text(caring)).to_be_visible()
    expect(tablet.page.get_by_role("link", name=HELPLINE_PHONE[locale])).to_be_visible()
    expect(tablet.page.get_by_text(HARM[locale])).to_have_count(0)
    tablet.screenshot(f"tablet-{locale}-my-ideas-safeguarded")
    page_text = tablet.page.inner_text("main")
    assert not any(say(app, locale, sentence) in page_text for sentence in NOT_SHARED)

    phone: Visitor = visitor_factory(viewport=PHONE)
    check_code(app, phone, locale, code)
    result = phone.page.get_by_role("region", name=say(app, locale, "Your idea"))
    expect(result).to_contain_text(caring)
    expect(result.get_by_role("link", name=HELPLINE_PHONE[locale])).to_be_visible()
    expect(phone.page.get_by_text(HARM[locale])).to_have_count(0)
    page_text = phone.page.inner_text("main")
    assert not any(say(app, locale, sentence) in page_text for sentence in NOT_SHARED)
    assert "secret" not in page_text.lower()
    phone.screenshot(f"phone-{locale}-check-safeguarded")
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
