"""Language choice (URL, cookie, Accept-Language) and the completeness of the catalogues."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

from participation.i18n import LANG_COOKIE
from participation.plans.content import PlanContent
from tests.conftest import ROOT

LOCALES = ("fr", "en", "es")


@pytest.mark.parametrize(
    ("accept", "expected"),
    [("es-ES,es;q=0.9", "/es/"), ("en-GB,en;q=0.8", "/en/"), ("de-DE", "/fr/"), ("", "/fr/"),
     ("de;q=1.0, es;q=0.5", "/es/")],
)
def test_first_visit_follows_accept_language(
    client: FlaskClient, accept: str, expected: str
) -> None:
    response = client.get("/", headers={"Accept-Language": accept})
    assert response.status_code == 302
    assert response.headers["Location"] == expected
    assert "Accept-Language" in response.headers["Vary"]


def test_choice_is_remembered_in_a_cookie(client: FlaskClient, demo_plan: PlanContent) -> None:
    client.get("/es/plan/vision")
    cookie = client.get_cookie(LANG_COOKIE)
    assert cookie is not None and cookie.value == "es" and cookie.http_only
    response = client.get("/", headers={"Accept-Language": "en"})
    assert response.headers["Location"] == "/es/"


def test_bad_cookie_is_ignored(client: FlaskClient) -> None:
    client.set_cookie(LANG_COOKIE, "xx")
    assert client.get("/", headers={"Accept-Language": "en"}).headers["Location"] == "/en/"


def test_language_switcher_keeps_the_page(client: FlaskClient, demo_plan: PlanContent) -> None:
    html = client.get("/en/plan/values").get_data(as_text=True)
    assert '<a href="/fr/plan/values" hreflang="fr" lang="fr"' in html
    assert '<a href="/es/plan/values" hreflang="es" lang="es"' in html
    assert 'aria-current="true">English</a>' in html


def _catalogue(locale: str) -> dict[str, object]:
    with open(ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalog = read_po(handle, locale=locale)
    return {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog if m.id}


def test_catalogues_are_not_stale(tmp_path: Path) -> None:
    """Every string in the code is in every catalogue, and no catalogue keeps dead strings."""
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "_l", "-k", "lazy_pgettext:1c,2", "--no-location", "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    with open(pot, "rb") as handle:
        extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    assert extracted, "no strings extracted"
    for locale in LOCALES:
        in_catalogue = set(_catalogue(locale))
        assert extracted - in_catalogue == set(), f"{locale}: run `make update-strings`"
        assert in_catalogue - extracted == set(), f"{locale}: obsolete strings"


@pytest.mark.parametrize("locale", LOCALES)
def test_catalogues_are_complete(locale: str) -> None:
    for msgid, message in _catalogue(locale).items():
        strings = [message.string] if isinstance(message.string, str) else list(message.string)  # type: ignore[attr-defined]
        assert all(s.strip() for s in strings), f"{locale}: untranslated {msgid!r}"
        assert not message.fuzzy, f"{locale}: fuzzy {msgid!r}"  # type: ignore[attr-defined]
        for placeholder in ("%(num)s", "%(total)s", "%(number)s"):
            if placeholder in msgid:
                assert all(placeholder in s for s in strings), f"{locale}: {msgid!r}"


def test_pages_are_translated(client: FlaskClient, demo_plan: PlanContent) -> None:
    assert "Toutes les parties" in client.get("/fr/plan/vision").get_data(as_text=True)
    assert "Todas las partes" in client.get("/es/plan/vision").get_data(as_text=True)
