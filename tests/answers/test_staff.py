"""Organisers' answer pages over HTTP: who may open them, the forms (new, edit, links, publish,
approve, withdraw, updates), the reading-ease endpoint that scores without storing, the home
flags partial, and valid HTML on every page."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask, render_template
from flask.testing import FlaskClient
from sqlalchemy import func, select

from participation.accounts.models import Role
from participation.answers.models import Answer, AnswerStatus, AnswerText
from participation.answers.queries import organiser_flags
from participation.audit.models import AuditEvent
from participation.db import db, utcnow
from participation.feedback.models import Submission, SubmissionStatus
from participation.plans.models import Plan, Section
from tests.conftest import csrf_token, html_problems

StaffClient = Callable[..., FlaskClient]
TEXTS = {
    "body_fr": "Nous allons faire des parcs. Ils seront près des écoles.",
    "body_en": "We will make parks. They will be near schools.",
    "body_es": "Vamos a hacer parques. Estarán cerca de las escuelas.",
}


def ids(app: Flask, slug: str = "values") -> tuple[int, int]:
    with app.app_context():
        plan = db.session.scalars(select(Plan)).one()
        section = db.session.scalars(
            select(Section).where(Section.plan_id == plan.id, Section.slug == slug)).one()
        return plan.id, section.id


def new_answer(client: FlaskClient, app: Flask, *, decision: str = "will_do",
               **fields: str) -> str:
    """Post the new-answer form for the "values" part; returns the answer's public id."""
    _, section_id = ids(app)
    response = client.post("/staff/answers", data={
        "csrf_token": csrf_token(client, "/staff/answers/new"), "subject": "part",
        "section": str(section_id), "decision": decision, **TEXTS, **fields})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"].rsplit("/", 1)[-1]


def post(client: FlaskClient, public_id: str, action: str, **data: str) -> tuple[int, str]:
    token = csrf_token(client, f"/staff/answers/{public_id}")
    response = client.post(f"/staff/answers/{public_id}/{action}",
                           data={"csrf_token": token, **data}, follow_redirects=True)
    return response.status_code, response.get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.SAFEGUARDING_LEAD])
def test_only_organisers_and_admins_open_answers(
        app: Flask, demo_plan: object, staff_client: StaffClient, role: Role) -> None:
    client = staff_client(f"{role.value}@example.org", role)
    for path in ("/staff/answers", "/staff/answers/new"):
        assert client.get(path).status_code == 403
    assert app.test_client().get("/staff/answers").status_code == 302  # sign in first
    for allowed in (Role.ORGANISER, Role.ADMIN):
        assert staff_client(f"{allowed.value}@example.org", allowed).get(
            "/staff/answers").status_code == 200


def test_write_then_publish_an_answer(app: Flask, demo_plan: object,
                                      staff_client: StaffClient) -> None:
    client = staff_client("org@example.org", Role.ORGANISER)
    page = client.get("/staff/answers/new").get_data(as_text=True)
    assert 'lang="fr"' in page and 'data-reading-ease-url="/staff/answers/reading-ease"' in page
    public_id = new_answer(client, app)
    page = client.get(f"/staff/answers/{public_id}").get_data(as_text=True)
    assert "The draft is saved." in page and "We will make parks." in page
    status, page = post(client, public_id, "publish")
    assert status == 200 and "children can read this answer now" in page
    with app.app_context():
        answer = db.session.scalars(select(Answer).where(Answer.public_id == public_id)).one()
        assert answer.status == AnswerStatus.PUBLISHED
        assert all(t.reading_ease is not None for t in answer.texts)


def test_a_missing_language_or_reason_is_explained(app: Flask, demo_plan: object,
                                                   staff_client: StaffClient) -> None:
    client = staff_client("org@example.org", Role.ORGANISER)
    public_id = new_answer(client, app, decision="cannot", body_es="")
    page = client.get(f"/staff/answers/{public_id}").get_data(as_text=True)
    assert ('Still missing before children can read it: the text in '
            '<span lang="es">Español</span>.') in page
    status, page = post(client, public_id, "publish")
    assert status == 409
    assert "write the text in Español first" in page
    token = csrf_token(client, f"/staff/answers/{public_id}/edit")
    response = client.post(f"/staff/answers/{public_id}/edit", data={
        "csrf_token": token, "decision": "cannot", **TEXTS})
    assert response.status_code == 302
    status, page = post(client, public_id, "publish")
    assert status == 409 and "Children are owed a reason" in page
    with app.app_context():
        assert db.session.scalars(select(Answer.status)).one() == AnswerStatus.DRAFT


def test_the_form_refuses_what_it_cannot_save(app: Flask, demo_plan: object,
                                              staff_client: StaffClient) -> None:
    client = staff_client("org@example.org", Role.ORGANISER)
    token = csrf_token(client, "/staff/answers/new")
    response = client.post("/staff/answers", data={
        "csrf_token": token, "subject": "part", "section": "0", "decision": "will_do", **TEXTS})
    assert response.status_code == 422
    assert "Choose a part of the current plan." in response.get_data(as_text=True)
    response = client.post("/staff/answers", data={
        "csrf_token": token, "subject": "missing", "theme": "", "decision": "nonsense"})
    assert response.status_code == 422
    response = client.post("/staff/answers", data={"subject": "part", "decision": "will_do"})
    assert response.status_code == 400  # no CSRF token
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Answer)) == 0


def test_second_organiser_approves_and_the_writer_cannot(
        app: Flask, demo_plan: object, staff_client: StaffClient) -> None:
    app.config["ANSWERS_NEED_SECOND_ORGANISER"] = True
    try:
        writer = staff_client("writer@example.org", Role.ORGANISER)
        other = staff_client("other@example.org", Role.ORGANISER)
        public_id = new_answer(writer, app)
        status, page = post(writer, public_id, "publish")
        assert "Sent to a second organiser" in page
        assert "Approve and publish" not in page  # never offered to its writer
        status, page = post(writer, public_id, "approve")
        assert status == 409 and "another organiser must approve it" in page
        assert "Approve and publish" in other.get(f"/staff/answers/{public_id}").get_data(
            as_text=True)
        status, page = post(other, public_id, "approve")
        assert status == 200 and "Approved and published" in page
        status, page = post(other, public_id, "approve")
        assert status == 409  # once
    finally:
        app.config["ANSWERS_NEED_SECOND_ORGANISER"] = False


def test_links_list_only_approved_ideas_of_the_part(app: Flask, demo_plan: object,
                                                    staff_client: StaffClient) -> None:
    client = staff_client("org@example.org", Role.ORGANISER)
    public_id = new_answer(client, app)
    plan_id, section_id = ids(app)
    _, other_section = ids(app, "vision")
    with app.app_context():
        made = {}
        for key, section, status in [("shared", section_id, SubmissionStatus.APPROVED),
                                     ("waiting", section_id, SubmissionStatus.PENDING),
                                     ("elsewhere", other_section, SubmissionStatus.APPROVED)]:
            item = Submission(public_id=uuid.uuid4().hex, plan_id=plan_id, section_id=section,
                              locale="en", body=f"Idea {key}", status=status,
                              decided_at=utcnow(),
                              published_body=f"Idea {key}"
                              if status == SubmissionStatus.APPROVED else None)
            db.session.add(item)
            db.session.flush()
            made[key] = item.id
        db.session.commit()
    page = client.get(f"/staff/answers/{public_id}/links").get_data(as_text=True)
    assert "Idea shared" in page and "Idea waiting" not in page and "Idea elsewhere" not in page
    token = csrf_token(client, f"/staff/answers/{public_id}/links")
    response = client.post(f"/staff/answers/{public_id}/links", data={
        "csrf_token": token, "submissions": [str(made["elsewhere"])]})
    assert response.status_code == 422
    response = client.post(f"/staff/answers/{public_id}/links", data={
        "csrf_token": token, "submissions": [str(made["shared"])]})
    assert response.status_code == 302
    page = client.get(f"/staff/answers/{public_id}/links").get_data(as_text=True)
    shared = made["shared"]
    assert re.search(rf'checked[^>]*value="{shared}"|value="{shared}"[^>]*checked', page)


def test_withdraw_and_progress_updates(app: Flask, demo_plan: object,
                                       staff_client: StaffClient) -> None:
    client = staff_client("org@example.org", Role.ORGANISER)
    public_id = new_answer(client, app)
    post(client, public_id, "publish")
    status, page = post(client, public_id, "updates", update_fr="Le parc est ouvert.",
                        update_en="The park is open.", update_es="")
    assert status == 422 and "Español" in page
    status, page = post(client, public_id, "updates", update_fr="Le parc est ouvert.",
                        update_en="The park is open.", update_es="El parque está abierto.")
    assert status == 200 and "The progress update is saved." in page
    status, page = post(client, public_id, "withdraw")
    assert "children no longer see this answer" in page
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.object_type == "answer").order_by(AuditEvent.id)).all()
    assert actions == ["answer.created", "answer.published", "answer.update_added",
                       "answer.withdrawn"]


def test_reading_ease_endpoint_scores_without_storing(app: Flask, demo_plan: object,
                                                     staff_client: StaffClient) -> None:
    client = staff_client("org@example.org", Role.ORGANISER)
    token = csrf_token(client, "/staff/answers/new")
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    easy = client.post("/staff/answers/reading-ease", data={
        "locale": "en", "text": TEXTS["body_en"]}, headers={"X-CSRFToken": token})
    assert easy.status_code == 200 and easy.headers["Cache-Control"] == "no-store"
    assert easy.json is not None and easy.json["below"] is False and easy.json["score"] >= 70
    hard = client.post("/staff/answers/reading-ease", data={
        "locale": "en", "text": "Notwithstanding considerable budgetary constraints, "
        "infrastructural reconfiguration necessitates comprehensive consultations."},
        headers={"X-CSRFToken": token})
    assert hard.json is not None and hard.json["below"] is True
    assert "below the target of 70" in hard.json["message"]
    empty = client.post("/staff/answers/reading-ease", data={"locale": "fr", "text": " "},
                        headers={"X-CSRFToken": token})
    assert empty.json is not None and empty.json["score"] is None
    too_long = client.post("/staff/answers/reading-ease", data={
        "locale": "en", "text": "word " * 1000}, headers={"X-CSRFToken": token})
    assert too_long.status_code == 400
    unknown = client.post("/staff/answers/reading-ease", data={"locale": "de", "text": "Hallo"},
                          headers={"X-CSRFToken": token})
    assert unknown.status_code == 400
    assert client.post("/staff/answers/reading-ease",
                       data={"locale": "en", "text": "Hi."}).status_code == 400  # no token
    # Scoring is a POST only: a GET is taken for an answer's page, and no answer has that id.
    assert client.get("/staff/answers/reading-ease").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before
        assert db.session.scalar(select(func.count()).select_from(AnswerText)) == 0


def test_home_flags_partial(app: Flask, demo_plan: object) -> None:
    plan_id, section_id = ids(app)
    with app.app_context():
        for n in range(app.config["ANSWER_NEEDED_AFTER_IDEAS"]):
            db.session.add(Submission(public_id=uuid.uuid4().hex, plan_id=plan_id,
                                      section_id=section_id, locale="en", body=f"Idea {n}",
                                      status=SubmissionStatus.APPROVED,
                                      published_body=f"Idea {n}"))
        db.session.commit()
    with app.test_request_context("/staff/", headers={"Accept-Language": "en"}):
        html = render_template("answers/_home_flags.html",
                               flags=organiser_flags(plan_id, locale="en"))
        empty = render_template("answers/_home_flags.html", flags=None)
    assert "Children are waiting for an answer" in html
    assert f"/staff/answers/new?subject=part&amp;part={section_id}" in html
    assert "10 shared ideas" in html
    assert empty.strip() == ""


def test_pages_are_valid_html(app: Flask, demo_plan: object, staff_client: StaffClient,
                              tmp_path: Path) -> None:
    app.config["ANSWERS_NEED_SECOND_ORGANISER"] = True
    try:
        writer = staff_client("writer@example.org", Role.ORGANISER)
        other = staff_client("other@example.org", Role.ADMIN)
        public_id = new_answer(writer, app, decision="not_now", reason_fr="Pas d'argent.")
        pages = {
            "index-empty": other.get("/staff/answers").data,
            "new": writer.get("/staff/answers/new").data,
            "draft": writer.get(f"/staff/answers/{public_id}").data,
            "edit": writer.get(f"/staff/answers/{public_id}/edit").data,
            "links": writer.get(f"/staff/answers/{public_id}/links").data,
        }
        refused = writer.post("/staff/answers", data={
            "csrf_token": csrf_token(writer, "/staff/answers/new"), "subject": "part",
            "section": "0", "decision": ""})
        pages["new-errors"] = refused.data
        token = csrf_token(writer, f"/staff/answers/{public_id}/edit")
        writer.post(f"/staff/answers/{public_id}/edit", data={
            "csrf_token": token, "decision": "not_now", **TEXTS, "reason_fr": "Pas d'argent.",
            "reason_en": "No money.", "reason_es": "No hay dinero."})
        post(writer, public_id, "publish")
        pages["awaiting"] = other.get(f"/staff/answers/{public_id}").data
        post(other, public_id, "approve")
        post(writer, public_id, "updates", update_fr="Bientôt.", update_en="Soon.",
             update_es="Pronto.")
        pages["published"] = other.get(f"/staff/answers/{public_id}").data
        pages["index"] = other.get("/staff/answers").data
    finally:
        app.config["ANSWERS_NEED_SECOND_ORGANISER"] = False
    assert html_problems(pages, tmp_path) == []
