"""Security defaults from the first page: headers, the one sanitiser, cookies, templates."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from participation.plans.content import PlanContent
from participation.security import CONTENT_SECURITY_POLICY, clean_html
from tests.conftest import ROOT


@pytest.mark.parametrize(
    "path", ["/", "/en/", "/fr/plan/vision", "/es/words", "/nowhere", "/static/css/app.css"]
)
def test_security_headers_everywhere(client: FlaskClient, demo_plan: PlanContent, path: str) -> None:
    response = client.get(path)
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "style-src 'self'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    for feature in ("geolocation=()", "camera=()", "microphone=()"):
        assert feature in headers["Permissions-Policy"]
    response.close()


def test_csp_allows_nothing_from_elsewhere() -> None:
    assert "http" not in CONTENT_SECURITY_POLICY
    assert "default-src 'none'" in CONTENT_SECURITY_POLICY


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("<script>alert(1)</script><p>hi</p>", "alert(1)<p>hi</p>"),
        ('<p onclick="x()">hi</p>', "<p>hi</p>"),
        ('<a href="javascript:alert(1)">x</a>', "<a>x</a>"),
        ('<a href="https://evil.example/">x</a>', "<a>x</a>"),
        ('<a class="term" href="#term-un" data-term="un">UN</a>',
         '<a class="term" href="#term-un" data-term="un">UN</a>'),
        ('<img src=x onerror="alert(1)">', ""),
        ('<p style="color:red">x</p>', "<p>x</p>"),
    ],
)
def test_clean_html_allowlist(dirty: str, clean: str) -> None:
    assert str(clean_html(dirty)) == clean


def test_templates_have_no_inline_script_style_or_safe_filter() -> None:
    for path in (ROOT / "templates").rglob("*.html"):
        source = path.read_text(encoding="utf-8")
        assert "|safe" not in source.replace(" ", ""), path
        assert not re.search(r"<script(?![^>]*\bsrc=)", source), path
        assert not re.search(r"\son[a-z]+=", source), path
        assert "style=" not in source and "<style" not in source, path


def test_static_svgs_have_no_styles_or_scripts() -> None:
    for path in (ROOT / "static").rglob("*.svg"):
        source = path.read_text(encoding="utf-8")
        for forbidden in ("<script", "style=", "<style", "href=", "<image"):
            assert forbidden not in source, (path, forbidden)


def test_logs_hold_no_client_address(client: FlaskClient, demo_plan: PlanContent,
                                      caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("DEBUG"):
        client.get("/en/", environ_base={"REMOTE_ADDR": "203.0.113.7"},
                   headers={"User-Agent": "KidTablet/1.0"})
    assert "203.0.113.7" not in caplog.text and "KidTablet" not in caplog.text


def test_pages_with_a_childs_words_or_staff_data_are_never_cached(
    client: FlaskClient, demo_plan: PlanContent
) -> None:
    from tests.feedback.helpers import Child

    child = Child(client)
    sent = child.send("vision", "An idea for the plan")
    assert sent.headers["Cache-Control"] == "no-store"  # every answer to a POST
    confirmation = child.get(sent.headers["Location"])
    assert confirmation.headers["Cache-Control"] == "no-store"
    assert child.get("/en/my-ideas").headers["Cache-Control"] == "no-store"
    public_id = child.sent_id(sent)
    assert child.get(f"/en/my-ideas/{public_id}/withdraw").headers["Cache-Control"] == "no-store"
    for path in ("/staff/login", "/staff/", "/staff/queues", "/staff/concerns/1",
                 "/staff/admin/audit"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path
    # The plan itself may be kept by a slow tablet's cache.
    assert "no-store" not in client.get("/en/plan/vision").headers.get("Cache-Control", "")
