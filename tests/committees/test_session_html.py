"""The session recorder's pages are valid HTML according to the Nu HTML Checker, with and
without errors shown, at every step."""

from __future__ import annotations

import io
from pathlib import Path

from flask import Flask
from PIL import Image

from participation.plans.content import PlanContent
from tests.committees.session_helpers import BASE, FUTURE, load, recorder, session_at, token
from tests.conftest import html_problems


def test_session_pages_validate(app: Flask, demo_plan: PlanContent, tmp_path: Path) -> None:
    who = recorder(app)
    client = who.client
    public_id = session_at(app, who, "statements")
    url = f"{BASE}/{public_id}"
    photo = io.BytesIO()
    Image.effect_noise((40, 30), 50).convert("RGB").save(photo, format="JPEG")
    page = client.get(f"{url}/work").get_data(as_text=True)
    assert client.post(f"{url}/photos", content_type="multipart/form-data", data={
        "csrf_token": token(page), "section": "missing", "caption": "Notre dessin",
        "no_faces_or_names": "y", "photo": (io.BytesIO(photo.getvalue()), "a.jpg")}
    ).status_code == 302
    with app.app_context():
        session = load(app, public_id)
        statement_id, part_id = session.statements[0].id, session.parts[0].id
    consent = client.get(f"{url}/consent").get_data(as_text=True)
    pages = {
        "start": client.get(f"{BASE}/start/{who.committee}").data,
        "session": client.get(url).data,
        "prepare": client.get(f"{url}/prepare").data,
        "prepare-errors": client.post(f"{url}/prepare", data={
            "csrf_token": token(consent), "locale": "fr"}).data,
        "pack": client.get(f"{url}/pack").data,
        "consent": consent.encode(),
        "consent-errors": client.post(f"{url}/consent", data={
            "csrf_token": token(consent), "children_present": "3", "aged_8_10": "-1",
            "aged_11_13": "1", "aged_14_17": "1", "guardian_consents": "3",
            "child_assents": "2", "paper_forms_kept_at": "",
            "paper_forms_kept_until": FUTURE.isoformat()}).data,
        "parts": client.get(f"{url}/parts").data,
        "parts-errors": client.post(f"{url}/parts/{part_id}", data={
            f"part-{part_id}-csrf_token": token(consent), f"part-{part_id}-rank": "-3",
            f"part-{part_id}-votes_agree": "-1"}).data,
        "statement": client.get(f"{url}/statements/{statement_id}").data,
        "work": client.get(f"{url}/work").data,
        "work-errors": client.post(f"{url}/photos", content_type="multipart/form-data",
                                   data={"csrf_token": token(consent), "caption": ""}).data,
        "read-back": client.get(f"{url}/read-back").data,
        "attest": client.get(f"{url}/attest").data,
        "attest-errors": client.post(f"{url}/attest", data={
            "csrf_token": token(consent), "account": ""}).data,
        "concern": client.get(f"{url}/concern").data,
        "concern-errors": client.post(f"{url}/concern", data={
            "csrf_token": token(consent)}).data,
    }
    problems = html_problems(pages, tmp_path)
    assert problems == [], "\n".join(problems)
