"""Ideas shared under a part: the page's language first, the others one tap away, each text
once, and hidden words read naturally (never a literal "[hidden]")."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy.exc import OperationalError

from participation.db import db, utcnow
from participation.feedback.models import AgeBand, Submission, SubmissionStatus
from participation.feedback.queries import SharedIdeasCache, same_idea_key
from participation.plans.content import PlanContent
from participation.plans.queries import get_plan_view
from tests.feedback.helpers import Child

SLUG = "vision"


def share(app: Flask, locale: str, text: str, *, minutes_ago: int = 0,
          slug: str = SLUG) -> None:
    """Builder: an approved idea under a part, in ``locale``, shown as ``text``."""
    with app.test_request_context(f"/{locale}/"):
        plan = get_plan_view(locale)
        assert plan is not None
        db.session.add(Submission(
            public_id=f"{abs(hash((locale, text, minutes_ago))):032x}"[:32],
            plan_id=plan.id, section_id=plan.section_ids[slug], locale=locale,
            age_band=AgeBand.AGE_11_13, body=text, published_body=text,
            status=SubmissionStatus.APPROVED, decided_at=utcnow() - timedelta(minutes=minutes_ago),
        ))
        db.session.commit()


def ideas_section(page: str) -> str:
    match = re.search(r'<section class="panel ideas".*?</section>', page, re.S)
    assert match, "no shared ideas on the page"
    return match.group(0)


@pytest.fixture
def reader(app: Flask, demo_plan: PlanContent) -> Child:
    return Child(app.test_client())


def test_the_pages_language_first_and_the_others_one_tap_away(app: Flask, reader: Child) -> None:
    share(app, "fr", "Plus de parcs pour jouer.")
    share(app, "en", "More parks to play in.")
    share(app, "es", "Más parques para jugar.")
    reader.open_part(SLUG)
    section = ideas_section(reader.page)
    shown, _, others = section.partition("<details")
    assert "More parks to play in." in shown
    assert "Plus de parcs" not in shown and "Más parques" not in shown
    summary = re.search(r"<summary>(.*?)</summary>", others, re.S).group(1)  # type: ignore[union-attr]
    assert "Ideas in other languages:" in summary
    assert '<span lang="fr">Français</span>, <span lang="es">Español</span>' in summary
    assert '<li class="idea" lang="fr"><p>Plus de parcs pour jouer.</p>' in others
    assert '<li class="idea" lang="es"><p>Más parques para jugar.</p>' in others
    assert '<p class="idea-meta" lang="en">A child aged 11 to 13</p>' in others

    reader.get(f"/es/plan/{SLUG}")
    shown, _, others = ideas_section(reader.page).partition("<details")
    assert "Más parques para jugar." in shown and "More parks" not in shown
    assert '<span lang="fr">Français</span>, <span lang="en">English</span>' in others


def test_only_other_languages_and_none_at_all(app: Flask, reader: Child) -> None:
    reader.open_part(SLUG)
    assert "No ideas are shared here yet." in ideas_section(reader.page)
    assert "<details" not in ideas_section(reader.page)
    share(app, "fr", "Des arbres partout.")
    reader.open_part(SLUG)
    section = ideas_section(reader.page)
    assert "No ideas are shared in this language yet." in section
    assert "<details" in section and "Des arbres partout." in section


def test_the_same_idea_is_shown_once(app: Flask, reader: Child) -> None:
    share(app, "en", "More parks!", minutes_ago=3)
    share(app, "en", "more   PARKS", minutes_ago=2)
    share(app, "en", "More parks?!", minutes_ago=1)
    share(app, "fr", "More parks.", minutes_ago=4)  # the same words sent from a French page
    share(app, "en", "More parks for little ones.", minutes_ago=5)
    reader.open_part(SLUG)
    section = ideas_section(reader.page)
    texts = re.findall(r'<li class="idea"[^>]*><p>(.*?)</p>', section)
    assert texts == ["More parks?!", "More parks for little ones."]
    assert "<details" not in section
    assert same_idea_key("¡Más  parques, ya!") == same_idea_key("más parques ya")
    assert same_idea_key("🙂") == "🙂"  # nothing but symbols: compared as written


def test_hidden_words_read_naturally(app: Flask, reader: Child) -> None:
    share(app, "en", "My friend [hidden] and I want a pool at [hidden] [hidden].")
    share(app, "fr", "Je m'appelle [caché] et je veux un parc.")
    share(app, "es", "Me llamo [oculto] y quiero un parque.", minutes_ago=1)
    share(app, "en", "Hidden by hand [...] and <b>bold</b> stays text [Hidden].", minutes_ago=2)
    reader.open_part(SLUG)
    section = ideas_section(reader.page)
    for placeholder in ("[hidden]", "[caché]", "[oculto]", "[...]", "[…]", "[Hidden]"):
        assert placeholder not in section
    marker = ('<span class="hidden-words"><span class="visually-hidden" lang="en">some words'
              ' were hidden</span><span aria-hidden="true">…</span></span>')
    assert f"My friend {marker} and I want a pool at {marker}." in section  # one for a run
    assert f"Je m&#39;appelle {marker} et je veux un parc." in section  # marker in page language
    assert f"Me llamo {marker} y quiero un parque." in section
    assert f"Hidden by hand {marker} and &lt;b&gt;bold&lt;/b&gt; stays text {marker}." in section


def test_the_cache_keeps_its_stale_copy_when_the_database_fails(
    app: Flask, reader: Child, monkeypatch: pytest.MonkeyPatch
) -> None:
    share(app, "en", "Cached before the outage.")
    cache = SharedIdeasCache()
    with app.test_request_context("/en/"):
        plan = get_plan_view("en")
        assert plan is not None
        section_id = plan.section_ids[SLUG]
        first = cache.html(plan.id, section_id, "en")
        assert "Cached before the outage." in first

        def down(*args: object, **kwargs: object) -> None:
            raise OperationalError("SELECT", {}, Exception("database is down"))

        monkeypatch.setattr("participation.feedback.queries.approved_ideas", down)
        assert cache.html(plan.id, section_id, "en") == first
        assert cache.html(plan.id, section_id, "fr") == ""  # nothing cached for it yet
