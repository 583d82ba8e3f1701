"""Children see what an adult approved from committees under each part, in a region of its own
("From children's committees"), labelled with the committee's name only when it may be
published; group input never joins individual children's ideas, and the part page stays a
cached skeleton (no query for it while cached)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select, update

from participation.accounts.models import Role, User
from participation.committees.models import StatementKind
from participation.committees.queries import approved_captions, approved_statements
from participation.db import db, utcnow
from participation.feedback.models import RejectionReason, Submission
from participation.feedback.queries import approved_ideas, shared_ideas
from participation.moderation.services import approve_submission, reject_submission
from participation.plans.content import PlanContent
from participation.plans.models import Plan, Section
from tests.committees.builders import make_committee
from tests.committees.review_builders import Said, Sent, submitted_session, tiny_png
from tests.conftest import StaffAccount, html_problems, make_staff
from tests.feedback.helpers import Child


@pytest.fixture
def people(app: Flask, demo_plan: PlanContent) -> dict[str, StaffAccount]:
    return {"runner": make_staff(app, "runner@example.org", Role.FACILITATOR),
            "reviewer": make_staff(app, "reviewer@example.org", Role.FACILITATOR)}


def approve(app: Flask, public_id: str, reviewer: StaffAccount) -> None:
    with app.app_context():
        db.session.execute(update(Submission).where(Submission.public_id == public_id).values(
            claimed_by_id=reviewer.id, claim_expires_at=utcnow() + timedelta(minutes=5)))
        item = db.session.scalars(select(Submission).where(
            Submission.public_id == public_id)).one()
        approve_submission(item, db.session.get_one(User, reviewer.id))
        db.session.commit()


def ids(app: Flask) -> tuple[int, int]:
    with app.app_context():
        plan_id = db.session.scalars(select(Plan.id)).one()
        section_id = db.session.scalars(select(Section.id).where(
            Section.plan_id == plan_id, Section.slug == "values")).one()
        return plan_id, section_id


def region(page: str) -> str:
    """The committees' region of a part page ("" when there is none)."""
    found = re.search(r'<div class="shared-ideas committee-work".*?</section>', page, re.S)
    return found.group(0) if found else ""


def ideas_region(page: str) -> str:
    found = re.search(r'<section class="panel ideas" aria-labelledby="ideas-title">.*?</section>',
                      page, re.S)
    assert found is not None
    return found.group(0)


def test_only_approved_group_input_with_its_label(app: Flask,
                                                 people: dict[str, StaffAccount]) -> None:
    runner, reviewer = people["runner"], people["reviewer"]
    public = make_committee(app, facilitator_ids=(runner.id,), name="Comité national")
    private = make_committee(app, facilitator_ids=(runner.id,), name="Comité de l'école X",
                             name_is_public=False)
    shown = submitted_session(app, public, runner.id, said=(
        Said("Des parcs plus près des écoles."),
        Said("Pourquoi si peu de bus ?", kind=StatementKind.QUESTION)))
    hidden = submitted_session(app, private, runner.id, said=(
        Said("Pourquoi si peu de livres ?", kind=StatementKind.MINORITY_VIEW),
        Said("Un texte que personne n'a encore lu.")))
    english = submitted_session(app, public, runner.id, locale="en", said=(
        Said("Cleaner rivers please."),))
    for public_id in (*shown.statements, hidden.statements[0], *english.statements):
        approve(app, public_id, reviewer)
    plan_id, section_id = ids(app)
    with app.test_request_context("/en/"):
        found = approved_statements(plan_id, section_id, locale="fr")
        assert {(s.text, s.kind, s.committee) for s in found} == {
            ("Des parcs plus près des écoles.", StatementKind.RECOMMENDATION, "Comité national"),
            ("Pourquoi si peu de bus ?", StatementKind.QUESTION, "Comité national"),
            ("Pourquoi si peu de livres ?", StatementKind.MINORITY_VIEW, "A children's committee"),
        }  # the pending one is not there; the unpublished name never is
        assert [s.text for s in approved_statements(plan_id, section_id, other_than="fr")] == [
            "Cleaner rivers please."]
        assert len(approved_statements(plan_id, section_id)) == 4
        assert approved_statements(plan_id, None) == []


def test_group_input_never_joins_childrens_ideas(app: Flask, people: dict[str, StaffAccount],
                                                 client: FlaskClient) -> None:
    runner, reviewer = people["runner"], people["reviewer"]
    committee = make_committee(app, facilitator_ids=(runner.id,))
    sent = submitted_session(app, committee, runner.id, said=(
        Said("Des parcs plus près des écoles."),), captions=(("values", "Notre dessin."),))
    for public_id in (*sent.statements, *sent.captions):
        approve(app, public_id, reviewer)
    child = Child(client, locale="fr")
    child_idea = child.sent_id(child.send("values", "Plus d'arbres dans la cour"))
    approve(app, child_idea, reviewer)
    plan_id, section_id = ids(app)
    with app.app_context():
        assert [i.public_id for i in approved_ideas(plan_id, section_id)] == [child_idea]
        assert [i.text for i in shared_ideas(plan_id, section_id, "fr").here] == [
            "Plus d'arbres dans la cour"]
    page = client.get("/fr/plan/values").get_data(as_text=True)
    ideas = ideas_region(page)
    assert "Plus d" in ideas and "Des parcs" not in ideas and "Notre dessin" not in ideas
    committees = region(page)
    assert "Des parcs plus près des écoles." in committees and "Plus d" not in committees


def test_the_part_page_shows_a_region_apart_in_the_pages_language(
        app: Flask, people: dict[str, StaffAccount], client: FlaskClient) -> None:
    runner, reviewer = people["runner"], people["reviewer"]
    committee = make_committee(app, facilitator_ids=(runner.id,), name="Comité national")
    french = submitted_session(app, committee, runner.id, said=(
        Said("Des parcs plus près des écoles."),))
    english = submitted_session(app, committee, runner.id, locale="en", said=(
        Said("Cleaner rivers please.", kind=StatementKind.QUESTION),))
    assert region(client.get("/en/plan/values").get_data(as_text=True)) == ""  # none yet
    for public_id in (*french.statements, *english.statements):
        approve(app, public_id, reviewer)
    page = client.get("/en/plan/values").get_data(as_text=True)
    part = region(page)
    assert 'aria-labelledby="committee-work-title"' in part
    assert "From children's committees" in part
    assert page.index("Ideas from other children") < page.index("From children's committees")
    here, _sep, elsewhere = part.partition("<details")
    assert "Cleaner rivers please." in here and "They have a question" in here
    assert "From: Comité national" in here
    assert "Des parcs" not in here and 'lang="fr"' in elsewhere and "Des parcs" in elsewhere
    french_page = region(client.get("/fr/plan/values").get_data(as_text=True))
    assert "Des parcs plus près des écoles." in french_page.partition("<details")[0]


def test_a_photo_is_public_only_while_its_caption_is_approved(
        app: Flask, people: dict[str, StaffAccount], client: FlaskClient) -> None:
    runner, reviewer = people["runner"], people["reviewer"]
    committee = make_committee(app, facilitator_ids=(runner.id,))
    sent = submitted_session(app, committee, runner.id, said=(),
                             captions=(("values", "Notre école idéale."), ("values", "Non.")))
    kept, refused = sent.photos
    assert client.get(f"/fr/committee-work/{kept}").status_code == 404  # pending: nothing
    approve(app, sent.captions[0], reviewer)
    with app.app_context():
        db.session.execute(update(Submission).where(
            Submission.public_id == sent.captions[1]).values(
            claimed_by_id=reviewer.id, claim_expires_at=utcnow() + timedelta(minutes=5)))
        item = db.session.scalars(select(Submission).where(
            Submission.public_id == sent.captions[1])).one()
        reject_submission(item, db.session.get_one(User, reviewer.id),
                          RejectionReason.OFF_TOPIC)
        db.session.commit()
    image = client.get(f"/en/committee-work/{kept}")
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert image.data == tiny_png()
    assert image.headers["Cache-Control"] == "public, max-age=300"
    assert "Set-Cookie" not in image.headers
    assert client.get(f"/en/committee-work/{refused}").status_code == 404
    assert client.get(f"/xx/committee-work/{kept}").status_code == 404
    page = client.get("/fr/plan/values").get_data(as_text=True)
    part = region(page)
    assert f'src="/fr/committee-work/{kept}"' in part and "Notre école idéale." in part
    assert refused not in page and "Non." not in part
    plan_id, section_id = ids(app)
    with app.app_context():
        assert [c.photo_id for c in approved_captions(plan_id, section_id)] == [kept]


@pytest.fixture
def cached(app: Flask) -> Iterator[None]:
    """The part page as in production: its fragments kept for 30 seconds."""
    app.config["PLAN_CACHE_SECONDS"] = 30
    app.extensions["committee_work"].clear()
    app.extensions["shared_ideas"].clear()
    try:
        yield
    finally:
        app.config["PLAN_CACHE_SECONDS"] = 0
        app.extensions["committee_work"].clear()
        app.extensions["shared_ideas"].clear()


def test_a_cached_part_page_runs_no_query_for_committees(
        app: Flask, people: dict[str, StaffAccount], client: FlaskClient, cached: None) -> None:
    runner, reviewer = people["runner"], people["reviewer"]
    committee = make_committee(app, facilitator_ids=(runner.id,))
    sent: Sent = submitted_session(app, committee, runner.id)
    approve(app, sent.statements[0], reviewer)
    assert "Des parcs" in region(client.get("/fr/plan/values").get_data(as_text=True))
    statements: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        page = client.get("/fr/plan/values").get_data(as_text=True)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert "Des parcs" in region(page)
    assert not [s for s in statements if "committee" in s.lower()], statements


def test_the_part_page_with_committee_work_is_valid_html(
        app: Flask, people: dict[str, StaffAccount], client: FlaskClient,
        tmp_path: Path) -> None:
    runner, reviewer = people["runner"], people["reviewer"]
    committee = make_committee(app, facilitator_ids=(runner.id,))
    french = submitted_session(app, committee, runner.id, captions=(("values", "Dessin."),))
    english = submitted_session(app, committee, runner.id, locale="en", said=(
        Said("Cleaner rivers please."),))
    for public_id in (*french.statements, *french.captions, *english.statements):
        approve(app, public_id, reviewer)
    bodies = {}
    for locale in ("fr", "en", "es"):
        page = client.get(f"/{locale}/plan/values")
        assert "From children" in page.get_data(as_text=True) or locale != "en"
        bodies[locale] = page.data
    assert html_problems(bodies, tmp_path) == []
