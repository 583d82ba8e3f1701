"""Child pages over HTTP: cards, parts, glossary, progress, friendly 404s, page weight."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from participation.plans.content import PlanContent
from participation.plans.progress import PROGRESS_COOKIE
from tests.conftest import ROOT

LOCALES = ("fr", "en", "es")


def body(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined]


@pytest.mark.parametrize("locale", LOCALES)
def test_home_shows_every_part_as_a_card(
    client: FlaskClient, demo_plan: PlanContent, locale: str
) -> None:
    response = client.get(f"/{locale}/")
    assert response.status_code == 200
    html = body(response)
    texts = demo_plan.locales[locale]
    assert f'<html lang="{locale}" dir="ltr">' in html
    assert texts.title in html
    for spec in demo_plan.sections:
        assert f'href="/{locale}/plan/{spec.slug}"' in html
        assert texts.sections[spec.slug].title.replace("'", "&#39;") in html
    assert html.count('class="card"') == 9
    assert '<progress id="reading-progress" max="9" value="0">' in html


@pytest.mark.parametrize("locale", LOCALES)
def test_section_page(client: FlaskClient, demo_plan: PlanContent, locale: str) -> None:
    response = client.get(f"/{locale}/plan/priority-2")
    assert response.status_code == 200
    html = body(response)
    assert '<details class="official">' in html
    # Every glossary link on the page points at a definition on the same page.
    linked = set(re.findall(r'href="#term-([a-z0-9-]+)"', html))
    defined = set(re.findall(r'id="term-([a-z0-9-]+)"', html))
    assert linked and linked <= defined
    assert 'rel="prev" ' in html or 'rel="prev"' in html
    assert f'href="/{locale}/plan/priority-3"' in html
    # The listen buttons only appear when the browser can speak (JS unhides them): the part,
    # and its words to know, folded away (a <details>, closed) so the reactions come sooner.
    assert re.search(r'<button[^>]*data-listen="#part-title, #simple-text"[^>]*hidden>', html, re.S)
    assert re.search(r'<button[^>]*data-listen="#words-title, #words-list"[^>]*hidden>', html, re.S)
    assert '<details class="words" id="words">' in html
    # The footer's help link leads back to this part.
    assert f'href="/{locale}/help?part=priority-2"' in html


def test_reading_progress_lives_in_a_cookie(client: FlaskClient, demo_plan: PlanContent) -> None:
    client.get("/en/plan/values")
    client.get("/en/plan/vision")
    cookie = client.get_cookie(PROGRESS_COOKIE)
    assert cookie is not None and cookie.value == "vision.values"  # reading order
    assert cookie.http_only
    html = body(client.get("/en/"))
    assert '<progress id="reading-progress" max="9" value="2">' in html
    assert "You have read 2 parts out of 9." in html
    assert html.count("is-read") == 2


def test_progress_cookie_ignores_unknown_parts(client: FlaskClient, demo_plan: PlanContent) -> None:
    client.set_cookie(PROGRESS_COOKIE, "vision.<script>.nope")
    html = body(client.get("/fr/"))
    assert "Tu as lu 1 partie sur 9." in html


def test_glossary_page_lists_every_word(client: FlaskClient, demo_plan: PlanContent) -> None:
    html = body(client.get("/es/words"))
    for entry in demo_plan.locales["es"].glossary.values():
        assert f'id="term-{entry.key}"' in html


@pytest.mark.parametrize(
    ("url", "accept", "expected"),
    [
        ("/en/plan/no-such-part", "fr", "We can't find this page"),
        ("/de/", "es", "No encontramos esta página"),
        ("/fr/nothing-here", "en", "Nous ne trouvons pas cette page"),
        ("/xx/plan/vision", "fr", "Nous ne trouvons pas cette page"),
    ],
)
def test_friendly_translated_404(
    client: FlaskClient, demo_plan: PlanContent, url: str, accept: str, expected: str
) -> None:
    response = client.get(url, headers={"Accept-Language": accept})
    assert response.status_code == 404
    assert expected in body(response)
    assert "Traceback" not in body(response)


def test_home_without_a_plan_says_so_kindly(client: FlaskClient) -> None:
    response = client.get("/en/")
    assert response.status_code == 200
    assert "The plan is on its way" in body(response)
    assert client.get("/en/plan/vision").status_code == 404


def test_server_error_is_kind(app: Flask, client: FlaskClient, demo_plan: PlanContent,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("participation.plans.views.get_plan_view", explode)
    app.logger.disabled = True
    try:
        response = client.get("/es/plan/vision")
    finally:
        app.logger.disabled = False
    assert response.status_code == 500
    assert "Es culpa nuestra, no tuya." in body(response)


def test_reloaded_content_is_served(app: Flask, client: FlaskClient, runner: object,
                                    demo_plan: PlanContent, tmp_path: Path) -> None:
    import shutil

    import yaml

    assert "Who are we?" in body(client.get("/en/"))
    assert "Who are we?" in body(client.get("/en/plan/who-we-are"))  # now cached for the worker
    folder = tmp_path / "plan"
    shutil.copytree(ROOT / "content/plans/crc-2025-2029", folder)
    data = yaml.safe_load((folder / "en.yaml").read_text(encoding="utf-8"))
    data["sections"]["who-we-are"]["title"] = "Hello, this is us"
    (folder / "en.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = runner.invoke(args=["load-plan", str(folder)])  # type: ignore[attr-defined]
    assert result.exit_code == 0
    assert "Hello, this is us" in body(client.get("/en/"))
    assert "Hello, this is us" in body(client.get("/en/plan/who-we-are"))


ASSET_RE = re.compile(r'(?:src|href)="(/static/[^"]+)"')


def test_section_page_cold_load_is_under_100_kb(client: FlaskClient, demo_plan: PlanContent) -> None:
    """HTML plus every same-origin asset it references, as a first visit downloads them."""
    sizes = {}
    for locale in LOCALES:
        html = body(client.get(f"/{locale}/plan/priority-1"))
        total = len(html.encode())
        for asset in set(ASSET_RE.findall(html)):
            response = client.get(asset)
            assert response.status_code == 200, asset
            total += len(response.data)
            response.close()
        sizes[locale] = total
    assert max(sizes.values()) <= 100 * 1024, sizes


@pytest.mark.parametrize("path", ["/", "/en/", "/fr/plan/vision", "/es/words", "/en/missing"])
def test_no_request_leaves_the_origin(client: FlaskClient, demo_plan: PlanContent, path: str) -> None:
    html = body(client.get(path, follow_redirects=True))
    external = re.findall(r'(?:src|href|action)="((?:https?:)?//[^"]+)"', html)
    assert external == []
    for asset in set(ASSET_RE.findall(html)):
        response = client.get(asset)
        text = response.get_data(as_text=True)
        response.close()
        assert not re.search(r"url\((?:['\"])?(?:https?:)?//", text), asset
        assert "@import" not in text
