"""Content files: validation names the file and field; markup converts to allowlisted HTML."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from participation.i18n import typeset
from participation.plans.content import (
    ContentError,
    GlossaryEntry,
    markup_to_html,
    markup_to_plain,
    read_plan_folder,
    terms_used,
)
from participation.security import clean_html
from tests.conftest import DEMO_PLAN

GLOSSARY = {"un": GlossaryEntry("un", "UN", "The United Nations.")}


@pytest.fixture
def plan_copy(tmp_path: Path) -> Path:
    target = tmp_path / "plan"
    shutil.copytree(DEMO_PLAN, target)
    return target


def edit(path: Path, change: object) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)  # type: ignore[operator]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def problems_for(folder: Path) -> list[str]:
    with pytest.raises(ContentError) as info:
        read_plan_folder(folder)
    return info.value.problems


def test_demo_plan_is_valid_and_complete() -> None:
    content = read_plan_folder(DEMO_PLAN)
    assert [s.slug for s in content.sections] == [
        "who-we-are", "vision", "values", "priority-1", "priority-2",
        "priority-3", "priority-4", "changes", "take-part",
    ]
    assert set(content.locales) == {"fr", "en", "es"}
    keys = {locale: set(c.glossary) for locale, c in content.locales.items()}
    assert keys["fr"] == keys["en"] == keys["es"]
    for wanted in ("un", "ecosoc", "human-rights-defender", "accountability"):
        assert wanted in keys["en"]


def test_missing_field_names_file_and_field(plan_copy: Path) -> None:
    edit(plan_copy / "es.yaml", lambda d: d["sections"]["vision"].pop("simple"))
    problems = problems_for(plan_copy)
    assert problems == [f"{plan_copy / 'es.yaml'}: sections.vision.simple: missing or not a non-empty text"]


def test_unknown_glossary_key_is_reported(plan_copy: Path) -> None:
    edit(plan_copy / "fr.yaml", lambda d: d["sections"]["values"].update(simple="Voir [[nope]]."))
    assert any(
        "fr.yaml: sections.values.simple: glossary key 'nope'" in p for p in problems_for(plan_copy)
    )


def test_html_and_malformed_marks_are_refused(plan_copy: Path) -> None:
    edit(plan_copy / "en.yaml", lambda d: d["sections"]["vision"].update(
        simple="<script>alert(1)</script> and [[un"))
    problems = problems_for(plan_copy)
    assert any("sections.vision.simple: HTML is not allowed" in p for p in problems)
    assert any("sections.vision.simple: malformed glossary mark" in p for p in problems)


def test_section_lists_must_match(plan_copy: Path) -> None:
    edit(plan_copy / "en.yaml", lambda d: d["sections"].update(extra={"title": "x"}))
    edit(plan_copy / "plan.yaml", lambda d: d["sections"].append({"slug": "Bad Slug", "icon": "rocket"}))
    problems = problems_for(plan_copy)
    assert any("en.yaml: sections.extra: is not a section listed in plan.yaml" in p for p in problems)
    assert any("plan.yaml: sections[9].slug: use lowercase" in p for p in problems)
    assert any("plan.yaml: sections[9].icon: unknown icon 'rocket'" in p for p in problems)


def test_glossary_keys_must_match_across_locales(plan_copy: Path) -> None:
    edit(plan_copy / "es.yaml", lambda d: d["glossary"].pop())
    assert any("es.yaml: glossary: key" in p and "is missing" in p for p in problems_for(plan_copy))


def test_bad_yaml_and_missing_files(plan_copy: Path) -> None:
    (plan_copy / "fr.yaml").write_text("sections: [unclosed", encoding="utf-8")
    (plan_copy / "es.yaml").unlink()
    problems = problems_for(plan_copy)
    assert any(p.startswith(f"{plan_copy / 'fr.yaml'}: not valid UTF-8 YAML") for p in problems)
    assert f"{plan_copy / 'es.yaml'}: file not found" in problems


def test_bad_version_and_not_a_folder(plan_copy: Path, tmp_path: Path) -> None:
    edit(plan_copy / "plan.yaml", lambda d: d.update(version="two"))
    assert any("plan.yaml: version: must be a whole number" in p for p in problems_for(plan_copy))
    assert "not a folder" in problems_for(tmp_path / "missing")[0]


def test_markup_to_html() -> None:
    html = markup_to_html(
        "Hello **you** & the [[un]]!\n\n- One [[un|U.N.]].\n- Two\n  wrapped.\n\nEnd <b>.", GLOSSARY
    )
    assert html == (
        '<p>Hello <strong>you</strong> &amp; the '
        '<a class="term" href="#term-un" data-term="un">UN</a>!</p>'
        '<ul><li>One <a class="term" href="#term-un" data-term="un">U.N.</a>.</li>'
        "<li>Two wrapped.</li></ul><p>End &lt;b&gt;.</p>"
    )
    assert clean_html(html) == html  # the converter only produces allowlisted HTML


def test_bold_may_wrap_a_glossary_word() -> None:
    assert markup_to_html("**Why the [[un]]?**", GLOSSARY) == (
        '<p><strong>Why the <a class="term" href="#term-un" data-term="un">UN</a>?</strong></p>'
    )


def test_plain_text_and_terms() -> None:
    markup = "**The** [[un]] and [[un|U.N.]].\n- item one."
    assert markup_to_plain(markup, GLOSSARY) == "The UN and U.N..\nitem one."
    assert terms_used(markup) == ["un"]


def test_french_texts_never_break_before_a_mark(plan_copy: Path) -> None:
    """Writers type plain spaces; French pages get no-break ones, other languages are untouched."""

    def plain_spaces(data: dict) -> None:  # type: ignore[type-arg]
        data["sections"]["who-we-are"]["title"] = "Qui sommes-nous ? « Nous » : tous !"

    edit(plan_copy / "fr.yaml", plain_spaces)
    edit(plan_copy / "en.yaml", lambda data: data["sections"]["who-we-are"].update(
        title="Who are we ? Us : all !"))
    content = read_plan_folder(plan_copy)
    assert (content.locales["fr"].sections["who-we-are"].title
            == "Qui sommes-nous\u202f? «\u00a0Nous\u00a0»\u00a0: tous\u202f!")
    assert content.locales["en"].sections["who-we-are"].title == "Who are we ? Us : all !"
    french = content.locales["fr"]
    texts = [french.title, french.intro] + [
        text for section in french.sections.values()
        for text in (section.title, section.summary, section.simple, section.official)
    ] + [entry.definition for entry in french.glossary.values()]
    for text in texts:
        assert not re.search(r"[ \t][?!;:»]|«[ \t]", text), text
    assert "https://" in typeset("Voir https://example.org !", "fr")
