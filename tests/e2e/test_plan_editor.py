"""Organisers write the plan in real browsers, as they would at work: a part in three languages
with the reading ease moving as they type, a rare word made a word to know in one click and
explained on the words page, the draft seen through a child's phone and tablet, published and
read by a child; two organisers saving the same part; an earlier revision published again.
Every page (and every preview frame) is audited with axe; nothing waits on a clock."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from playwright.sync_api import expect

from participation.accounts.models import Role
from participation.plans.content import PlanContent
from tests.e2e.conftest import PHONE, SCREENSHOTS, TABLET, Visitor
from tests.e2e.test_review_lanes import signed_in

SLUG = "crc-2025-2029"
PLAN = f"/staff/plans/{SLUG}"
SIMPLE = "The simple text, for children"
EASE_RE = re.compile(r"Reading ease: (-?\d+(?:\.\d+)?) ")

# A long, hard sentence and a simple text, per language. The English one has a rare word.
HARD = {
    "fr": "Nonobstant les considérations susmentionnées, l'orientation stratégique de "
          "l'organisation nécessite une reconfiguration institutionnelle approfondie de "
          "l'ensemble des mécanismes participatifs tout au long du processus de consultation.",
    "en": "Notwithstanding the aforementioned considerations, the organisation's strategic "
          "orientation necessitates comprehensive institutional reconfiguration of every "
          "participatory mechanism throughout the consultation process.",
    "es": "No obstante las consideraciones mencionadas anteriormente, la orientación "
          "estratégica de la organización requiere una reconfiguración institucional "
          "exhaustiva de todos los mecanismos participativos durante el proceso de consulta.",
}
EASY = {
    "fr": "Nous rêvons d'un monde où chaque enfant est écouté. Tu as des droits. "
          "Nous t'aidons à les vivre.",
    "en": "We dream of a world where every child is heard. You have rights. "
          "An ombudsperson can help you.",
    "es": "Soñamos con un mundo donde cada niño es escuchado. Tienes derechos. "
          "Te ayudamos a vivirlos.",
}
# The official text, cut to its first paragraph (the last test saves texts of several
# paragraphs from the browser).
OFFICIAL = {
    "fr": "Nous voulons un monde dans lequel les droits de l'homme de tous les enfants sont "
          "respectés, protégés, promus et réalisés, comme le prévoit la Convention des Nations "
          "unies relative aux droits de l'enfant et ses "
          "[[optional-protocol|protocoles facultatifs]].",
    "en": "We want a world in which the human rights of all children are respected, protected, "
          "promoted and fulfilled, as set out in the [[un]] [[crc]] and its "
          "[[optional-protocol|optional protocols]].",
    "es": "Queremos un mundo en el que los derechos humanos de todos los niños y niñas sean "
          "respetados, protegidos, promovidos y realizados, como establece la Convención de las "
          "Naciones Unidas sobre los Derechos del Niño y sus "
          "[[optional-protocol|protocolos facultativos]].",
}
LANGUAGES = {"fr": "French", "en": "English", "es": "Spanish"}
DEFINITION = "A person whose job is to listen when something is unfair, and to help."




def open_plan(staff: Visitor) -> None:
    """From anywhere on the staff side: the staff menu, then the demo plan's overview."""
    page = staff.page
    staff.follow(page.get_by_role("navigation", name="Staff menu").get_by_role(
        "link", name="The plan"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Plans children can read")
    staff.audit()
    staff.follow(page.get_by_role("link", name="Our plan for 2025 to 2029", exact=True))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Plan {SLUG}")
    staff.audit()


def open_part(staff: Visitor, locale: str, part: str, *, status: str = "ready",
              row: str | None = None) -> None:
    """One cell of the overview's grid: a part (in the URL, ``part``) in a language."""
    page = staff.page
    name = f"{status} · {LANGUAGES[locale]} · {row or part}"
    staff.follow(page.get_by_role("link", name=name, exact=True))
    expect(page).to_have_url(re.compile(f"/edit/{locale}/{part}$"))
    staff.audit()


def expect_notice(page: Any, text: str) -> None:
    """The page's notice after a change ("Saved."); edit pages have other status regions."""
    expect(page.get_by_role("status").filter(has_text=text)).to_have_text(text)


def reading_ease(staff: Visitor) -> float:
    line = staff.page.locator("#analysis-simple p").filter(has_text="Reading ease:")
    found = EASE_RE.search(line.inner_text())
    assert found, line.inner_text()
    return float(found.group(1))


def type_and_watch(staff: Visitor, text: str, *, hard: bool) -> float:
    """Replace the simple text and wait for the reading help to answer (it is redrawn after a
    pause in typing); returns the new reading ease."""
    page = staff.page
    analysis = page.locator("#analysis-simple")
    before = analysis.inner_text()
    page.get_by_label(SIMPLE, exact=True).fill(text)
    expect(analysis).not_to_have_text(before)
    ease_line = analysis.locator("p").filter(has_text="Reading ease:")
    expect(ease_line).to_have_class("reading-low" if hard else "reading-ok")
    # Screen readers hear the new reading ease alone, not the whole redrawn analysis.
    expect(page.get_by_role("status").filter(has_text="Reading ease:")).to_have_text(
        ease_line.inner_text())
    return reading_ease(staff)


def audit_frames(staff: Visitor) -> None:
    """axe in each preview frame too: they are the children's real pages."""
    for frame in staff.page.frames[1:]:
        frame.evaluate(staff.axe_source)
        result = frame.evaluate(
            "() => axe.run(document, {runOnly: {type: 'tag', values: "
            "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}})")
        problems = [f"{v['id']}: {v['help']}" for v in result["violations"]]
        assert problems == [], f"axe in frame {frame.url}:\n" + "\n".join(problems)


def test_a_part_written_in_three_languages_is_previewed_published_and_read(
    app: Flask, visitor_factory: Any, demo_plan: PlanContent
) -> None:
    org = signed_in(app, visitor_factory, "org@example.org", Role.ORGANISER)
    page = org.page
    open_plan(org)

    # 1. "vision" in French, English and Spanish: a long hard sentence lowers the reading ease
    # and is listed as long; the simple words raise it above the target.
    for locale in ("fr", "en", "es"):
        open_part(org, locale, "vision")
        analysis = page.locator("#analysis-simple")
        saved = reading_ease(org)
        hard = type_and_watch(org, HARD[locale], hard=True)
        assert hard < saved
        expect(analysis).to_contain_text("Long sentences")
        expect(page.locator("#highlight-simple mark.long-sentence")).to_have_count(1)
        expect(page.locator("#preview-simple")).to_contain_text(HARD[locale][:30])
        if locale == "fr":
            # The checkbox sits just before its label, on the same line.
            ready = page.get_by_label("Ready to publish in this language")
            expect(ready).to_be_checked()
            box, label = ready.bounding_box(), page.locator("label[for=ready]").bounding_box()
            assert box and label and box["x"] < label["x"] < box["x"] + 60
            assert abs(box["y"] + box["height"] / 2 - label["y"] - label["height"] / 2) < 4
        if locale == "en":
            org.audit()  # with the long sentence and the rare words' buttons
            # The formatting toolbar is one Tab stop and the arrow keys move along it: bold, by
            # keyboard, on the word around the caret.
            area = page.get_by_label(SIMPLE, exact=True)
            area.evaluate("area => { area.focus(); area.setSelectionRange(3, 3); }")
            page.keyboard.press("Shift+Tab")
            toolbar = page.get_by_role("toolbar", name=f"Formatting · {SIMPLE}")
            expect(toolbar.get_by_role("button", name="Bold")).to_be_focused()
            page.keyboard.press("ArrowRight")
            expect(toolbar.get_by_role("button", name="List")).to_be_focused()
            page.keyboard.press("ArrowLeft")
            page.keyboard.press("Enter")
            expect(area).to_have_value(re.compile(r"^\*\*Notwithstanding\*\* the "))
            expect(page.locator("#preview-simple strong")).to_have_text("Notwithstanding")
            org.screenshot("plan-editor-edit-en-hard")
        easy = type_and_watch(org, EASY[locale], hard=False)
        assert easy > hard and easy >= 70
        expect(analysis).not_to_contain_text("Long sentences")
        expect(page.locator("#preview-simple")).to_have_text(EASY[locale])

        if locale == "en":
            # 2. The rare word joins the words to know in one click and is linked in the text.
            add = page.get_by_role("button", name="Add “ombudsperson” to the words to know")
            expect(page.locator("#highlight-simple mark.rare-word")).to_have_text("ombudsperson")
            add.click()
            expect(page.get_by_label(SIMPLE, exact=True)).to_have_value(
                re.compile(re.escape("[[ombudsperson|ombudsperson]]")))
            expect(analysis).to_contain_text("“ombudsperson” is now linked to the words to know")
            expect(add).to_have_count(0)
            expect(page.locator("#preview-simple a.term")).to_have_text("ombudsperson")
            org.audit()
        page.get_by_label("The official text", exact=True).fill(OFFICIAL[locale])
        org.follow(page.get_by_role("button", name="Save", exact=True))
        expect_notice(page, "Saved.")
        expect(page.get_by_label(SIMPLE, exact=True)).to_have_value(
            EASY[locale].replace("ombudsperson", "[[ombudsperson|ombudsperson]]"))
        if locale == "en":
            org.audit()  # with the notice
        org.follow(page.get_by_role("link", name="Back to the plan"))

    # 2 (cont.). The words page lists the new word without its definition; it is given there.
    # Until then English cannot be published.
    expect(page.get_by_text("Can be published now in: French and Spanish.")).to_be_visible()
    org.follow(page.get_by_role("row", name=re.compile("^Words to know ")).get_by_role(
        "link", name=re.compile("English$")))
    expect(page.get_by_role("heading", level=1)).to_have_text("Words to know · English")
    row = page.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="ombudsperson", exact=True))
    expect(row).to_contain_text("no definition yet")
    org.audit()
    row.get_by_label("What it means, for a child").fill(DEFINITION)
    org.follow(row.get_by_role("button", name="Save · ombudsperson"))  # which word, to hear
    expect_notice(page, "Saved.")
    expect(row).to_contain_text(DEFINITION)
    expect(row).not_to_contain_text("no definition yet")
    org.audit()
    org.follow(page.get_by_role("link", name="Back to the plan"))
    expect(page.get_by_text("Can be published now in: French, English, and Spanish.")
           ).to_be_visible()

    # 3. The draft through a child's eyes: the real pages, in a phone and a tablet frame.
    open_part(org, "en", "vision")
    org.follow(page.get_by_role("link", name="See it as a child"))
    expect(page.get_by_role("heading", level=1)).to_have_text("As a child sees it · English")
    current = page.get_by_role("navigation", name="Pages to preview").get_by_role(
        "link", name="Our dream")
    expect(current).to_have_attribute("aria-current", "page")
    expect(current).to_have_css("font-weight", "700")  # seen, not only announced
    for name, size in (("Preview on a phone", PHONE), ("Preview on a tablet", TABLET)):
        frame = page.frame_locator(f'iframe[title="{name}"]')
        expect(frame.get_by_role("heading", level=1)).to_have_text("Our dream")
        expect(frame.locator("#simple-text")).to_contain_text("We dream of a world where every")
        expect(frame.locator("#simple-text a.term")).to_have_text("ombudsperson")
        # The child's page gets the device's whole screen, inside the frame's border.
        assert frame.locator("html").evaluate("() => [innerWidth, innerHeight]") == [
            size["width"], size["height"]]
    org.audit()
    audit_frames(org)
    org.screenshot("plan-editor-look-en-vision")
    assert (SCREENSHOTS / "plan-editor-look-en-vision.png").exists()
    org.follow(page.get_by_role("link", name="Back to the plan"))

    # 4. Published in all three languages, and read by a child in each.
    org.follow(page.get_by_role("link", name="Publish…"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Publish the plan")
    for language in LANGUAGES.values():
        expect(page.get_by_label(language)).to_be_checked()
    expect(page.get_by_text("Below the reading-ease target")).to_have_count(0)
    org.audit()
    org.follow(page.get_by_role("button", name="Publish", exact=True))
    expect_notice(page, "Published: revision 2.")
    expect(page.get_by_text("Published revision: 2.")).to_be_visible()
    org.audit()

    child = visitor_factory(viewport=PHONE)
    for locale in ("fr", "es", "en"):
        child.visit(f"/{locale}/plan/vision")
        expect(child.page.locator("#simple-text")).to_have_text(
            re.compile(re.escape(EASY[locale][:25])))
    # The English word to know is linked, and its definition is in the words to know.
    child.page.locator("#simple-text a.term", has_text="ombudsperson").click()
    expect(child.page.get_by_role("dialog")).to_contain_text(DEFINITION)
    child.audit()
    child.screenshot("plan-editor-child-en-vision", full_page=False)


def test_two_organisers_saving_the_same_part_see_both_versions(
    app: Flask, visitor_factory: Any, demo_plan: PlanContent
) -> None:
    first = signed_in(app, visitor_factory, "first@example.org", Role.ORGANISER)
    second = signed_in(app, visitor_factory, "second@example.org", Role.ORGANISER)
    open_plan(first)
    open_part(first, "fr", "values")
    second.visit(f"{PLAN}/edit/fr/values")  # the second one from a bookmark
    theirs_words = "Première version, écrite par la première personne."
    mine_words = "Seconde version, écrite par la seconde personne."
    first.page.get_by_label(SIMPLE, exact=True).fill(theirs_words)
    second.page.get_by_label("Title").fill("Ce que nous croyons")
    second.page.get_by_label(SIMPLE, exact=True).fill(mine_words)
    first.follow(first.page.get_by_role("button", name="Save", exact=True))
    expect_notice(first.page, "Saved.")

    # The second save is refused: nothing is lost, both versions are on the page.
    page = second.page
    second.follow(page.get_by_role("button", name="Save", exact=True))
    expect(page.get_by_role("heading", level=1)).to_have_text("Someone else saved this part")
    expect(page.get_by_role("alert")).to_contain_text(
        "another person saved this part in French")
    theirs = page.get_by_role("region", name="Saved by the other person")
    mine = page.get_by_role("region", name="Yours, not saved")
    expect(theirs).to_contain_text(theirs_words)
    for heading in (SIMPLE, "The official text"):
        expect(theirs.get_by_role("heading", name=heading)).to_be_visible()
    expect(theirs).to_contain_text("En quoi croyons-nous ?")
    expect(theirs).not_to_contain_text(mine_words)
    expect(mine.get_by_label(SIMPLE, exact=True)).to_have_value(mine_words)
    expect(mine.get_by_label("Title")).to_have_value("Ce que nous croyons")
    # Room to write: the fields are as wide as their card.
    field, card = mine.get_by_label(SIMPLE, exact=True).bounding_box(), mine.bounding_box()
    assert field and card and field["width"] > card["width"] * 0.8
    second.audit()
    second.screenshot("plan-editor-conflict-fr-values")

    second.follow(mine.get_by_role("button", name="Save mine over theirs"))
    expect_notice(page, "Saved.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ce que nous croyons · French")
    expect(page.get_by_label(SIMPLE, exact=True)).to_have_value(mine_words)
    second.audit()
    # The first organiser, opening the part again, finds the words saved over theirs.
    first.follow(first.page.get_by_role("link", name="Back to the plan"))
    open_part(first, "fr", "values")
    expect(first.page.get_by_label(SIMPLE, exact=True)).to_have_value(mine_words)


def test_an_earlier_revision_is_published_again_and_children_read_its_words(
    app: Flask, visitor_factory: Any, demo_plan: PlanContent
) -> None:
    welcome = "¡Hola! Este plan es para ti. Lee una parte cada día."
    earlier = "¡Hola y te damos la bienvenida!"
    org = signed_in(app, visitor_factory, "org@example.org", Role.ORGANISER)
    page = org.page
    open_plan(org)
    open_part(org, "es", "_plan", row="The plan's own words")
    page.get_by_label("Welcome on the first page", exact=True).fill(welcome)
    org.follow(page.get_by_role("button", name="Save", exact=True))
    expect_notice(page, "Saved.")
    org.follow(page.get_by_role("link", name="Back to the plan"))
    org.follow(page.get_by_role("link", name="Publish…"))
    org.follow(page.get_by_role("button", name="Publish", exact=True))
    expect_notice(page, "Published: revision 2.")
    org.audit()
    child = visitor_factory(viewport=PHONE)
    child.visit("/es/")
    expect(child.page.locator(".intro")).to_have_text(welcome)

    # Revision 2 shows what changed; revision 1 is published again from its own page.
    revisions = page.get_by_role("region", name="Revisions")
    org.follow(revisions.get_by_role("link", name="2", exact=True))
    expect(page.get_by_role("heading", level=1)).to_have_text("Revision 2 · current")
    expect(page.get_by_role("heading", level=2)).to_have_text(
        "What changed since revision 1")
    change = page.get_by_role("row", name=re.compile("^The plan's own words Spanish intro "))
    expect(change.locator("del").first).to_have_text(earlier)
    expect(change.locator("ins").last).to_have_text("parte cada día.")
    expect(page.get_by_role("button", name="Publish this revision again")).to_have_count(0)
    org.audit()
    org.follow(page.get_by_role("link", name="Back to the plan"))
    org.follow(revisions.get_by_role("link", name="1", exact=True))
    expect(page.get_by_role("heading", level=1)).to_have_text("Revision 1")
    org.audit()
    org.follow(page.get_by_role("button", name="Publish this revision again"))
    expect_notice(page, "Revision 1 is published again as revision 3.")
    expect(page.get_by_text("Published revision: 3.")).to_be_visible()
    org.audit()

    child.visit("/es/")
    expect(child.page.locator(".intro")).to_contain_text(earlier)
    expect(child.page.locator(".intro")).not_to_contain_text(welcome)


def test_a_part_saved_unchanged_in_the_browser_can_still_be_published(
    app: Flask, visitor_factory: Any, demo_plan: PlanContent
) -> None:
    org = signed_in(app, visitor_factory, "org@example.org", Role.ORGANISER)
    page = org.page
    org.visit(f"{PLAN}/edit/en/vision")  # texts of several paragraphs, as most parts have
    org.follow(page.get_by_role("button", name="Save", exact=True))
    expect_notice(page, "Saved.")
    org.visit(f"{PLAN}/publish")
    org.follow(page.get_by_role("button", name="Publish", exact=True))
    problems = page.get_by_role("alert")
    assert problems.count() == 0, problems.all_inner_texts()
    expect_notice(page, "Published: revision 2.")
