"""A child finds the organisation's answer in real browsers (fr on a phone, en on a tablet):
under the part, taps "clear", opens "What happened to our ideas", and sees "Answered" through
the idea code on another device. A committee's facilitator prints the letter to PDF. Every
page is checked with axe; screenshots and the printed letter are kept for a person to look at."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask_babel import force_locale, gettext
from playwright.sync_api import expect
from sqlalchemy import select

from participation.accounts.models import Role
from participation.answers.models import AnswerReaction, Decision
from participation.db import db
from participation.plans.content import PlanContent
from tests.answers.test_children import make_answer
from tests.committees.builders import make_committee
from tests.committees.review_builders import Said, submitted_session
from tests.conftest import STAFF_PASSPHRASE, make_staff
from tests.e2e.conftest import PHONE, TABLET, Visitor, print_to_pdf
from tests.feedback.helpers import approve


@pytest.fixture
def devices(browser: Any, live_server: str, axe_source: str) -> Iterator[Any]:
    contexts: list[Any] = []
    made: list[Visitor] = []

    def make(viewport: dict[str, int]) -> Visitor:
        context = browser.new_context(viewport=viewport, reduced_motion="reduce")
        context.set_default_timeout(10_000)
        contexts.append(context)
        visitor = Visitor(context.new_page(), live_server, axe_source)
        made.append(visitor)
        return visitor

    yield make
    for visitor in made:
        visitor.check_clean()
    for context in contexts:
        context.close()


def say(app: Flask, locale: str, message: str, **values: Any) -> str:
    """``message`` as the page shows it in ``locale`` (English until it is translated)."""
    with app.test_request_context(f"/{locale}/"), force_locale(locale):
        return str(gettext(message, **values))


ANSWER = {"fr": "Nous ouvrirons une salle calme dans chaque centre. Tu pourras t'y reposer.",
          "en": "We will open a quiet room in every centre. You can rest there."}
IDEA = {"fr": "Une salle calme pour lire.", "en": "A quiet room to rest."}


@pytest.mark.parametrize(("locale", "viewport", "other"), [
    ("fr", PHONE, TABLET), ("en", TABLET, PHONE)], ids=["fr-phone", "en-tablet"])
def test_a_child_finds_the_answer_taps_clear_and_sees_it_through_the_code(
        app: Flask, devices: Any, demo_plan: PlanContent, locale: str,
        viewport: dict[str, int], other: dict[str, int]) -> None:
    child = devices(viewport)
    page = child.page
    name = f"{locale}-{'phone' if viewport == PHONE else 'tablet'}"

    # The child writes an idea and its code down; an adult shares it; the organisation answers.
    child.visit(f"/{locale}/plan/values")
    page.get_by_label(say(app, locale, "What would you change or add to this part?")).fill(
        IDEA[locale])
    child.follow(page.get_by_role("button", name=say(app, locale, "Send my idea")))
    match = re.search(r"/ideas/([0-9a-f]{32})/sent$", page.url)
    assert match, page.url
    words = page.get_by_role("list", name=say(app, locale, "Write down your idea code")
                             ).get_by_role("listitem")
    expect(words).to_have_count(4)
    code = " ".join(words.all_inner_texts())
    approve(app, match.group(1))
    made = make_answer(app, {locale: (ANSWER[locale], None)}, decision=Decision.WILL_DO)

    # Under the part: the answer, with its decision in words, and the two questions.
    child.visit(f"/{locale}/plan/values")
    region = page.get_by_role("region", name=say(app, locale, "What we did with your ideas"))
    expect(region).to_be_visible()
    expect(region.get_by_text(ANSWER[locale])).to_be_visible()
    expect(region.get_by_role("heading", name=say(app, locale, "We will do it"))).to_be_visible()
    region.scroll_into_view_if_needed()
    child.screenshot(f"answers-{name}-part", full_page=False)

    clear = region.get_by_role("group", name=say(app, locale, "Was this answer clear?"))
    yes = clear.get_by_role("button", name=say(app, locale, "Yes"))
    box = yes.bounding_box()
    assert box and box["height"] >= 44 and box["width"] >= 44  # a big target
    child.follow(yes)
    child.audit()
    assert page.url.endswith(f"#answer-{made.public_id}")
    region = page.get_by_role("region", name=say(app, locale, "What we did with your ideas"))
    expect(region.get_by_role("status")).to_contain_text(say(
        app, locale, "Thank you! The grown-ups who wrote this answer will see what children think."))
    expect(region.get_by_role("group", name=say(app, locale, "Was this answer clear?"))
           .get_by_role("button", name=say(app, locale, "Yes"))).to_have_attribute(
        "aria-pressed", "true")
    child.screenshot(f"answers-{name}-tapped", full_page=False)
    with app.app_context():
        rows = db.session.scalars(select(AnswerReaction)).all()
        assert [(row.clear, row.fair) for row in rows] == [(True, None)]

    # "What happened to our ideas": the answer, with the same choice pressed.
    child.follow(region.get_by_role("link", name=say(app, locale, "See all our answers")))
    child.audit()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        say(app, locale, "What happened to our ideas"))
    expect(page.get_by_text(ANSWER[locale])).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("^" + re.escape(
        say(app, locale, "We will do it"))))).to_be_visible()
    child.screenshot(f"answers-{name}-what-happened")

    # My ideas on this device: "Answered".
    child.visit(f"/{locale}/my-ideas")
    expect(page.get_by_text(say(app, locale, "Answered"), exact=True)).to_be_visible()
    child.screenshot(f"answers-{name}-my-ideas")

    # Another device, with the code written down: "Answered" too.
    device = devices(other)
    device.visit(f"/{locale}/check")
    device.page.get_by_label(say(app, locale, "Your idea code")).fill(code)
    device.follow(device.page.get_by_role("button", name=say(app, locale, "Check my idea")))
    device.audit()
    expect(device.page.get_by_text(say(app, locale, "Answered"), exact=True)).to_be_visible()
    expect(device.page.get_by_text(ANSWER[locale])).to_be_visible()
    device.screenshot(f"answers-{name}-check-other-device")


def test_a_facilitator_prints_the_committees_letter(
        app: Flask, devices: Any, demo_plan: PlanContent) -> None:
    runner = make_staff(app, "runner@example.org", Role.FACILITATOR)
    committee = make_committee(app, facilitator_ids=(runner.id,), name="Comité de Thiès")
    sent = submitted_session(app, committee, runner.id, said=(
        Said("Des parcs plus près des écoles.", part="values"),
        Said("Une salle pour le sport.", part=None)))
    for public_id in sent.statements:
        approve(app, public_id)
    make_answer(app, {"fr": ("Merci pour votre réunion. Nous avons lu tout ce que vous avez dit.",
                             None)}, session_id=sent.session_id)
    make_answer(app, {"fr": ("Nous ferons des parcs, mais pas partout.", None)}, part="values",
                decision=Decision.PARTLY)

    staff = devices(TABLET)
    page = staff.page
    staff.visit("/staff/login")
    page.get_by_label("Email").fill(runner.email)
    page.get_by_label("Passphrase").fill(STAFF_PASSPHRASE)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("6-digit code from your authenticator app").fill(
        pyotp.TOTP(runner.totp_secret or "").now())
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Home")

    staff.visit(f"/staff/committee-letters/{sent.session_public_id}")
    letter = page.locator("article.letter")
    expect(letter).to_have_attribute("lang", "fr")
    expect(letter.get_by_text("Nous ferons des parcs, mais pas partout.")).to_be_visible()
    staff.screenshot("answers-letter-screen")

    _pdf, pages = print_to_pdf(page, "answers-letter", (".staff-header", ".letter-tools"))
    assert pages
