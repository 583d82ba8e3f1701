"""Answers in a real browser at 1280x800: an organiser writes one in French, English and
Spanish while the reading ease updates live under each text (a warning below the target, never a
block), and a second organiser approves it (ANSWERS_NEED_SECOND_ORGANISER on). Every page is
audited with axe."""

from __future__ import annotations

from typing import Any

import pyotp
import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from participation.accounts.models import Role
from participation.answers.models import Answer, AnswerStatus
from participation.db import db
from participation.plans.content import PlanContent
from tests.conftest import STAFF_PASSPHRASE, make_staff
from tests.e2e.conftest import Visitor

DESKTOP = {"width": 1280, "height": 800}
HARD_EN = ("Notwithstanding considerable budgetary constraints, the organisation's "
           "infrastructural reconfiguration necessitates comprehensive consultations.")
EASY = {
    "fr": "Nous allons faire des parcs. Ils seront près des écoles. Merci pour vos idées.",
    "en": "We will make parks. They will be near schools. Thank you for your ideas.",
    "es": "Vamos a hacer parques. Estarán cerca de las escuelas. Gracias por sus ideas.",
}
NAMES = {"fr": "Français", "en": "English", "es": "Español"}


def sign_in(staff: Visitor, email: str, secret: str) -> None:
    page = staff.page
    staff.visit("/staff/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Passphrase").fill(STAFF_PASSPHRASE)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("6-digit code from your authenticator app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Home")


def test_an_organiser_writes_an_answer_and_another_approves_it(
        app: Flask, visitor_factory: Any, demo_plan: PlanContent,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "ANSWERS_NEED_SECOND_ORGANISER", True)
    writer_account = make_staff(app, "writer@example.org", Role.ORGANISER)
    other_account = make_staff(app, "other@example.org", Role.ORGANISER)

    writer: Visitor = visitor_factory(viewport=DESKTOP, locale="en-GB")
    page = writer.page
    sign_in(writer, writer_account.email, writer_account.totp_secret or "")
    writer.visit("/staff/answers")
    expect(page.get_by_role("heading", level=1)).to_have_text("Answers to children")
    writer.follow(page.get_by_role("link", name="Write an answer"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Write an answer")
    expect(page.locator("form[data-ease-live='1']")).to_have_count(1)  # answers.js is set up
    writer.audit()

    page.get_by_role("radio", name="A part of the plan").check()
    page.get_by_label("Part of the plan", exact=True).select_option(index=3)
    page.get_by_role("radio", name="We will do it").check()
    body = {locale: page.get_by_role("textbox", name=f"What children read ({name})")
            for locale, name in NAMES.items()}
    ease = {locale: page.locator(f"#ease-{locale}") for locale in NAMES}

    # A hard English text: the live score warns (below the target), and the draft still saves.
    body["en"].fill(HARD_EN)
    expect(ease["en"]).to_contain_text("below the target of 70")
    expect(ease["en"]).to_have_class("reading-ease is-below")
    writer.audit()
    writer.screenshot("answers-desktop-en-hard")
    for locale, text in EASY.items():
        body[locale].fill(text)
    for locale in NAMES:
        expect(ease[locale]).to_contain_text("at or above the target of 70")
        expect(ease[locale]).not_to_have_class("reading-ease is-below")
    writer.audit()
    writer.screenshot("answers-desktop-three-languages")
    writer.follow(page.get_by_role("button", name="Save the draft"))

    expect(page.get_by_role("status")).to_have_text("The draft is saved.")
    for text in EASY.values():
        expect(page.get_by_text(text)).to_be_visible()
    writer.audit()
    writer.follow(page.get_by_role("button", name="Send for approval"))
    expect(page.get_by_role("status")).to_contain_text("Sent to a second organiser")
    expect(page.get_by_role("button", name="Approve and publish")).to_have_count(0)
    writer.audit()
    writer.screenshot("answers-desktop-awaiting-writer")

    with app.app_context():
        answer = db.session.scalars(select(Answer)).one()
        assert answer.status == AnswerStatus.AWAITING_APPROVAL
        public_id = answer.public_id

    other: Visitor = visitor_factory(viewport=DESKTOP, locale="en-GB")
    sign_in(other, other_account.email, other_account.totp_secret or "")
    other.visit("/staff/answers")
    expect(other.page.get_by_role("heading", name="Waiting for a second organiser (1)")
           ).to_be_visible()
    other.screenshot("answers-desktop-list")
    other.follow(other.page.get_by_role("link", name="Part 3:"))
    assert other.page.url.endswith(f"/staff/answers/{public_id}")
    other.audit()
    other.follow(other.page.get_by_role("button", name="Approve and publish"))
    expect(other.page.get_by_role("status")).to_contain_text("Approved and published")
    other.audit()
    other.screenshot("answers-desktop-published")

    with app.app_context():
        answer = db.session.scalars(select(Answer)).one()
        assert answer.status == AnswerStatus.PUBLISHED
        assert answer.approved_by_id == other_account.id
        assert all(t.reading_ease is not None and t.reading_ease >= 70 for t in answer.texts)
