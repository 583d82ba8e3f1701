"""The organisers' summary page over HTTP: who may read it, small groups in words, no raw
small count anywhere in the HTML, urgent figures for safeguarding leads only, valid HTML."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from participation.accounts.models import Role
from participation.db import db
from participation.feedback.models import (
    AgeBand,
    Reaction,
    ReactionKind,
    Submission,
    SubmissionStatus,
)
from participation.plans.content import PlanContent
from participation.plans.models import Plan, Section
from participation.screening.services import Priority
from tests.conftest import html_problems

WHEN = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


def fill(app: Flask) -> list[int]:
    """Part 1: 23 French children agree, 7 Spanish ones do not understand; part 2: 3 ideas."""
    with app.app_context():
        plan = db.session.scalars(select(Plan)).one()
        parts = list(db.session.scalars(select(Section.id).where(
            Section.plan_id == plan.id).order_by(Section.position)))
        for n in range(23):
            db.session.add(Reaction(section_id=parts[0], child_token_hash=f"fr{n}",
                                    kind=ReactionKind.AGREE, locale="fr",
                                    age_band=AgeBand.AGE_11_13, created_at=WHEN))
        for n in range(7):
            db.session.add(Reaction(section_id=parts[0], child_token_hash=f"es{n}",
                                    kind=ReactionKind.CONFUSED, locale="es", created_at=WHEN))
        for status, priority in ((SubmissionStatus.APPROVED, 0), (SubmissionStatus.PENDING, 0),
                                 (SubmissionStatus.SAFEGUARDED, Priority.URGENT)):
            db.session.add(Submission(public_id=uuid.uuid4().hex, plan_id=plan.id,
                                      section_id=parts[1], locale="en", body="x", status=status,
                                      priority=priority, created_at=WHEN,
                                      child_token_hash=uuid.uuid4().hex))
        db.session.commit()
        return parts


def numbers_in_cells(html: str) -> set[str]:
    """Every bare number that is a whole table cell."""
    return set(re.findall(r"<td>\s*(\d+)\s*</td>", html))


@pytest.mark.parametrize("roles", [(Role.ORGANISER,), (Role.ADMIN,)])
def test_organisers_and_admins_read_the_summary(
        app: Flask, demo_plan: PlanContent, staff_client: Callable[..., FlaskClient],
        roles: tuple[Role, ...]) -> None:
    fill(app)
    client = staff_client("reader@example.org", *roles)
    response = client.get("/staff/reports")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Summary of children\u2019s views" in html
    assert "Part 1:" in html and "Whole plan" in html


@pytest.mark.parametrize("roles", [(Role.FACILITATOR,), (Role.SAFEGUARDING_LEAD,)])
def test_other_staff_are_refused(app: Flask, demo_plan: PlanContent,
                                 staff_client: Callable[..., FlaskClient],
                                 roles: tuple[Role, ...]) -> None:
    client = staff_client("other@example.org", *roles)
    assert client.get("/staff/reports").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(app: Flask) -> None:
    response = app.test_client().get("/staff/reports")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]


def test_small_groups_are_words_and_no_raw_small_count_reaches_the_page(
        app: Flask, demo_plan: PlanContent, staff_client: Callable[..., FlaskClient]) -> None:
    fill(app)
    client = staff_client("org@example.org", Role.ORGANISER)
    html = client.get("/staff/reports?by=locale").get_data(as_text=True)
    assert "fewer than 10" in html
    cells = numbers_in_cells(html)
    assert "25" in cells  # 23 French children, rounded to the nearest 5
    assert "30" in cells  # 30 children in all on part 1
    for raw in ("23", "7", "3", "1", "2"):
        assert raw not in cells, raw
    # 7 of 30 did not understand: a small group, so its share and one other are hidden.
    assert "23.3%" not in html and "76.7%" not in html
    assert "not shown" in html
    by_age = client.get("/staff/reports?by=age_band").get_data(as_text=True)
    assert "Age not given" in by_age and "14-17 years" in by_age  # empty groups listed too
    assert "23" not in numbers_in_cells(by_age)


def test_urgent_figures_are_for_safeguarding_leads_only(
        app: Flask, demo_plan: PlanContent, staff_client: Callable[..., FlaskClient]) -> None:
    fill(app)
    organiser = staff_client("org@example.org", Role.ORGANISER)
    assert "Possible disclosures" not in organiser.get("/staff/reports").get_data(as_text=True)
    lead = staff_client("lead@example.org", Role.ORGANISER, Role.SAFEGUARDING_LEAD)
    assert "Possible disclosures" in lead.get("/staff/reports").get_data(as_text=True)


def test_the_summary_follows_the_threshold_setting(
        app: Flask, demo_plan: PlanContent, staff_client: Callable[..., FlaskClient]) -> None:
    fill(app)
    from participation.reports.models import ReportSettings

    with app.app_context():
        db.session.add(ReportSettings(suppression_threshold=5))
        db.session.commit()
    html = staff_client("org@example.org", Role.ORGANISER).get(
        "/staff/reports").get_data(as_text=True)
    assert "fewer than 5" in html and "fewer than 10" not in html
    assert "5" in numbers_in_cells(html)  # the 7 Spanish children, rounded


def test_an_unknown_plan_or_period_falls_back_to_the_current_plan(
        app: Flask, demo_plan: PlanContent, staff_client: Callable[..., FlaskClient]) -> None:
    client = staff_client("org@example.org", Role.ORGANISER)
    response = client.get("/staff/reports?plan=999999&period=nope&by=nonsense")
    assert response.status_code == 200
    assert "by language" in response.get_data(as_text=True)


def test_the_pages_are_valid_html(app: Flask, demo_plan: PlanContent,
                                  staff_client: Callable[..., FlaskClient],
                                  tmp_path: Path) -> None:
    fill(app)
    client = staff_client("admin@example.org", Role.ADMIN, Role.SAFEGUARDING_LEAD)
    pages = {
        "summary_locale": client.get("/staff/reports?by=locale").data,
        "summary_age": client.get("/staff/reports?by=age_band").data,
        "periods": client.get("/staff/reports/periods").data,
        "settings": client.get("/staff/reports/settings").data,
    }
    assert html_problems(pages, tmp_path) == []
