"""Facilitators' classroom pages over HTTP: roles, the object rule, forms, CSRF, QR, counts."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import func, select

from participation.accounts.models import Role
from participation.classrooms.models import ClassroomMetric, ClassroomSession
from participation.classrooms.services import count_activity, format_code
from participation.classrooms.staff import qr_svg
from participation.db import db
from participation.plans.content import PlanContent
from participation.plans.queries import get_plan_view
from tests.classrooms.conftest import csrf_from, join_with, make_user, open_classroom, sign_in

START = {"name": "Year 6, Tuesday", "expected_children": "28", "minutes": "60", "locale": "en"}


def _sessions() -> int:
    return db.session.scalar(select(func.count()).select_from(ClassroomSession)) or 0


def test_a_facilitator_starts_a_session_and_sees_its_code(app: Flask) -> None:
    fac = sign_in(app, "fac@example.org", Role.FACILITATOR)
    page = fac.get("/staff/classrooms").get_data(as_text=True)
    assert "Start a session" in page and 'href="/staff/classrooms"' in page  # the nav link
    response = fac.post("/staff/classrooms", data={**START, "csrf_token": csrf_from(page)})
    assert response.status_code == 302
    with app.app_context():
        classroom = db.session.scalar(select(ClassroomSession))
        assert classroom is not None
        assert (classroom.name, classroom.expected_children, classroom.locale) == (
            "Year 6, Tuesday", 28, "en")
        assert (classroom.ends_at - classroom.starts_at).total_seconds() == 3600
        code = format_code(classroom.code)
    assert response.headers["Location"] == f"/staff/classrooms/{classroom.id}"
    page = fac.get(response.headers["Location"]).get_data(as_text=True)
    assert f'<p class="classroom-code">{code}</p>' in page
    assert "<svg" in page and 'role="img"' in page
    assert "End this session now" in page
    assert "Tablets joined" in page
    listing = fac.get("/staff/classrooms").get_data(as_text=True)
    assert "Year 6, Tuesday" in listing and code in listing


def test_the_qr_code_uses_the_public_url_never_the_host_header(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://participation.example.org/")
    classroom_id, code = open_classroom(app, make_user(app, "fac@example.org", Role.FACILITATOR))
    admin = sign_in(app, "admin@example.org", Role.ADMIN)
    expected = f"https://participation.example.org/en/join/{format_code(code)}"
    for suffix in ("", "/board"):
        # The request comes to localhost (the test client's Host): no link may say so.
        page = admin.get(f"/staff/classrooms/{classroom_id}{suffix}").get_data(as_text=True)
        assert "//localhost" not in page
        with app.test_request_context():
            assert str(qr_svg(expected)) in page  # the QR code encodes exactly that address
        # The address written out: in full on the session page, the short one on the board.
        written = expected if not suffix else "https://participation.example.org/en/join<"
        assert written in page


@pytest.mark.parametrize(("field", "value"), [("expected_children", "0"),
                                              ("expected_children", "201"),
                                              ("expected_children", "many"),
                                              ("minutes", "5"), ("locale", "de"), ("name", "")])
def test_the_start_form_refuses_bad_values(app: Flask, field: str, value: str) -> None:
    fac = sign_in(app, "fac@example.org", Role.FACILITATOR)
    page = fac.get("/staff/classrooms").get_data(as_text=True)
    response = fac.post("/staff/classrooms",
                        data={**START, field: value, "csrf_token": csrf_from(page)})
    assert response.status_code == 422
    assert 'class="field-error"' in response.get_data(as_text=True)
    with app.app_context():
        assert _sessions() == 0


def test_forms_need_the_csrf_token(app: Flask) -> None:
    fac = sign_in(app, "fac@example.org", Role.FACILITATOR)
    assert fac.post("/staff/classrooms", data=START).status_code == 400
    with app.app_context():
        assert _sessions() == 0
    user_id = make_user(app, "owner@example.org", Role.FACILITATOR)
    classroom_id, _ = open_classroom(app, user_id)
    admin = sign_in(app, "admin@example.org", Role.ADMIN)
    assert admin.post(f"/staff/classrooms/{classroom_id}/end").status_code == 400
    with app.app_context():
        classroom = db.session.get(ClassroomSession, classroom_id)
        assert classroom is not None and classroom.ended_at is None


def test_each_person_sees_only_the_sessions_they_started(app: Flask) -> None:
    fac = sign_in(app, "fac@example.org", Role.FACILITATOR)
    org = sign_in(app, "org@example.org", Role.ORGANISER)
    admin = sign_in(app, "admin@example.org", Role.ADMIN)
    with app.app_context():
        from participation.accounts.services import find_user
        ids = {email: find_user(email).id for email in  # type: ignore[union-attr]
               ("fac@example.org", "org@example.org")}
    fac_room, fac_code = open_classroom(app, ids["fac@example.org"], name="Fac group")
    org_room, _ = open_classroom(app, ids["org@example.org"], name="Org group")

    fac_list = fac.get("/staff/classrooms").get_data(as_text=True)
    assert "Fac group" in fac_list and "Org group" not in fac_list
    org_list = org.get("/staff/classrooms").get_data(as_text=True)
    assert "Org group" in org_list and "Fac group" not in org_list
    admin_list = admin.get("/staff/classrooms").get_data(as_text=True)
    assert "Fac group" in admin_list and "Org group" in admin_list
    assert "fac@example.org" in admin_list  # who started each one

    # Someone else's session does not exist for them: every route is a 404.
    for client, room in ((fac, org_room), (org, fac_room)):
        for suffix in ("", "/counts", "/board"):
            assert client.get(f"/staff/classrooms/{room}{suffix}").status_code == 404
        token = csrf_from(client.get("/staff/classrooms").get_data(as_text=True))
        assert client.post(f"/staff/classrooms/{room}/end",
                           data={"csrf_token": token}).status_code == 404
    assert fac.get(f"/staff/classrooms/{fac_room}").status_code == 200
    assert admin.get(f"/staff/classrooms/{fac_room}").status_code == 200
    assert admin.get(f"/staff/classrooms/{fac_room}/counts").status_code == 200
    assert fac.get("/staff/classrooms/999999").status_code == 404
    with app.app_context():
        classroom = db.session.get(ClassroomSession, fac_room)
        assert classroom is not None and classroom.ended_at is None
    assert fac_code


def test_a_safeguarding_lead_alone_cannot_open_classroom_pages(app: Flask) -> None:
    owner = make_user(app, "fac@example.org", Role.FACILITATOR)
    classroom_id, _ = open_classroom(app, owner)
    lead = sign_in(app, "lead@example.org", Role.SAFEGUARDING_LEAD)
    assert lead.get("/staff/classrooms").status_code == 403
    assert lead.get(f"/staff/classrooms/{classroom_id}").status_code == 403
    assert "Classroom sessions" not in lead.get("/staff/").get_data(as_text=True)


def test_live_counts_are_numbers_only(app: Flask, demo_plan: PlanContent) -> None:
    fac = sign_in(app, "fac@example.org", Role.FACILITATOR)
    page = fac.get("/staff/classrooms").get_data(as_text=True)
    location = fac.post("/staff/classrooms", data={**START, "csrf_token": csrf_from(page)}
                        ).headers["Location"]
    classroom_id = int(location.rsplit("/", 1)[1])
    with app.app_context():
        code = db.session.get(ClassroomSession, classroom_id).code  # type: ignore[union-attr]
    tablet = app.test_client()
    assert join_with(tablet, code) == 302
    with app.test_request_context():
        plan = get_plan_view("en")
        assert plan is not None
        section_id = plan.section_ids[plan.sections[0].slug]
        count_activity(classroom_id, ClassroomMetric.PART_OPENED, section_id)
        count_activity(classroom_id, ClassroomMetric.REACTION, section_id)
        count_activity(classroom_id, ClassroomMetric.IDEA, section_id)
        count_activity(classroom_id, ClassroomMetric.IDEA, 0)
        db.session.commit()
    response = fac.get(f"{location}/counts")
    assert response.headers["Cache-Control"] == "no-store"
    data = response.get_json()
    assert set(data) == {"joined", "parts_opened", "reactions", "ideas", "parts", "open",
                         "summary"}
    assert (data["joined"], data["parts_opened"], data["reactions"], data["ideas"]) == (1, 1, 1, 2)
    assert data["open"] is True
    assert data["summary"] == "1 tablet joined. 1 reaction. 2 ideas sent."
    first = next(p for p in data["parts"] if p["section_id"] == section_id)
    assert first == {"section_id": section_id, "opened": 1, "reactions": 1, "ideas": 1}
    assert {"section_id": 0, "opened": 0, "reactions": 0, "ideas": 1} in data["parts"]
    html = fac.get(location).get_data(as_text=True)
    assert f'data-count="part:{section_id}:ideas">1<' in html
    assert plan.sections[0].title in html
    assert re.search(r'data-count="joined">1<', html)


def test_ending_a_session_stops_joins_and_twice_is_harmless(app: Flask) -> None:
    fac = sign_in(app, "fac@example.org", Role.FACILITATOR)
    page = fac.get("/staff/classrooms").get_data(as_text=True)
    location = fac.post("/staff/classrooms", data={**START, "csrf_token": csrf_from(page)}
                        ).headers["Location"]
    token = csrf_from(fac.get(location).get_data(as_text=True))
    response = fac.post(f"{location}/end", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == location
    page = fac.get(location).get_data(as_text=True)
    assert "The session is ended." in page and "Tablets can no longer join." in page
    assert "End this session now" not in page
    assert fac.post(f"{location}/end", data={"csrf_token": token}).status_code == 302
    assert fac.get(f"{location}/counts").get_json()["open"] is False
    with app.app_context():
        code = db.session.scalar(select(ClassroomSession.code))
    assert join_with(app.test_client(), code or "") == 410


def test_the_board_speaks_the_class_language(app: Flask) -> None:
    owner = make_user(app, "fac@example.org", Role.FACILITATOR)
    classroom_id, code = open_classroom(app, owner, locale="es")
    admin = sign_in(app, "admin@example.org", Role.ADMIN)
    page = admin.get(f"/staff/classrooms/{classroom_id}/board").get_data(as_text=True)
    assert '<section class="board" lang="es"' in page
    assert "/es/join</span>" in page
    with app.test_request_context():
        public = app.config["PUBLIC_URL"].rstrip("/")
        assert str(qr_svg(f"{public}/es/join/{format_code(code)}")) in page
    assert format_code(code) in page
