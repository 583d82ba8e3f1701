"""Organisers' exports over HTTP: CSV (BOM, one table or a zip), XLSX (read back with openpyxl)
and JSON; suppression, formula escaping, what is never exported, the purpose, the export log
(hash of the exact bytes sent, interrupted downloads) and who may export."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select
from werkzeug.test import TestResponse

from participation.accounts.models import Role
from participation.answers.models import (
    Answer,
    AnswerStatus,
    AnswerSubject,
    AnswerText,
    Decision,
)
from participation.audit.models import AuditEvent
from participation.committees.models import (
    Committee,
    CommitteeKind,
    CommitteeSession,
    GroupPosition,
    SessionPart,
    SessionStatus,
    Statement,
    StatementKind,
    StatementVoice,
)
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
from participation.reports.exports import TABLES, escape_formula
from participation.reports.models import ExportRecord
from tests.conftest import csrf_token, html_problems, make_staff

EXPORTS = "/staff/reports/exports"
TRICKY = ['=HYPERLINK("http://evil.example","click")', "+1", "-2", "@x", "\t=1", "\r=2"]
SECRETS = {
    "token hash": "tokenhash",  # every child_token_hash below starts with it
    "idempotency key": "idemkey",
    "idea code hash": "codehash",
    "raw words": "MY REAL NAME IS ZOE",
    "pending words": "STILL WAITING FOR AN ADULT",
    "rejected words": "NOT SHARED WORDS",
    "suggested redaction": "SUGGESTED REDACTION",
    "escalation note": "NOTE FOR THE LEAD",
    "screening flag": "personal_info",
    "rejection reason": "off_topic",
    "hidden committee name": "Secret Valley Committee",
    "facilitator's account": "facilitator's own words",
    "draft answer": "DRAFT ANSWER WORDS",
    "reviewer": "reviewer@example.org",
    "committee statement waiting": "STATEMENT NOT YET APPROVED",
}


@dataclass(frozen=True)
class Seeded:
    plan_id: int
    submission_ids: list[str]  # public ids: never in a file


def _idea(plan_id: int, section_id: int | None, n: int, *, text: str, locale: str = "en",
          band: AgeBand | None = AgeBand.AGE_11_13, status: SubmissionStatus =
          SubmissionStatus.APPROVED, body: str | None = None, **extra: Any) -> Submission:
    idea = Submission(
        public_id=uuid.uuid4().hex, plan_id=plan_id, section_id=section_id, locale=locale,
        age_band=band, body=body or text, status=status, source=SubmissionSource.CHILD,
        published_body=text if status == SubmissionStatus.APPROVED else None,
        child_token_hash=f"tokenhash{n:055d}", idempotency_key=f"idemkey{n:057d}",
        code_hash=f"codehash{n:056d}", screening={"urgent": False, "flags": ["personal_info"]},
        created_at=datetime(2026, 5, 14, 9, 41, 7, tzinfo=UTC), **extra)
    db.session.add(idea)
    return idea


def seed(app: Flask) -> Seeded:
    """Twelve English-speaking 11-13s on part 1 (a cell that reaches 10), three French ideas on
    part 2 (a small cell), tricky texts, and everything that must never leave the app."""
    with app.app_context():
        plan_id = db.session.scalars(select(Plan.id)).one()
        sections = db.session.scalars(select(Section.id).where(Section.plan_id == plan_id)
                                      .order_by(Section.position)).all()
        reviewer = make_staff(app, "reviewer@example.org", Role.FACILITATOR)
        ideas = [_idea(plan_id, sections[0], n, text=f"Shared idea number {n}",
                       decided_by_id=reviewer.id) for n in range(6)]
        ideas += [_idea(plan_id, sections[0], 6 + n, text=text) for n, text in enumerate(TRICKY)]
        ideas.append(_idea(plan_id, sections[0], 20, text="My name is [name]",
                           body="MY REAL NAME IS ZOE",
                           suggested_redaction="SUGGESTED REDACTION"))
        ideas += [_idea(plan_id, sections[1], 30 + n, text=f"Une idée {n}", locale="fr",
                        band=AgeBand.AGE_8_10) for n in range(3)]
        ideas.append(_idea(plan_id, None, 40, text="Something about sport", locale="es"))
        ideas.append(_idea(plan_id, sections[0], 50, text="", body="STILL WAITING FOR AN ADULT",
                           status=SubmissionStatus.PENDING,
                           escalation_note="NOTE FOR THE LEAD"))
        ideas.append(_idea(plan_id, sections[0], 51, text="", body="NOT SHARED WORDS",
                           status=SubmissionStatus.REJECTED, rejection_reason="off_topic"))

        facilitator = make_staff(app, "fac@example.org", Role.FACILITATOR)
        hidden = Committee(public_id=uuid.uuid4().hex, name="Secret Valley Committee",
                           name_is_public=False, kind=CommitteeKind.LOCAL, region="North",
                           locales=["en"], supporting_organisation="Org",
                           mandate_starts_on=date(2025, 1, 1))
        public = Committee(public_id=uuid.uuid4().hex, name="@Open Committee",
                           name_is_public=True, kind=CommitteeKind.NATIONAL, region="South",
                           locales=["fr"], supporting_organisation="Org",
                           mandate_starts_on=date(2025, 1, 1))
        db.session.add_all([hidden, public])
        db.session.flush()
        for committee, n in ((hidden, 60), (public, 70)):
            session = CommitteeSession(
                public_id=uuid.uuid4().hex, committee_id=committee.id, plan_id=plan_id,
                facilitator_id=facilitator.id, locale="en", held_on=date(2026, 4, 20),
                status=SessionStatus.ACCEPTED, children_present=7, child_assents=7,
                guardian_consents=7, account="facilitator's own words")
            db.session.add(session)
            db.session.flush()
            db.session.add(SessionPart(session_id=session.id, section_id=sections[0],
                                       position=1, group_position=GroupPosition.AGREE))
            approved = Submission(
                public_id=uuid.uuid4().hex, plan_id=plan_id, section_id=sections[0],
                locale="en", body="We ask for parks", published_body="We ask for parks",
                status=SubmissionStatus.APPROVED, source=SubmissionSource.COMMITTEE,
                idempotency_key=f"idemkey{n:057d}")
            waiting = Submission(
                public_id=uuid.uuid4().hex, plan_id=plan_id, section_id=sections[0],
                locale="en", body="STATEMENT NOT YET APPROVED", source=SubmissionSource.COMMITTEE)
            db.session.add_all([approved, waiting])
            db.session.flush()
            ideas += [approved, waiting]
            for submission in (approved, waiting):
                db.session.add(Statement(
                    session_id=session.id, section_id=sections[0],
                    kind=StatementKind.RECOMMENDATION, voice=StatementVoice.OWN_WORDS,
                    body=submission.body or "", submission_id=submission.id))

        for n in range(12):
            db.session.add(Reaction(section_id=sections[0], child_token_hash=f"tokenhash{n:055d}",
                                    kind=ReactionKind.AGREE, locale="en",
                                    age_band=AgeBand.AGE_11_13))
        for n in range(3):
            db.session.add(Reaction(section_id=sections[1],
                                    child_token_hash=f"tokenhash{30 + n:055d}",
                                    kind=ReactionKind.CONFUSED, locale="fr",
                                    age_band=AgeBand.AGE_8_10))
        for status, words in ((AnswerStatus.PUBLISHED, "We will build parks"),
                              (AnswerStatus.DRAFT, "DRAFT ANSWER WORDS")):
            answer = Answer(public_id=uuid.uuid4().hex, plan_id=plan_id,
                            subject=AnswerSubject.PART, section_id=sections[0],
                            decision=Decision.WILL_DO, status=status,
                            published_at=datetime(2026, 6, 2, 10, 0, tzinfo=UTC)
                            if status == AnswerStatus.PUBLISHED else None)
            answer.texts = [AnswerText(locale="en", body=words),
                            AnswerText(locale="fr", body="=" + words)]
            db.session.add(answer)
        db.session.commit()
        return Seeded(plan_id, [idea.public_id for idea in ideas])


@pytest.fixture
def seeded(app: Flask, demo_plan: PlanContent) -> Seeded:
    return seed(app)


@pytest.fixture
def organiser(staff_client: Callable[..., FlaskClient]) -> FlaskClient:
    return staff_client("org@example.org", Role.ORGANISER)


def export(client: FlaskClient, tables: list[str], fmt: str, *,
           purpose: str = "Board meeting in June", **fields: str) -> TestResponse:
    data: dict[str, Any] = {"csrf_token": csrf_token(client, EXPORTS), "tables": tables,
                            "format": fmt, "purpose": purpose, "by": "", "language": "",
                            "period": "", **fields}
    return client.post(EXPORTS, data=data)


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "a UTF-8 byte-order mark first"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def all_text(response: TestResponse, fmt: str) -> str:
    """Everything a file holds, as text (an XLSX or zip is opened and each part read; an
    XLSX's own properties, such as when the file was saved, are not children's data)."""
    data = response.get_data()
    if fmt in {"xlsx", "zip"}:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "\n".join(archive.read(name).decode("utf-8") for name in archive.namelist()
                             if not name.startswith("docProps/"))
    return data.decode("utf-8")


def test_escape_formula_quotes_every_dangerous_start() -> None:
    for text in TRICKY:
        assert escape_formula(text) == "'" + text
    assert escape_formula("A park, please") == "A park, please"
    assert escape_formula("<10") == "<10"


def test_shared_ideas_csv_has_bom_columns_labels_and_escaping(
        app: Flask, seeded: Seeded, organiser: FlaskClient) -> None:
    response = export(organiser, ["shared_ideas"], "csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment;" in response.headers["Content-Disposition"]
    rows = read_csv(response.get_data())
    assert rows[0] == ["idea", "part_number", "part_title", "language", "age_band", "month",
                       "text"]
    body = rows[1:]
    assert [row[0] for row in body] == [f"idea-{n:04d}" for n in range(1, len(body) + 1)]
    assert len(body) == 6 + len(TRICKY) + 1 + 3 + 1  # approved children's ideas only
    texts = [row[6] for row in body]
    for text in TRICKY:
        assert "'" + text in texts, text
    assert not any(t.startswith(("=", "+", "-", "@", "\t", "\r")) for row in body for t in row)
    english = next(row for row in body if row[6] == "Shared idea number 1")
    assert english[1] == "1" and english[3] == "en" and english[4] == "11-13"  # 14 children
    assert english[5] == "2026-05"
    french = [row for row in body if row[6].startswith("Une idée")]
    assert french and all(row[3] == "" and row[4] == "" for row in french)  # a cell of 3
    missing = next(row for row in body if row[6] == "Something about sport")
    assert missing[1] == "" and missing[2] == "Something missing"
    assert "My name is [name]" in texts


def test_xlsx_has_a_sheet_per_table_and_an_about_sheet(
        app: Flask, seeded: Seeded, organiser: FlaskClient) -> None:
    names = list(TABLES)
    response = export(organiser, names, "xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    assert workbook.sheetnames == ["About this file", *names]
    about = [tuple(row) for row in workbook["About this file"].iter_rows(values_only=True)]
    documented = {row[0] for row in about}
    for table in TABLES.values():
        assert {column.name for column in table.columns} <= documented
    facts = {row[0]: row[1] for row in about}
    assert facts["Threshold"] == "10"
    assert "rounded to the nearest 5" in facts["Suppression rule"]
    assert facts["Period"] == "Everything so far"

    ideas = list(workbook["shared_ideas"].iter_rows(values_only=True))
    assert ideas[0] == tuple(TABLES["shared_ideas"].headers)
    # XML may keep a carriage return as a line feed (openpyxl's own writer; lxml keeps it):
    # the quote in front is what matters.
    texts = {str(row[6]).replace("\r", "\n") for row in ideas[1:]}
    for text in TRICKY:
        assert "'" + text.replace("\r", "\n") in texts
    positions = list(workbook["committee_positions"].iter_rows(values_only=True))
    assert positions[0] == tuple(TABLES["committee_positions"].headers)
    first = next(row for row in positions[1:] if row[0] == 1)
    # Two sessions (hidden), 14 children present (rounded), both agreed (hidden).
    assert first[2:] == ("<10", 15, "<10", 0, 0, 0)
    coverage = list(workbook["coverage"].iter_rows(values_only=True))
    first = next(row for row in coverage[1:] if row[0] == 1)
    assert first[2:] == ("<10", "<10", "yes")
    answers = list(workbook["answers"].iter_rows(values_only=True))
    assert [row[7] for row in answers[1:]] == ["en", "fr"]
    assert answers[2][8] == "'=We will build parks"
    statements = list(workbook["committee_statements"].iter_rows(values_only=True))
    assert len(statements) == 3 and {row[9] for row in statements[1:]} == {"We ask for parks"}
    assert {row[1] for row in statements[1:]} == {"A children's committee", "'@Open Committee"}


def test_reactions_and_ideas_by_status_are_the_summary_figures_protected(
        app: Flask, seeded: Seeded, organiser: FlaskClient) -> None:
    response = export(organiser, ["reactions", "ideas_by_status"], "csv", by="locale")
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
        reactions = read_csv(archive.read("reactions.csv"))
        ideas = read_csv(archive.read("ideas_by_status.csv"))
    assert reactions[0] == TABLES["reactions"].headers
    head = reactions[0]

    def row(rows: list[list[str]], part: str, group: str) -> dict[str, str]:
        found = next(r for r in rows[1:] if r[0] == part and r[2] == group)
        return dict(zip(rows[0], found, strict=True))

    english = row(reactions, "1", "en")
    assert english["children"] == "10" and english["agree"] == "10"  # 12, rounded
    assert english["share_agree"] == "100.0" and english["clear_majority"] == "agree"
    assert english["hard_to_understand"] == "no" and float(english["reading_ease"]) > 0
    french = row(reactions, "2", "fr")
    assert french["children"] == "<10" and french["confused"] == "<10"
    assert french["share_confused"] == "" and french["hard_to_understand"] == ""
    assert row(reactions, "2", "es")["children"] == "0"  # every language listed, empty too
    whole = row(reactions, "", "")
    assert whole["part_title"] == "Whole plan" and whole["children"] == "15"
    count_columns = [i for i, name in enumerate(head) if name == "children"
                     or name in ("agree", "unsure", "disagree", "confused")]
    for r in reactions[1:]:
        for i in count_columns:
            assert r[i] == "<10" or int(r[i]) % 5 == 0, r

    assert ideas[0] == TABLES["ideas_by_status"].headers
    part = row(ideas, "1", "")
    assert (part["waiting"], part["shared"], part["not_shared"], part["total"]) == (
        "<10", "15", "<10", "15")
    assert "urgent" not in ideas[0]


def test_several_csv_tables_come_as_a_zip_of_csvs(
        app: Flask, seeded: Seeded, organiser: FlaskClient) -> None:
    response = export(organiser, ["answers", "coverage"], "csv")
    assert response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
        assert archive.namelist() == ["answers.csv", "coverage.csv"]
        answers = read_csv(archive.read("answers.csv"))
        coverage = read_csv(archive.read("coverage.csv"))
    assert answers[0] == TABLES["answers"].headers and len(answers) == 3
    assert coverage[0] == TABLES["coverage"].headers


def test_json_has_metadata_tables_and_row_counts(
        app: Flask, seeded: Seeded, organiser: FlaskClient) -> None:
    response = export(organiser, ["shared_ideas", "coverage"], "json")
    document = json.loads(response.get_data())
    assert set(document) == {"metadata", "tables", "row_counts"}
    meta = document["metadata"]
    assert meta["threshold"] == 10 and meta["period"] is None
    assert list(meta["tables"]) == ["shared_ideas", "coverage"]
    assert [c["name"] for c in meta["tables"]["coverage"]["columns"]] == TABLES[
        "coverage"].headers
    ideas = document["tables"]["shared_ideas"]
    assert document["row_counts"] == {"shared_ideas": len(ideas),
                                      "coverage": len(document["tables"]["coverage"])}
    assert {"'" + text for text in TRICKY} <= {idea["text"] for idea in ideas}
    for row in document["tables"]["coverage"]:
        for key in ("committees", "sessions"):
            assert row[key] == "<10" or row[key] == 0 or row[key] % 5 == 0


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_nothing_private_is_ever_exported(
        app: Flask, seeded: Seeded, organiser: FlaskClient, fmt: str) -> None:
    response = export(organiser, list(TABLES), fmt)
    assert response.status_code == 200
    text = all_text(response, "zip" if fmt == "csv" else fmt)
    for what, secret in SECRETS.items():
        assert secret.casefold() not in text.casefold(), what
    for public_id in seeded.submission_ids:
        assert public_id not in text
    assert not re.search(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", text), "an exact time"
    assert "2026-05-14" not in text and "2026-04-20" not in text  # days, not months
    assert not re.search(r"(?<![\d.<-])[1-9](?![\d.])", _count_cells(response, fmt)), (
        "a count between 1 and 9")


def _count_cells(response: TestResponse, fmt: str) -> str:
    """The count columns of the positions and coverage tables, joined (for the 1-9 check)."""
    if fmt != "json":
        return ""
    document = json.loads(response.get_data())
    cells = []
    for name in ("committee_positions", "coverage"):
        for row in document["tables"][name]:
            cells += [str(value) for key, value in row.items()
                      if key.startswith("sessions") or key == "committees"]
    return " ".join(cells)


def test_the_purpose_is_required_and_more_than_one_word(
        app: Flask, seeded: Seeded, organiser: FlaskClient) -> None:
    for purpose in ("", "   ", "report", "report !!"):
        response = export(organiser, ["coverage"], "csv", purpose=purpose)
        assert response.status_code == 422, purpose
        assert "why you need this file" in response.get_data(as_text=True)
    assert export(organiser, [], "csv").status_code == 422  # no table
    assert export(organiser, ["passwords"], "csv").status_code == 422
    with app.app_context():
        assert db.session.scalars(select(ExportRecord)).all() == []


def test_each_export_is_logged_with_the_hash_of_the_bytes_sent(
        app: Flask, seeded: Seeded, organiser: FlaskClient) -> None:
    response = export(organiser, ["shared_ideas", "answers"], "xlsx",
                      purpose="Board meeting in June", by="locale", language="en")
    data = response.get_data()
    with app.app_context():
        record = db.session.scalars(select(ExportRecord)).one()
        assert record.file_sha256 == hashlib.sha256(data).hexdigest()
        assert record.format == "xlsx" and record.role == "organiser"
        assert record.tables == ["shared_ideas", "answers"]
        assert record.purpose == "Board meeting in June"
        assert record.threshold == 10 and record.period_id is None
        assert record.filters == {"by": "locale", "language": "en", "period": None,
                                  "delivery": "complete"}
        assert record.row_counts == {"shared_ideas": 6 + len(TRICKY) + 1, "answers": 1}
        event = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "report.exported")).one()
        assert event.object_id == str(record.id) and event.actor_id == record.actor_id


def test_a_download_cut_short_is_still_logged_as_interrupted(
        app: Flask, seeded: Seeded, organiser: FlaskClient) -> None:
    data = {"csrf_token": csrf_token(organiser, EXPORTS), "tables": ["shared_ideas"],
            "format": "csv", "purpose": "Board meeting in June", "by": "", "language": "",
            "period": ""}
    response = organiser.post(EXPORTS, data=data, buffered=False)
    first = next(iter(response.response))
    response.close()  # the browser went away after the first chunk
    with app.app_context():
        record = db.session.scalars(select(ExportRecord)).one()
        assert record.filters["delivery"] == "interrupted"
        assert record.file_sha256 == hashlib.sha256(first).hexdigest()


@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.SAFEGUARDING_LEAD])
def test_facilitators_and_leads_cannot_export(
        app: Flask, seeded: Seeded, staff_client: Callable[..., FlaskClient], role: Role) -> None:
    client = staff_client(f"{role.value}@example.org", role)
    assert client.get(EXPORTS).status_code == 403
    token = csrf_token(client, "/staff/")
    response = client.post(EXPORTS, data={"csrf_token": token, "tables": ["coverage"],
                                          "format": "csv", "purpose": "Board meeting soon"})
    assert response.status_code == 403
    assert client.get(EXPORTS + "/log").status_code == 403


def test_only_admins_read_the_log(
        app: Flask, seeded: Seeded, organiser: FlaskClient,
        staff_client: Callable[..., FlaskClient]) -> None:
    assert organiser.get(EXPORTS).status_code == 200
    export(organiser, ["coverage"], "json", purpose="Annual report draft")
    assert organiser.get(EXPORTS + "/log").status_code == 403
    admin = staff_client("admin@example.org", Role.ADMIN)
    page = admin.get(EXPORTS + "/log")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Annual report draft" in html and "org@example.org" in html
    with app.app_context():
        digest = db.session.scalars(select(ExportRecord.file_sha256)).one()
    assert digest in html
    assert admin.get(EXPORTS).status_code == 200  # admins may export too


def test_the_pages_are_valid_html(
        app: Flask, seeded: Seeded, organiser: FlaskClient,
        staff_client: Callable[..., FlaskClient], tmp_path: Path) -> None:
    export(organiser, ["answers"], "json", purpose="Annual report draft")
    refused = export(organiser, ["answers"], "csv", purpose="x")
    admin = staff_client("admin@example.org", Role.ADMIN)
    pages = {"exports": organiser.get(EXPORTS).get_data(),
             "exports-refused": refused.get_data(),
             "export-log": admin.get(EXPORTS + "/log").get_data()}
    assert html_problems(pages, tmp_path) == []
