"""A child joins a class session over HTTP: right, wrong, closed and full codes, the QR page,
and the throttle on wrong codes (which counts only failures)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select

from participation.classrooms.models import ClassroomCount, ClassroomSession
from participation.classrooms.services import (
    ClassroomRef,
    current_classroom,
    format_code,
    join_cap,
)
from participation.db import db, utcnow
from participation.plans.content import PlanContent
from tests.classrooms.conftest import CODE_RE, csrf_from, join_with, open_classroom


def _joined(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.coalesce(func.sum(ClassroomCount.count), 0))) or 0


def test_a_child_joins_with_the_code_in_any_form(app: Flask, client: FlaskClient,
                                                 facilitator: int, demo_plan: PlanContent) -> None:
    _, code = open_classroom(app, facilitator)
    page = client.get("/en/join").get_data(as_text=True)
    assert 'inputmode="text"' in page and 'autocapitalize="characters"' in page
    assert 'autocomplete="off"' in page
    typed = " " + format_code(code).lower().replace("-", " - ") + " "
    response = client.post("/en/join", data={"csrf_token": csrf_from(page), "code": typed})
    assert response.status_code == 302 and response.headers["Location"] == "/en/joined"
    page = client.get("/en/joined").get_data(as_text=True)
    assert "You joined!" in page and "Now read the plan and share your ideas." in page
    assert 'href="/en/"' in page
    assert _joined(app) == 1


def test_the_joined_page_sends_a_tablet_without_a_class_to_the_join_page(
    client: FlaskClient,
) -> None:
    response = client.get("/fr/joined")
    assert response.status_code == 302 and response.headers["Location"] == "/fr/join"


@pytest.mark.parametrize(("typed", "status", "message"), [
    ("ZZZZ-ZZZZ", 404, "That code is not right."),
    ("hello", 404, "That code is not right."),
    ("", 422, "Type the code you can see on the board."),
])
def test_a_wrong_code_gets_a_kind_answer(app: Flask, client: FlaskClient, facilitator: int,
                                         typed: str, status: int, message: str) -> None:
    open_classroom(app, facilitator)
    page = client.get("/en/join").get_data(as_text=True)
    response = client.post("/en/join", data={"csrf_token": csrf_from(page), "code": typed})
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert message in html and 'role="alert"' in html
    assert f'value="{typed}"' in html or not typed  # the child's typing is still there
    assert _joined(app) == 0


def test_a_closed_session_says_so(app: Flask, client: FlaskClient, facilitator: int) -> None:
    _, code = open_classroom(app, facilitator, minutes=15, now=utcnow() - timedelta(minutes=20))
    assert join_with(client, code) == 410
    page = client.get("/en/join").get_data(as_text=True)
    html = client.post("/en/join", data={"csrf_token": csrf_from(page), "code": code}
                       ).get_data(as_text=True)
    assert "This class session is over." in html


def test_a_full_session_says_so(app: Flask, facilitator: int) -> None:
    _, code = open_classroom(app, facilitator, expected=1)
    for _tablet in range(join_cap(1)):
        assert join_with(app.test_client(), code) == 302
    tablet = app.test_client()
    page = tablet.get("/es/join").get_data(as_text=True)
    response = tablet.post("/es/join", data={"csrf_token": csrf_from(page), "code": code})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert html.count('role="alert"') == 1 and 'id="join-error"' in html
    assert _joined(app) == join_cap(1)


def test_the_qr_page_only_shows_the_code_and_changes_nothing(
    app: Flask, client: FlaskClient, facilitator: int
) -> None:
    _, code = open_classroom(app, facilitator)
    shown = format_code(code)
    response = client.get(f"/en/join/{shown}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'value="{shown}"' in page and "Press Join." in page
    assert 'action="/en/join"' in page and 'method="post"' in page
    assert _joined(app) == 0
    assert client.get("/en/joined").status_code == 302  # not in the class yet
    # A GET never tells whether a code exists: an unknown code looks just the same.
    other = client.get("/en/join/ZZZZ-ZZZZ").get_data(as_text=True)
    assert other.replace("ZZZZ-ZZZZ", shown).replace(csrf_from(other), csrf_from(page)) == page
    assert client.get("/en/join/not-a-code").status_code == 200
    assert client.post(f"/en/join/{shown}").status_code == 405
    # Pressing Join on that page joins.
    response = client.post("/en/join", data={"csrf_token": csrf_from(page), "code": shown})
    assert response.status_code == 302
    assert _joined(app) == 1


def test_joining_needs_the_csrf_token_and_keeps_the_code(app: Flask, client: FlaskClient,
                                                         facilitator: int) -> None:
    _, code = open_classroom(app, facilitator)
    response = client.post("/en/join", data={"code": format_code(code)})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "This page was open for a long time. Press Join again." in html
    assert f'value="{format_code(code)}"' in html
    assert _joined(app) == 0
    response = client.post("/en/join", data={"csrf_token": csrf_from(html), "code": code})
    assert response.status_code == 302


def test_wrong_codes_are_throttled_per_address_counting_only_failures(
    app: Flask, facilitator: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "CLASSROOM_JOIN_FAILURE_LIMITS", "3 per minute")
    _, code = open_classroom(app, facilitator, expected=5)
    _, closed = open_classroom(app, facilitator, minutes=15, now=utcnow() - timedelta(hours=1))
    # A whole class behind one address joins: successes never count.
    for _tablet in range(6):
        assert join_with(app.test_client(), code) == 302
    # Nor does a closed session (the code was right) or an expired form.
    for _attempt in range(4):
        assert join_with(app.test_client(), closed) == 410
    assert app.test_client().post("/en/join", data={"code": "ZZZZ-ZZZZ"}).status_code == 400
    # Wrong codes do: the fourth one within the minute gets the kind "wait" page.
    tablet = app.test_client()
    for _attempt in range(3):
        assert join_with(tablet, "ZZZZ-ZZZZ") == 404
    page = tablet.get("/en/join").get_data(as_text=True)
    response = tablet.post("/en/join", data={"csrf_token": csrf_from(page), "code": code})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "60"
    assert "Please wait a little" in response.get_data(as_text=True)
    # Same network address, another tablet: also waiting (the limit is on the address).
    assert join_with(app.test_client(), code) == 429
    # Reading is never limited.
    assert tablet.get(f"/en/join/{format_code(code)}").status_code == 200


def test_cli_starts_and_ends_a_session(app: Flask, runner: FlaskCliRunner,
                                       facilitator: int) -> None:
    result = runner.invoke(args=["classroom", "start", "--name", "Load test", "--expected", "60",
                                 "--minutes", "30", "--locale", "fr", "--by", "fac@example.org"])
    assert result.exit_code == 0, result.output
    shown = result.output.strip()
    assert CODE_RE.fullmatch(shown)
    with app.app_context():
        classroom = db.session.scalar(select(ClassroomSession))
        assert classroom is not None
        assert (classroom.expected_children, classroom.locale, classroom.created_by_id) == (
            60, "fr", facilitator)
        assert format_code(classroom.code) == shown
    result = runner.invoke(args=["classroom", "end", shown.lower().replace("-", "")])
    assert result.exit_code == 0 and "Ended." in result.output
    result = runner.invoke(args=["classroom", "end", shown])
    assert result.exit_code == 0 and "already ended" in result.output
    assert runner.invoke(args=["classroom", "end", "ZZZZ-ZZZZ"]).exit_code != 0
    bad = runner.invoke(args=["classroom", "start", "--name", "x", "--expected", "5",
                              "--by", "nobody@example.org"])
    assert bad.exit_code != 0 and "No active staff account" in bad.output
    lead = runner.invoke(args=["create-user", "lead@example.org", "--role", "safeguarding_lead"],
                         input="a long and calm passphrase\n")
    assert lead.exit_code == 0
    bad = runner.invoke(args=["classroom", "start", "--name", "x", "--expected", "5",
                              "--by", "lead@example.org"])
    assert bad.exit_code != 0 and "forbidden" in bad.output


def test_the_rejoin_button_for_the_finished_page(app: Flask, client: FlaskClient,
                                                 facilitator: int) -> None:
    """templates/classrooms/_rejoin.html: one tap takes the next child to the join page with the
    class code filled in (the finished page renders it with the ClassroomRef read before the
    session is cleared)."""
    _, code = open_classroom(app, facilitator)
    assert join_with(client, code) == 302
    with app.test_request_context("/fr/finish"):
        with client.session_transaction() as stored:
            ref = ClassroomRef(stored["classroom"]["id"], stored["classroom"]["code"], 30,
                               utcnow() + timedelta(minutes=30))
        html = render_template_string('{% include "classrooms/_rejoin.html" %}', classroom=ref)
        assert f'href="/fr/join/{format_code(code)}"' in html
        assert "Enfant suivant\u00a0: rejoins la classe" in html
        assert render_template_string('{% include "classrooms/_rejoin.html" %}',
                                      classroom=current_classroom()).strip() == ""
    page = client.get(f"/fr/join/{format_code(code)}").get_data(as_text=True)
    assert f'value="{format_code(code)}"' in page
