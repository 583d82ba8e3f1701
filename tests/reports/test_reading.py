"""Organisers' reading page: approved words only (published text, never the original, never a
flag or token), committee statements apart with their committee, labels only for large
cells, filters that never narrow to a small group, considered marks audited, roles."""

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
from participation.audit.models import AuditEvent
from participation.committees.models import StatementKind
from participation.db import db
from participation.feedback.models import AgeBand, Submission, SubmissionSource, SubmissionStatus
from participation.plans.models import Plan, Section
from participation.plans.queries import get_plan_view
from participation.reports.models import ConsideredIdea
from participation.reports.reading import (
    AGE_NOT_GIVEN,
    CONSIDERED_ACTION,
    UNCONSIDERED_ACTION,
    Filters,
    PartReading,
    Reading,
    ReadingError,
    mark_idea_considered,
    read_ideas,
)
from tests.committees.builders import make_committee
from tests.committees.review_builders import Said, submitted_session
from tests.conftest import csrf_token, html_problems, make_staff

WHEN = datetime(2026, 3, 17, 14, 5, tzinfo=UTC)


def sections(app: Flask) -> dict[str, int]:
    with app.app_context():
        plan = db.session.scalars(select(Plan).order_by(Plan.id.desc())).one()
        return {s.slug: s.id for s in db.session.scalars(
            select(Section).where(Section.plan_id == plan.id))}


def add_idea(app: Flask, part: str | None, text: str, *, locale: str = "en",
             age: AgeBand | None = AgeBand.AGE_11_13, child: str | None = None,
             status: SubmissionStatus = SubmissionStatus.APPROVED,
             published: str | None = None) -> str:
    """Builder: a child's idea already decided (approved with ``published`` or its text)."""
    with app.app_context():
        plan_id = db.session.scalars(select(Plan.id).order_by(Plan.id.desc())).first()
        section_id = sections(app)[part] if part else None
        item = Submission(
            public_id=uuid.uuid4().hex, plan_id=plan_id, section_id=section_id,
            source=SubmissionSource.CHILD, locale=locale, age_band=age, body=text,
            status=status, child_token_hash=child or uuid.uuid4().hex,
            published_body=(published or text) if status == SubmissionStatus.APPROVED else None,
            screening={"flags": ["personal_info"], "urgent": False}, created_at=WHEN)
        db.session.add(item)
        db.session.commit()
        return item.public_id


def approve_all_committee_input(app: Flask) -> None:
    with app.app_context():
        for item in db.session.scalars(select(Submission).where(
                Submission.source == SubmissionSource.COMMITTEE)):
            item.status = SubmissionStatus.APPROVED
            item.published_body = item.body
        db.session.commit()


def reading(app: Flask, filters: Filters | None = None, threshold: int = 10) -> Reading:
    with app.test_request_context("/staff/reports/ideas"):
        plan = get_plan_view("en")
        assert plan is not None
        return read_ideas(plan, filters or Filters(), threshold=threshold)


def part_of(result: Reading, section_id: int | None) -> PartReading:
    return next(part for part in result.parts if part.section_id == section_id)


def test_only_approved_ideas_and_only_their_published_text(app: Flask, demo_plan: object) -> None:
    shown = add_idea(app, "values", "My sister Ana at Oak School wants parks",
                     published="Someone wants parks")
    add_idea(app, "values", "Pending words", status=SubmissionStatus.PENDING)
    add_idea(app, "values", "Rejected words", status=SubmissionStatus.REJECTED)
    add_idea(app, "values", "Worrying words", status=SubmissionStatus.SAFEGUARDED)
    add_idea(app, "values", "Withdrawn words", status=SubmissionStatus.WITHDRAWN)
    part = part_of(reading(app), sections(app)["values"])
    assert [(idea.public_id, idea.text) for idea in part.ideas] == [
        (shown, "Someone wants parks")]
    assert part.ideas[0].month.day == 1  # the month only


def test_committee_statements_are_apart_with_committee_and_kind(app: Flask,
                                                                demo_plan: object) -> None:
    facilitator = make_staff(app, "fac@example.org", Role.FACILITATOR)
    committee = make_committee(app, facilitator_ids=(facilitator.id,), name="Comité Nord")
    submitted_session(app, committee, facilitator.id, said=(
        Said("Plus de bancs", part="values", kind=StatementKind.QUESTION),
        Said("Pas encore vu", part="vision")), captions=(("values", "Notre dessin"),))
    with app.app_context():  # only the first statement is approved
        for item in db.session.scalars(select(Submission).where(
                Submission.source == SubmissionSource.COMMITTEE)):
            if item.body in {"Plus de bancs", "Notre dessin"}:
                item.status, item.published_body = SubmissionStatus.APPROVED, item.body
        db.session.commit()
    add_idea(app, "values", "A child's idea")
    result = reading(app)
    values = part_of(result, sections(app)["values"])
    assert [idea.text for idea in values.ideas] == ["A child's idea"]
    assert [(s.text, s.committee, s.kind) for s in values.statements] == [
        ("Plus de bancs", "Comité Nord", StatementKind.QUESTION)]  # no caption, no pending
    assert part_of(result, sections(app)["vision"]).statements == []


def test_labels_only_when_the_cell_is_large_enough(app: Flask, demo_plan: object) -> None:
    for n in range(10):
        add_idea(app, "values", f"Big group idea {n}", locale="fr", age=AgeBand.AGE_8_10)
    # Nine children, one of whom wrote twice: still below 10 distinct children.
    for n in range(9):
        add_idea(app, "values", f"Small group idea {n}", locale="en", child=f"child-{n}")
    add_idea(app, "values", "Second idea of child 0", locale="en", child="child-0")
    add_idea(app, "vision", "Alone", locale="es", age=None)
    result = reading(app)
    values = part_of(reading(app, Filters(part=sections(app)["values"])), sections(app)["values"])
    labelled = {idea.text: (idea.locale, idea.age_band) for idea in values.ideas}
    assert labelled["Big group idea 9"] == ("fr", AgeBand.AGE_8_10)
    assert labelled["Small group idea 8"] == (None, None)
    assert part_of(result, sections(app)["vision"]).ideas[0].locale is None
    # With a threshold of 5 the smaller cell is labelled too.
    values = part_of(reading(app, Filters(part=sections(app)["values"]), threshold=5),
                     sections(app)["values"])
    assert {idea.locale for idea in values.ideas if "Small" in idea.text} == {"en"}


def test_filters_narrow_only_to_large_enough_groups(app: Flask, demo_plan: object) -> None:
    for n in range(12):
        add_idea(app, "values", f"French idea {n}", locale="fr", age=AgeBand.AGE_14_17)
    for n in range(3):
        add_idea(app, "values", f"Spanish idea {n}", locale="es", age=None)
    values_id = sections(app)["values"]

    french = part_of(reading(app, Filters(language="fr")), values_id)
    assert {idea.text[:6] for idea in french.ideas} == {"French"}
    assert not french.group_too_small
    spanish = part_of(reading(app, Filters(language="es")), values_id)
    assert spanish.group_too_small and spanish.ideas == []
    no_age = part_of(reading(app, Filters(age_band=AGE_NOT_GIVEN)), values_id)
    assert no_age.group_too_small and no_age.ideas == []
    older = part_of(reading(app, Filters(age_band="14-17", part=values_id)), values_id)
    assert len(older.ideas) == 12 and not older.more_ideas
    # Without a filter every idea is there (ten per part, the rest one click away).
    everyone = part_of(reading(app), values_id)
    assert len(everyone.ideas) == 10 and everyone.more_ideas
    assert [p.section_id for p in reading(app, Filters(part="missing")).parts] == [None]


def test_marking_is_audited_once_and_can_be_undone(app: Flask, demo_plan: object) -> None:
    organiser = make_staff(app, "org@example.org", Role.ORGANISER)
    idea = add_idea(app, "values", "Parks")
    pending = add_idea(app, "values", "Pending", status=SubmissionStatus.PENDING)
    with app.app_context():
        assert mark_idea_considered(idea, actor_id=organiser.id) is True
        db.session.commit()
        assert mark_idea_considered(idea, actor_id=organiser.id) is False
        db.session.commit()
        with pytest.raises(ReadingError):
            mark_idea_considered(pending, actor_id=organiser.id)
        events = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == CONSIDERED_ACTION)).all()
        assert [(e.actor_id, e.object_id) for e in events] == [(organiser.id, idea)]
        assert db.session.scalar(select(ConsideredIdea.considered_by_id)) == organiser.id


def test_the_page_over_http(app: Flask, demo_plan: object,
                            staff_client: Callable[..., FlaskClient], tmp_path: Path) -> None:
    idea = add_idea(app, "values", "Secret original", published="Shared words")
    client = staff_client("org@example.org", Role.ORGANISER)
    page = client.get("/staff/reports/ideas").get_data(as_text=True)
    assert "Shared words" in page and "Secret original" not in page
    assert "personal_info" not in page and "March 2026" in page and "17" not in re.sub(
        r"<[^>]+>", "", page.split("Shared words")[1].split("</li>")[0])
    with app.app_context():
        token = db.session.scalar(select(Submission.child_token_hash))
    assert token and token not in page

    mark = client.post(f"/staff/reports/ideas/{idea}/considered", data={
        "csrf_token": csrf_token(client, "/staff/reports/ideas"),
        "part": str(sections(app)["values"])})
    assert mark.status_code == 302
    assert mark.headers["Location"] == (
        f"/staff/reports/ideas?part={sections(app)['values']}#idea-{idea}")
    page = client.get(mark.headers["Location"]).get_data(as_text=True)
    assert "Marked as considered." in page and "Remove the considered mark" in page
    unmark = client.post(f"/staff/reports/ideas/{idea}/not-considered", data={
        "csrf_token": csrf_token(client, "/staff/reports/ideas"), "language": "javascript:x"})
    assert unmark.headers["Location"] == f"/staff/reports/ideas#idea-{idea}"
    with app.app_context():
        assert db.session.scalar(select(ConsideredIdea)) is None
        actions = db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.object_id == idea).order_by(AuditEvent.id)).all()
    assert actions == [CONSIDERED_ACTION, UNCONSIDERED_ACTION]
    assert client.post("/staff/reports/ideas/" + "0" * 32 + "/considered", data={
        "csrf_token": csrf_token(client, "/staff/reports/ideas")}).status_code == 404
    assert client.get("/staff/reports/ideas?language=xx").status_code == 400

    pages = {"all": client.get("/staff/reports/ideas").data,
             "filtered": client.get("/staff/reports/ideas?language=es&age=none").data,
             "part": client.get(f"/staff/reports/ideas?part={sections(app)['values']}").data}
    assert html_problems(pages, tmp_path) == []


@pytest.mark.parametrize("roles,status", [
    ((Role.ORGANISER,), 200), ((Role.ADMIN,), 200),
    ((Role.FACILITATOR,), 403), ((Role.SAFEGUARDING_LEAD,), 403)])
def test_who_reads_the_ideas(app: Flask, demo_plan: object, roles: tuple[Role, ...],
                             status: int, staff_client: Callable[..., FlaskClient]) -> None:
    client = staff_client("someone@example.org", *roles)
    assert client.get("/staff/reports/ideas").status_code == status
    assert app.test_client().get("/staff/reports/ideas").status_code == 302


def test_no_plan_yet(app: Flask, staff_client: Callable[..., FlaskClient]) -> None:
    client = staff_client("org@example.org", Role.ORGANISER)
    assert "No plan is loaded yet." in client.get("/staff/reports/ideas").get_data(as_text=True)
