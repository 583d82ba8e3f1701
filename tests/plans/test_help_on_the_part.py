"""Help where a child is stuck, over HTTP: "I don't understand" offers three ways on, the help
page leads back to the part, and nothing tells a child on a phone that it is a tablet."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from participation.plans.content import PlanContent
from tests.conftest import ROOT
from tests.feedback.helpers import Child


def test_i_dont_understand_offers_listening_words_and_an_adult(
    app: Flask, client: FlaskClient, demo_plan: PlanContent
) -> None:
    child = Child(client)
    response = child.react("vision", "confused")
    assert response.status_code == 302
    child.get(response.headers["Location"])
    notice = re.search(r'<div class="notice notice-help" role="status">(.*?)</div>', child.page,
                       re.S)
    assert notice, "no help after I don't understand"
    ways = notice.group(1)
    assert "This part is not easy. Here is some help:" in ways
    assert re.search(r'<button[^>]*data-listen="#part-title, #simple-text"', ways)
    assert "Listen to this part" in ways
    assert 'href="#words-list"' in ways and 'id="words-list"' in child.page
    assert 'href="/en/help?part=vision"' in ways
    # Still a reaction like the others: the button shows it pressed.
    assert re.search(r'value="confused"[^>]*aria-pressed="true"', child.page)


def test_other_reactions_get_the_plain_thank_you(
    app: Flask, client: FlaskClient, demo_plan: PlanContent
) -> None:
    child = Child(client, locale="fr")
    child.get(child.react("values", "agree").headers["Location"])
    assert "notice-help" not in child.page
    assert 'class="notice" role="status"' in child.page
    child.open_part("values")  # the thank-you shows once
    assert 'role="status"' not in child.page


@pytest.mark.parametrize(
    ("query", "back"),
    [("?part=priority-3", "/es/plan/priority-3"), ("", "/es/"),
     ("?part=../../staff", "/es/"), ("?part=", "/es/")],
)
def test_help_page_leads_back(
    client: FlaskClient, demo_plan: PlanContent, query: str, back: str
) -> None:
    html = client.get(f"/es/help{query}").get_data(as_text=True)
    link = re.search(r'<p class="back-link">\s*<a href="([^"]+)"', html)
    assert link and link.group(1) == back
    assert "Pregunta a un adulto que esté cerca de ti" in html  # for a child who does not understand
    assert "112" in html  # and, as before, help for a child who may be unsafe


def test_children_never_read_tablet_where_it_may_be_a_phone() -> None:
    """Children may use a phone: their pages say "this device"."""
    templates = ROOT / "templates"
    child_side = [*(templates / "plans").glob("*.html"), templates / "layouts" / "child.html",
                  templates / "macros" / "plan.html", templates / "macros" / "feedback.html",
                  *(templates / "feedback" / name for name in (
                      "_panel.html", "_reaction_notice.html", "help.html", "finish.html"))]
    strings = re.compile(r'_\(\s*"([^"]*)"|_\(\s*\'([^\']*)\'')
    said = [m.group(1) or m.group(2) for path in child_side
            for m in strings.finditer(path.read_text(encoding="utf-8"))]
    assert len(said) > 40
    assert [s for s in said if "tablet" in s.lower()] == []


def test_the_help_page_never_fails(client: FlaskClient, demo_plan: PlanContent,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """With the database gone and no plan in memory, help is still there (only the way back
    to the part is lost)."""
    from sqlalchemy.exc import OperationalError

    def down(locale: str) -> None:
        raise OperationalError("SELECT", {}, Exception("server closed the connection"))

    monkeypatch.setattr("participation.feedback.views.get_plan_view", down)
    response = client.get("/en/help?part=vision")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Childline" in page
    assert "Back to all the parts" in page
