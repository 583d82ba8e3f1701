"""A child on a phone (375 x 667) in French, English and Spanish: a short header, the reactions
within two screens of the text, "Words to know" folded away, "Listen" that says when the phone
has no voice and reads every block it offers, and help at once after "I don't understand"."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale, gettext
from playwright.sync_api import expect
from sqlalchemy import select

from participation.db import db, utcnow
from participation.feedback.models import AgeBand, Submission, SubmissionStatus
from participation.feedback.services import new_idempotency_key, submit_idea
from participation.plans.content import PlanContent
from participation.plans.queries import get_plan_view
from tests.e2e.conftest import PHONE, SCREENSHOTS, TABLET, Visitor, fake_speech, spoken

LOCALES = ("fr", "en", "es")
MAX_HEADER_PX = 100
SCREENS_TO_REACTIONS = 2
NO_VOICE = {"fr": "This device cannot read aloud in French.",
            "en": "This device cannot read aloud in English.",
            "es": "This device cannot read aloud in Spanish."}
VOICE = {"fr": "fr-FR", "en": "en-GB", "es": "es-ES"}


def say(app: Flask, locale: str, message: str) -> str:
    """``message`` as the page shows it in ``locale`` (English until it is translated)."""
    with app.test_request_context(f"/{locale}/"), force_locale(locale):
        return str(gettext(message))


def heard(app: Flask, locale: str, message: str) -> str:
    """``message`` as the voice is given it (see ``folded``)."""
    return folded(say(app, locale, message))


def folded(text: str) -> str:
    """``text`` as the voice is given it: app.js folds every space (French no-break ones
    before ? ! : ; included) into a plain space."""
    return re.sub(r"\s+", " ", text)


HEADER = """() => {
  const box = (e) => e.getBoundingClientRect();
  const header = document.querySelector('.site-header');
  const rows = (sel) => [...header.querySelectorAll(sel)]
    .map((e) => Math.round((box(e).top + box(e).bottom) / 2));
  return {height: box(header).height, bottom: box(header).bottom,
          first: rows('.brand, .child-nav a'), languages: rows('.languages a')};
}"""

REACTIONS = """() => {
  const y = (e) => e.getBoundingClientRect();
  const text = y(document.getElementById('simple-text')).top + window.scrollY;
  const buttons = [...document.querySelectorAll('.reaction')].map(y);
  return {top: Math.min(...buttons.map((r) => r.top)) + window.scrollY - text,
          bottom: Math.max(...buttons.map((r) => r.bottom)) + window.scrollY - text,
          smallest: Math.min(...buttons.map((r) => Math.min(r.width, r.height)))};
}"""


def measure_header(visitor: Visitor) -> dict[str, Any]:
    header: dict[str, Any] = visitor.page.evaluate(HEADER)
    return header


def record(name: str, figures: object) -> None:
    """Keep the measured figures beside the screenshots (the report quotes them)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    (SCREENSHOTS / f"{name}.json").write_text(json.dumps(figures, indent=1), encoding="utf-8")


@pytest.mark.parametrize("locale", LOCALES)
def test_header_and_reactions_fit_a_phone(
    visitor_factory: Any, demo_plan: PlanContent, locale: str
) -> None:
    """One row of header plus the languages (100 px at most), and on every part the four
    reaction buttons end within two screens of the start of the text."""
    phone: Visitor = visitor_factory(viewport=PHONE)
    page = phone.page
    figures: dict[str, Any] = {"header": {}, "reactions": {}}
    for path in ("/", "/help", "/my-ideas", "/words"):
        phone.visit(f"/{locale}{path}")
        header = measure_header(phone)
        figures["header"][path] = round(header["height"], 1)
        assert header["height"] <= MAX_HEADER_PX, f"{path}: header {header['height']} px"
        assert len(set(header["first"])) == 1, f"{path}: logo and links wrap {header['first']}"
        assert len(set(header["languages"])) == 1, f"{path}: languages wrap"
        assert header["languages"][0] > header["first"][0]
    for spec in demo_plan.sections:
        phone.visit(f"/{locale}/plan/{spec.slug}")
        header = measure_header(phone)
        assert header["height"] <= MAX_HEADER_PX, f"{spec.slug}: header {header['height']} px"
        words = page.locator("details.words")
        if words.count():
            expect(words).not_to_have_attribute("open", "")
            expect(page.locator("#words-list")).to_be_hidden()
        reactions = page.evaluate(REACTIONS)
        figures["reactions"][spec.slug] = {k: round(v) for k, v in reactions.items()}
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{spec.slug} scrolls sideways ({width}px)"
    figures["header"]["part"] = round(header["height"], 1)
    record(f"phone-{locale}-measurements", figures)
    far = {slug: r["bottom"] for slug, r in figures["reactions"].items()
           if r["bottom"] > SCREENS_TO_REACTIONS * PHONE["height"]}
    assert far == {}, f"reactions end this far (px) below the start of the text: {far}"
    assert min(r["smallest"] for r in figures["reactions"].values()) >= 44  # big targets stay

    # Words to know opens with one tap, and closes again.
    phone.visit(f"/{locale}/plan/who-we-are")
    page.locator("details.words summary").click()
    expect(page.locator("details.words")).to_have_attribute("open", "")
    expect(page.locator("#words-list")).to_be_visible()
    phone.audit()


@pytest.mark.parametrize("locale", LOCALES)
def test_header_on_a_tablet(visitor_factory: Any, demo_plan: PlanContent, locale: str) -> None:
    """Tablets keep the name beside the logo: one row with "My ideas" and "I'm finished", one
    for the languages, as before."""
    tablet: Visitor = visitor_factory(viewport=TABLET)
    tablet.visit(f"/{locale}/plan/priority-1")
    expect(tablet.page.locator(".brand-name")).to_be_visible()
    header = measure_header(tablet)
    assert len(set(header["first"])) == 1 and len(set(header["languages"])) == 1, header
    assert header["height"] <= 130, header  # two rows of 48 px targets at the tablet's 20 px
    record(f"tablet-{locale}-measurements", {"header": round(header["height"], 1)})
    tablet.screenshot(f"tablet-{locale}-part-top", full_page=False)


@pytest.mark.parametrize("locale", LOCALES)
def test_listen_says_when_the_phone_has_no_voice(
    app: Flask, visitor_factory: Any, demo_plan: PlanContent, locale: str
) -> None:
    phone: Visitor = visitor_factory(viewport=PHONE)
    page = phone.page
    fake_speech(page, [])  # speech exists, but no voice at all (like Chromium headless)
    phone.visit(f"/{locale}/plan/vision")
    listen = page.get_by_role("button", name=say(app, locale, "Listen"), exact=True)
    listen.click()
    note = page.locator("article.part > .listen [data-listen-note]")
    expect(note).to_have_text(say(app, locale, NO_VOICE[locale]))
    expect(listen).to_have_attribute("aria-pressed", "false")
    assert spoken(page) == []
    phone.audit()
    phone.screenshot(f"phone-{locale}-no-voice", full_page=False)

    # Voices arrive later, but none speaks this language: still no reading, the note stays.
    other = "en-US" if locale != "en" else "fr-FR"
    page.evaluate("langs => window.__setVoices(langs.map(lang => ({lang, name: lang})))", [other])
    listen.click()
    expect(note).to_have_text(say(app, locale, NO_VOICE[locale]))
    assert spoken(page) == []

    # A voice for this language arrives (voiceschanged): the note goes, and the part is read.
    page.evaluate("lang => window.__setVoices([{lang, name: lang}])", VOICE[locale])
    expect(note).to_have_text("")
    listen.click()
    said = spoken(page)
    assert len(said) == 1 and said[0]["voice"] == VOICE[locale] and said[0]["lang"] == locale
    assert folded(demo_plan.locales[locale].sections["vision"].title) in said[0]["text"]


def share_idea(app: Flask, locale: str, slug: str, words: str) -> None:
    """An idea an adult has approved, shown under the part to every child."""
    with app.test_request_context(f"/{locale}/"):
        plan = get_plan_view(locale)
        assert plan is not None
        result = submit_idea(
            plan_id=plan.id, section_id=plan.section_ids[slug], locale=locale, text=words,
            age_band=AgeBand("8-10"), child_hash="0" * 64, idempotency_key=new_idempotency_key(),
        )
        item = db.session.scalars(
            select(Submission).where(Submission.public_id == result.public_id)).one()
        item.status, item.decided_at, item.published_body = (
            SubmissionStatus.APPROVED, utcnow(), words)
        db.session.commit()


IDEAS = {"fr": "Plus de parcs pour jouer.", "en": "More parks to play in.",
         "es": "Más parques para jugar."}


@pytest.mark.parametrize("locale", LOCALES)
def test_listen_reads_words_pop_up_help_and_shared_ideas(
    app: Flask, visitor_factory: Any, demo_plan: PlanContent, locale: str
) -> None:
    share_idea(app, locale, "who-we-are", IDEAS[locale])
    texts = demo_plan.locales[locale]
    phone: Visitor = visitor_factory(viewport=PHONE)
    page = phone.page
    fake_speech(page, [VOICE[locale]])
    listen_name = say(app, locale, "Listen")
    stop_name = say(app, locale, "Stop reading")
    phone.visit(f"/{locale}/plan/who-we-are")

    # "Words to know", once opened.
    page.locator("details.words summary").click()
    page.locator("#words").get_by_role(
        "button", name=say(app, locale, "Listen to the words")).click()
    key = page.locator("#words-list .term-entry").first.get_attribute("id")[len("term-"):]
    said = spoken(page)[-1]
    assert said["text"].startswith(say(app, locale, "Words to know"))
    assert folded(texts.glossary[key].definition.rstrip(".")) in said["text"]
    page.locator("#words").get_by_role("button", name=stop_name).click()
    page.locator("details.words summary").click()

    # The pop-up that explains a hard word.
    word = page.locator("#simple-text a.term").first
    entry = texts.glossary[word.get_attribute("data-term") or ""]
    word.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    phone.screenshot(f"phone-{locale}-word", full_page=False)
    dialog.get_by_role("button", name=listen_name).click()
    said = spoken(page)[-1]
    assert said["text"].startswith(folded(entry.term))
    assert folded(entry.definition.rstrip(".")) in said["text"]
    expect(dialog.get_by_role("button", name=stop_name)).to_have_attribute("aria-pressed", "true")
    phone.audit()
    dialog.get_by_role("button", name=say(app, locale, "Got it")).click()
    expect(dialog).to_be_hidden()

    # The ideas other children shared under this part.
    ideas = page.get_by_role("region", name=say(app, locale, "Ideas from other children"))
    ideas.get_by_role("button", name=say(app, locale, "Listen to the ideas")).click()
    said = spoken(page)[-1]
    assert IDEAS[locale] in said["text"]
    assert said["text"].startswith(say(app, locale, "Ideas from other children"))
    assert say(app, locale, "Listen to the ideas") not in said["text"]
    phone.audit()

    # The help page, reached from the part's footer, reads aloud and leads back to the part.
    phone.follow(page.get_by_role("link", name=say(app, locale, "Need help? Talk to someone")))
    expect(page.get_by_role("heading", level=1)).to_have_text(say(app, locale, "Need help?"))
    phone.screenshot(f"phone-{locale}-help", full_page=False)
    page.get_by_role("button", name=listen_name).click()
    said = spoken(page)[-1]
    assert said["text"].startswith(heard(app, locale, "Need help?"))
    assert heard(app, locale, "You can also tell an adult you trust, like a teacher.") in said["text"]
    phone.follow(page.get_by_role("link", name=say(app, locale, "Back to this part")))
    expect(page.get_by_role("heading", level=1)).to_have_text(texts.sections["who-we-are"].title)


@pytest.mark.parametrize("locale", LOCALES)
def test_i_dont_understand_offers_three_ways_on(
    app: Flask, visitor_factory: Any, demo_plan: PlanContent, locale: str
) -> None:
    phone: Visitor = visitor_factory(viewport=PHONE)
    page = phone.page
    fake_speech(page, [VOICE[locale]])
    slug = "priority-1"
    phone.visit(f"/{locale}/plan/{slug}")
    phone.screenshot(f"phone-{locale}-part-top", full_page=False)
    page.locator(".reactions").scroll_into_view_if_needed()
    phone.screenshot(f"phone-{locale}-part-reactions", full_page=False)

    confused = page.get_by_role("button", name=say(app, locale, "I don't understand"))
    phone.follow(confused)
    expect(confused).to_have_attribute("aria-pressed", "true")  # still counted as a reaction
    notice = page.get_by_role("status")
    expect(notice).to_contain_text(say(app, locale, "This part is not easy. Here is some help:"))
    ways = notice.get_by_role("listitem")
    expect(ways).to_have_count(3)
    page.locator(".notice-help").scroll_into_view_if_needed()
    phone.screenshot(f"phone-{locale}-confused", full_page=False)

    # 1. Listen to this part.
    notice.get_by_role("button", name=say(app, locale, "Listen to this part")).click()
    said = spoken(page)[-1]
    assert said["text"].startswith(folded(demo_plan.locales[locale].sections[slug].title))
    notice.get_by_role("button", name=say(app, locale, "Stop reading")).click()

    # 2. The words to know, opened.
    notice.get_by_role("link", name=say(app, locale, "Look at the words to know")).click()
    expect(page.locator("details.words")).to_have_attribute("open", "")
    expect(page.locator("#words-list")).to_be_in_viewport()
    phone.audit()

    # 3. Ask an adult: the help page, with a way back to this part.
    phone.follow(notice.get_by_role("link", name=say(app, locale, "Ask an adult to help you")))
    expect(page.get_by_role("heading", level=2, name=say(
        app, locale, "Is something hard to understand?"))).to_be_visible()
    phone.follow(page.get_by_role("link", name=say(app, locale, "Back to this part")))
    expect(page).to_have_url(re.compile(f"/{locale}/plan/{slug}$"))


def test_help_page_without_a_part_leads_home(visitor_factory: Any, demo_plan: PlanContent) -> None:
    phone: Visitor = visitor_factory(viewport=PHONE)
    phone.visit("/es/help")
    phone.follow(phone.page.get_by_role("link", name="Volver a todas las partes"))
    expect(phone.page).to_have_url(re.compile(r"/es/$"))
