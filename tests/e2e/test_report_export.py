"""An organiser on a tablet exports through the page: refused without a purpose, then downloads
the same tables as CSV, XLSX and JSON (each file parsed: columns, "<10", formula escaping); an
admin reads the export log with the three files and their fingerprints. axe on every page."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import uuid
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyotp
import pytest
from flask import Flask
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import select

from participation.accounts.models import Role
from participation.db import db
from participation.feedback.models import (
    AgeBand,
    Reaction,
    ReactionKind,
    Submission,
    SubmissionSource,
    SubmissionStatus,
)
from participation.plans.content import PlanContent
from participation.plans.models import Plan, Section
from participation.reports.models import ExportRecord
from tests.conftest import STAFF_PASSPHRASE, make_staff
from tests.e2e.conftest import TABLET, Visitor

HYPERLINK = '=HYPERLINK("http://evil.example","click me")'


@pytest.fixture
def visitors(browser: Any, live_server: str, axe_source: str) -> Iterator[Any]:
    contexts: list[Any] = []
    made: list[Visitor] = []

    def make() -> Visitor:
        context = browser.new_context(viewport=TABLET, reduced_motion="reduce",
                                      locale="en-GB", accept_downloads=True,
                                      extra_http_headers={"Accept-Language": "en"})
        context.set_default_timeout(15_000)
        contexts.append(context)
        visitor = Visitor(context.new_page(), live_server, axe_source)
        made.append(visitor)
        return visitor

    yield make
    for visitor in made:
        visitor.check_clean()
    for context in contexts:
        context.close()


def seed(app: Flask) -> None:
    """Twelve English-speaking children agree with part 1 and share ideas there (one of them a
    formula); three French-speaking children do not understand part 2."""
    with app.app_context():
        plan = db.session.scalars(select(Plan)).one()
        parts = db.session.scalars(select(Section.id).where(Section.plan_id == plan.id)
                                   .order_by(Section.position)).all()
        for n in range(12):
            token = f"{n:064d}"
            db.session.add(Reaction(section_id=parts[0], child_token_hash=token,
                                    kind=ReactionKind.AGREE, locale="en",
                                    age_band=AgeBand.AGE_11_13))
            text = HYPERLINK if n == 0 else f"More parks, idea {n}"
            db.session.add(Submission(
                public_id=uuid.uuid4().hex, plan_id=plan.id, section_id=parts[0], locale="en",
                age_band=AgeBand.AGE_11_13, body=text, published_body=text,
                status=SubmissionStatus.APPROVED, source=SubmissionSource.CHILD,
                child_token_hash=token, created_at=datetime(2026, 5, 3, 8, 15, tzinfo=UTC)))
        for n in range(3):
            db.session.add(Reaction(section_id=parts[1], child_token_hash=f"{100 + n:064d}",
                                    kind=ReactionKind.CONFUSED, locale="fr",
                                    age_band=AgeBand.AGE_8_10))
        db.session.commit()


def sign_in(staff: Visitor, email: str, secret: str) -> None:
    page = staff.page
    staff.visit("/staff/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Passphrase").fill(STAFF_PASSPHRASE)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("6-digit code from your authenticator app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Home")


def download(staff: Visitor, format_label: str) -> tuple[str, bytes]:
    """Choose the format, press Download, and return the file's name and bytes."""
    page = staff.page
    page.get_by_role("radio", name=format_label).check()
    with page.expect_download() as info:
        page.get_by_role("button", name="Download").click()
    path = info.value.path()
    assert path is not None
    return info.value.suggested_filename, Path(path).read_bytes()


def test_an_organiser_downloads_each_format_and_an_admin_reads_the_log(
        app: Flask, visitors: Any, demo_plan: PlanContent) -> None:
    seed(app)
    account = make_staff(app, "org@example.org", Role.ORGANISER)
    admin_account = make_staff(app, "admin@example.org", Role.ADMIN)

    organiser: Visitor = visitors()
    page = organiser.page
    sign_in(organiser, account.email, account.totp_secret or "")
    organiser.visit("/staff/reports/exports")
    expect(page.get_by_role("heading", level=1)).to_have_text("Export")
    organiser.screenshot("tablet-en-report-export")

    page.get_by_role("checkbox", name="Reactions").check()
    page.get_by_role("checkbox", name="Shared ideas").check()
    page.get_by_label("Why do you need this file?").fill("report")
    organiser.follow(page.get_by_role("button", name="Download"))
    expect(page.get_by_role("alert")).to_have_text("Please check the fields marked below.")
    expect(page.get_by_text("Say in a few words why you need this file")).to_be_visible()
    organiser.audit()
    organiser.screenshot("tablet-en-report-export-no-purpose")

    expect(page.get_by_role("checkbox", name="Shared ideas")).to_be_checked()
    page.get_by_label("Why do you need this file?").fill("Board meeting in June")
    page.get_by_role("radio", name="By language").check()

    name, data = download(organiser, "CSV (one table per file; several tables come as a zip)")
    assert name.endswith(".zip")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == ["reactions.csv", "shared_ideas.csv"]
        shared = archive.read("shared_ideas.csv")
        reactions = archive.read("reactions.csv")
    assert shared.startswith(b"\xef\xbb\xbf") and reactions.startswith(b"\xef\xbb\xbf")
    ideas = list(csv.DictReader(io.StringIO(shared.decode("utf-8-sig"), newline="")))
    assert list(ideas[0]) == ["idea", "part_number", "part_title", "language", "age_band",
                              "month", "text"]
    assert "'" + HYPERLINK in {idea["text"] for idea in ideas}
    assert {idea["month"] for idea in ideas} == {"2026-05"}
    rows = list(csv.DictReader(io.StringIO(reactions.decode("utf-8-sig"), newline="")))
    french = next(row for row in rows if row["part_number"] == "2" and row["group"] == "fr")
    assert french["children"] == "<10" and french["share_confused"] == ""
    english = next(row for row in rows if row["part_number"] == "1" and row["group"] == "en")
    assert english["children"] == "10" and english["share_agree"] == "100.0"

    name, data = download(organiser, "Excel workbook (XLSX), with an \"About this file\" sheet")
    assert name.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    assert workbook.sheetnames == ["About this file", "reactions", "shared_ideas"]
    about = {row[0]: row[1] for row in workbook["About this file"].iter_rows(values_only=True)}
    assert about["Threshold"] == "10" and about["Breakdown"] == "By language"
    sheet = list(workbook["shared_ideas"].iter_rows(values_only=True))
    assert "'" + HYPERLINK in {row[6] for row in sheet[1:]}
    reaction_sheet = list(workbook["reactions"].iter_rows(values_only=True))
    head = reaction_sheet[0]
    french_row = next(r for r in reaction_sheet[1:] if r[0] == 2 and r[2] == "fr")
    assert french_row[head.index("children")] == "<10"

    name, data = download(organiser, "JSON")
    document = json.loads(data)
    assert document["metadata"]["threshold"] == 10
    assert document["row_counts"]["shared_ideas"] == 12
    assert "'" + HYPERLINK in {idea["text"] for idea in document["tables"]["shared_ideas"]}
    json_digest = hashlib.sha256(data).hexdigest()
    organiser.audit()

    admin: Visitor = visitors()
    sign_in(admin, admin_account.email, admin_account.totp_secret or "")
    admin.visit("/staff/reports/exports/log")
    expect(admin.page.get_by_role("heading", level=1)).to_have_text("Export log")
    rows_on_page = admin.page.get_by_role("table").get_by_role("row")
    expect(rows_on_page).to_have_count(4)  # the header and three exports
    expect(admin.page.get_by_text("Board meeting in June")).to_have_count(3)
    expect(admin.page.get_by_text(json_digest)).to_be_visible()
    admin.screenshot("tablet-en-report-export-log")
    with app.app_context():
        formats = db.session.scalars(select(ExportRecord.format).order_by(ExportRecord.id)).all()
    assert formats == ["csv", "xlsx", "json"]
