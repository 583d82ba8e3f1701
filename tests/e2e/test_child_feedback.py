"""A child gives feedback on a shared tablet: react, write, send, see, withdraw, finish."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import func, select

from participation.db import db
from participation.feedback.models import Submission
from participation.plans.content import PlanContent
from tests.e2e.conftest import Visitor


def count_submissions(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(Submission)) or 0)


def test_the_whole_loop_on_a_shared_tablet(app: Flask, child: Visitor) -> None:
    page = child.page
    child.visit("/en/plan/priority-1")
    agree = page.get_by_role("button", name="I agree")
    agree.click()
    expect(page.get_by_role("button", name="I agree")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("status")).to_contain_text("We saved your answer")
    child.audit()
    page.get_by_role("button", name="I'm not sure").click()
    expect(page.get_by_role("button", name="I'm not sure")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("button", name="I agree")).to_have_attribute("aria-pressed", "false")

    page.get_by_label("What would you change or add to this part?").fill(
        "Children should vote in the town council.")
    page.get_by_label("11 to 13").check()
    child.screenshot("tablet-en-write")
    page.get_by_role("button", name="Send my idea").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Your idea is sent")
    child.audit()
    child.screenshot("tablet-en-sent")

    page.get_by_role("link", name="See my ideas").click()
    expect(page.get_by_text("Children should vote in the town council.")).to_be_visible()
    expect(page.get_by_text("Waiting for an adult to read it.")).to_be_visible()
    child.audit()
    child.screenshot("tablet-en-my-ideas")

    page.get_by_role("link", name="Delete this idea").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete this idea?")
    child.audit()
    page.get_by_role("button", name="Yes, delete it").click()
    expect(page.get_by_role("status")).to_contain_text("Your idea is deleted")
    expect(page.get_by_text("Children should vote in the town council.")).to_have_count(0)
    child.audit()

    page.get_by_role("link", name="I'm finished").click()
    child.audit()
    page.get_by_role("button", name="Yes, I'm finished").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for taking part!")
    child.audit()
    child.screenshot("tablet-en-finished")
    assert page.evaluate("window.localStorage.length") == 0
    assert page.context.cookies() == []
    child.visit("/en/my-ideas")
    # The device forgot the child: "my ideas" says so and points to the check page.
    expect(page.get_by_role("heading", name="This device does not remember you now")).to_be_visible()


def test_double_tap_on_send_makes_one_record(app: Flask, child: Visitor) -> None:
    page = child.page
    child.visit("/fr/plan/values")
    page.get_by_label("Que voudrais-tu changer ou ajouter dans cette partie ?").fill(
        "Plus de temps pour jouer.")
    page.get_by_role("button", name="Envoyer mon idée").dblclick()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Merci")
    assert count_submissions(app) == 1


def test_urgent_text_shows_help_right_away(app: Flask, child: Visitor) -> None:
    page = child.page
    child.visit("/es/plan/vision")
    page.get_by_label(re.compile("cambiarías")).fill("mi padrastro me pega cuando bebe")
    page.get_by_role("button", name="Enviar mi idea").click()
    help_box = page.get_by_role("region", name=re.compile("Gracias por contárnoslo"))
    expect(help_box).to_be_visible()
    expect(help_box).to_contain_text("900 20 20 10")
    expect(help_box).to_contain_text("112")
    assert "secret" not in page.content().lower()
    child.audit()
    child.screenshot("tablet-es-help")


def test_draft_survives_a_dropped_network(app: Flask, child: Visitor) -> None:
    page = child.page
    child.visit("/en/plan/changes")
    box = page.get_by_label("What would you change or add to this part?")
    box.fill("My idea must not get lost.")
    page.context.set_offline(True)
    page.get_by_role("button", name="Send my idea").click()
    page.wait_for_url(re.compile(r"^chrome-error://"))  # the send failed: no network
    page.context.set_offline(False)
    child.visit("/en/plan/changes")
    expect(box).to_have_value("My idea must not get lost.")
    expect(page.get_by_text("We kept what you wrote before.")).to_be_visible()
    assert count_submissions(app) == 0
    page.get_by_role("button", name="Send my idea").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Your idea is sent")
    child.wait_ready()  # app.js forgets the draft as it sets the page up
    assert page.evaluate("window.localStorage.getItem('draft:en:changes')") is None
    assert count_submissions(app) == 1


def test_idle_tablet_finishes_by_itself(app: Flask, child: Visitor) -> None:
    """The real 10-minute timeout, on Playwright's fake clock: nothing before, "I'm finished"
    after, and any tap starts the wait again."""
    idle_ms = app.config["CHILD_IDLE_SECONDS"] * 1000
    page = child.page
    page.clock.install()
    child.visit("/en/plan/vision")
    child.follow(page.get_by_role("button", name="I agree"))
    page.clock.run_for(idle_ms - 10_000)
    page.get_by_label("What would you change or add to this part?").click()  # still here
    page.clock.run_for(idle_ms - 10_000)  # the tap started the wait again
    expect(page.get_by_role("heading", level=1)).to_have_text("Our dream")
    page.clock.run_for(20_000)
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for taking part!")
    assert page.context.cookies() == []


def test_something_missing_and_phone_size(visitor_factory: Any, demo_plan: PlanContent) -> None:
    visitor: Visitor = visitor_factory(viewport={"width": 375, "height": 667})
    page = visitor.page
    visitor.visit("/fr/")
    page.get_by_role("link", name=re.compile("Il manque quelque chose")).click()
    visitor.audit()
    page.get_by_label(re.compile("Qu'est-ce qui manque")).fill("Parler de l'environnement.")
    page.get_by_label("Je préfère ne pas le dire").check()
    visitor.screenshot("phone-fr-missing")
    page.get_by_role("button", name="Envoyer mon idée").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Merci")
    visitor.audit()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375


def test_a_lost_thank_you_page_and_a_resend_store_one_idea(
    app: Flask, child: Visitor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The idea is stored but its thank-you page fails (the database went away just then): the
    draft and its key stay on the tablet, so sending the same words again finds the stored
    idea instead of storing a second copy."""
    from sqlalchemy.exc import OperationalError

    def database_gone(*args: object) -> None:
        raise OperationalError("SELECT", {}, Exception("server closed the connection"))

    page = child.page
    child.visit("/en/plan/vision")
    page.get_by_label("What would you change or add to this part?").fill("Parks for everyone.")
    with monkeypatch.context() as patch:
        patch.setattr("participation.feedback.views.find_own_submission", database_gone)
        page.get_by_role("button", name="Send my idea").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Something went wrong")
    assert count_submissions(app) == 1

    child.visit("/en/plan/vision")
    expect(page.get_by_label("What would you change or add to this part?")).to_have_value(
        "Parks for everyone.")
    expect(page.get_by_text("We kept what you wrote before.")).to_be_visible()
    page.get_by_role("button", name="Send my idea").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Your idea is sent")
    assert count_submissions(app) == 1  # the same idea, found again: not a second copy

    child.visit("/en/plan/vision")  # confirmed: the draft and its key are gone
    expect(page.get_by_label("What would you change or add to this part?")).to_have_value("")
