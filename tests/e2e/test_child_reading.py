"""A child reads the plan on a tablet: cards, a part, hard words, listening, languages."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from participation.plans.content import PlanContent
from tests.e2e.conftest import PHONE, TABLET, Visitor, fake_speech, spoken

LOCALES = ("fr", "en", "es")
OFFICIAL = {"fr": "Lire le texte officiel", "en": "Read the official words", "es": "Leer el texto oficial"}
GOT_IT = {"fr": "J'ai compris", "en": "Got it", "es": "Entendido"}


@pytest.mark.parametrize("locale", LOCALES)
def test_read_a_part_in_each_language(child: Visitor, demo_plan: PlanContent, locale: str) -> None:
    page = child.page
    texts = demo_plan.locales[locale]
    child.visit(f"/{locale}/")
    expect(page.locator("html")).to_have_attribute("lang", locale)
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.get_by_role("heading", level=1)).to_have_text(texts.title)
    child.screenshot(f"tablet-{locale}-home")

    title = texts.sections["priority-1"].title
    child.follow(page.get_by_role("link", name=re.compile(re.escape(as_named(title)))))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    child.audit()
    child.screenshot(f"tablet-{locale}-part")

    official = page.get_by_text(OFFICIAL[locale])
    official.click()
    expect(page.locator("details.official")).to_have_attribute("open", "")
    child.audit()

    child.follow(page.get_by_role(
        "link", name=re.compile(re.escape(as_named(texts.sections["priority-2"].title)))).first)
    expect(page.get_by_role("heading", level=1)).to_have_text(texts.sections["priority-2"].title)
    child.audit()
    child.visit(f"/{locale}/")
    expect(page.locator("#reading-progress")).to_have_attribute("value", "2")


@pytest.mark.parametrize("locale", LOCALES)
def test_hard_word_opens_by_touch_and_by_keyboard(
    child: Visitor, demo_plan: PlanContent, locale: str
) -> None:
    page = child.page
    child.visit(f"/{locale}/plan/who-we-are")
    word = page.locator("#simple-text a.term").first
    key = word.get_attribute("data-term")
    entry = demo_plan.locales[locale].glossary[key]

    word.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_have_text(entry.term)
    expect(dialog).to_contain_text(entry.definition)
    child.audit()
    child.screenshot(f"tablet-{locale}-word")
    dialog.get_by_role("button", name=GOT_IT[locale]).click()
    expect(dialog).to_be_hidden()
    expect(word).to_be_focused()

    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(word).to_be_focused()


def as_named(text: str) -> str:
    """``text`` as Playwright reads an accessible name: every run of spaces (French no-break
    ones before ? ! : ; included) is one plain space."""
    return re.sub(r"\s+", " ", text)


def test_switch_language_keeps_the_part(child: Visitor, demo_plan: PlanContent) -> None:
    page = child.page
    child.visit("/en/plan/values")
    child.follow(page.get_by_role("navigation", name="Choose your language").get_by_role(
        "link", name="Español"))
    expect(page).to_have_url(re.compile(r"/es/plan/values$"))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        demo_plan.locales["es"].sections["values"].title)
    child.audit()
    child.visit("/")
    expect(page).to_have_url(re.compile(r"/es/$"))


def test_first_visit_follows_the_browser_language(visitor_factory: Any, demo_plan: PlanContent) -> None:
    visitor: Visitor = visitor_factory(locale="es-ES")
    visitor.visit("/")
    expect(visitor.page).to_have_url(re.compile(r"/es/$"))


def test_listen_reads_the_part_aloud(visitor_factory: Any, demo_plan: PlanContent) -> None:
    """With a recording stand-in for the browser's voice, the button speaks the part in French."""
    visitor: Visitor = visitor_factory()
    fake_speech(visitor.page, ["en-US", "fr-FR"])
    page = visitor.page
    visitor.visit("/fr/plan/vision")
    button = page.get_by_role("button", name="Écouter", exact=True)
    expect(button).to_be_visible()
    button.click()
    said = spoken(page)
    assert said[0]["lang"] == "fr" and said[0]["voice"] == "fr-FR"
    assert said[0]["text"].startswith(as_named(demo_plan.locales["fr"].sections["vision"].title))
    expect(page.get_by_role("button", name="Arrêter la lecture")).to_have_attribute(
        "aria-pressed", "true")
    visitor.audit()
    page.get_by_role("button", name="Arrêter la lecture").click()
    expect(button).to_have_attribute("aria-pressed", "false")


def test_everything_works_without_javascript(visitor_factory: Any, demo_plan: PlanContent) -> None:
    visitor: Visitor = visitor_factory(java_script_enabled=False)
    page = visitor.page
    visitor.visit("/en/plan/priority-2")
    expect(page.locator("[data-listen]")).to_have_count(3)  # the part, its words, shared ideas
    for button in page.locator("[data-listen]").all():
        expect(button).to_be_hidden()
    # A hard word jumps to its explanation, and the browser opens the folded "Words to know".
    word = page.locator("#simple-text a.term").first
    key = word.get_attribute("data-term")
    expect(page.locator(f"#term-{key}")).to_be_hidden()
    word.click()
    expect(page).to_have_url(re.compile(f"#term-{key}$"))
    expect(page.locator(f"#term-{key}")).to_be_visible()
    page.get_by_text("Read the official words").click()
    expect(page.locator("details.official")).to_have_attribute("open", "")


@pytest.mark.parametrize("locale", LOCALES)
def test_phone_screens(visitor_factory: Any, demo_plan: PlanContent, locale: str) -> None:
    visitor: Visitor = visitor_factory(viewport=PHONE)
    for path, name in (("/", "home"), ("/plan/take-part", "part"), ("/words", "words"),
                       ("/plan/nope", "404")):
        response = visitor.visit(f"/{locale}{path}")
        assert response.status == (404 if name == "404" else 200)
        width = visitor.page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} scrolls sideways ({width}px)"
        visitor.screenshot(f"phone-{locale}-{name}")


@pytest.mark.parametrize("viewport", [TABLET, PHONE], ids=["tablet", "phone"])
def test_touch_targets_are_at_least_44px(
    visitor_factory: Any, demo_plan: PlanContent, viewport: dict[str, int]
) -> None:
    child: Visitor = visitor_factory(viewport=viewport)
    page = child.page
    for path in ("/en/", "/en/plan/changes", "/en/help?part=changes"):
        child.visit(path)
        for details in page.locator("details").all():  # what is folded away counts too
            details.locator("summary").click()
        small = page.evaluate(
            """() => [...document.querySelectorAll('a, button, summary')]
                 .filter(e => e.offsetParent !== null && !e.classList.contains('term')
                              && !e.classList.contains('skip-link'))
                 .map(e => [e.textContent.trim().slice(0, 30), e.getBoundingClientRect()])
                 .filter(([, r]) => r.width < 44 || r.height < 44)
                 .map(([t, r]) => `${t}: ${Math.round(r.width)}x${Math.round(r.height)}`)"""
        )
        assert small == [], small


@pytest.mark.parametrize("viewport", [{"width": 320, "height": 568}, {"width": 1280, "height": 800}])
def test_smallest_phone_to_landscape_tablet(
    visitor_factory: Any, demo_plan: PlanContent, viewport: dict[str, int]
) -> None:
    visitor: Visitor = visitor_factory(viewport=viewport)
    for path in ("/es/", "/es/plan/priority-2", "/es/words"):
        visitor.visit(path)
        width = visitor.page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"{path} scrolls sideways at {viewport['width']}px"
    visitor.screenshot(f"w{viewport['width']}-es-part")
