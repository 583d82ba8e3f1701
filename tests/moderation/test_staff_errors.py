"""Staff error pages: every error under /staff/ is a staff page (403 with a way back, 404, 400, 429,
500, 503), and no staff page ever carries the children's idle timer, which would send "I'm
finished" and end the staff session. Children's error pages stay theirs."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

import participation.moderation.views as moderation_views
from participation.accounts.models import Role
from participation.db import db
from participation.plans.content import PlanContent
from tests.conftest import csrf_token, make_staff, sign_in

StaffClient = Callable[..., FlaskClient]
CHILD_MARKS = ("data-idle-seconds", "data-finish-url", "/finish")


def assert_staff_page(body: str) -> None:
    assert 'class="staff"' in body  # the staff layout's <body>
    for mark in CHILD_MARKS:
        assert mark not in body, mark


@pytest.fixture
def every_role(app: Flask) -> Iterator[list[FlaskClient]]:
    clients = []
    for role in Role:
        account = make_staff(app, f"{role.value}@example.org", role)
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        sign_in(client, account.email, totp_secret=account.totp_secret)
        clients.append(client)
    yield [app.test_client(), *clients]


def test_no_staff_response_carries_the_childrens_idle_timer(
    app: Flask, demo_plan: PlanContent, every_role: list[FlaskClient]
) -> None:
    paths = [re.sub(r"<[^>]+>", "1", rule.rule) for rule in app.url_map.iter_rules()
             if rule.rule.startswith("/staff") and "GET" in (rule.methods or set())]
    paths += ["/staff/nowhere", "/staff/items/nope", "/staff/concerns/999999"]
    for client in every_role:
        for path in paths:
            response = client.get(path, follow_redirects=True)
            body = response.get_data(as_text=True)
            if response.mimetype == "text/html":
                assert_staff_page(body)
            else:
                assert "data-idle-seconds" not in body, path


def test_a_403_says_so_and_leads_back_home(app: Flask, staff_client: StaffClient) -> None:
    fac = staff_client("fac@example.org", Role.FACILITATOR)
    response = fac.get("/staff/concerns")
    body = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "You don't have access to this." in body
    assert '<a href="/staff/">Back to the staff home</a>' in body
    assert 'aria-label="Staff menu"' in body  # signed in: the menu is there
    assert_staff_page(body)


def test_404_400_and_405_are_staff_pages(app: Flask, staff_client: StaffClient) -> None:
    lead = staff_client("lead@example.org", Role.SAFEGUARDING_LEAD)
    for response, status in (
        (lead.get("/staff/items/" + "0" * 32), 404),
        (app.test_client().get("/staff/nowhere", headers={"Accept-Language": "en"}), 404),
        (lead.post("/staff/queues/next", data={"priority": "3"}), 400),  # no CSRF token
        (lead.delete("/staff/queues"), 405),
    ):
        assert response.status_code == status
        assert_staff_page(response.get_data(as_text=True))
        assert "Back to the staff home" in response.get_data(as_text=True)


def test_too_many_sign_ins_is_the_staff_wait_page(app: Flask,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "LOGIN_LIMITS_PER_ADDRESS", "2 per minute")
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    token = csrf_token(client, "/staff/login")
    statuses = [client.post("/staff/login", data={"csrf_token": token, "email": "a@example.org",
                                                  "passphrase": "wrong but long enough"})
                for _ in range(3)]
    assert statuses[-1].status_code == 429
    body = statuses[-1].get_data(as_text=True)
    assert "Too many attempts" in body
    assert_staff_page(body)


@pytest.mark.parametrize(("error", "status", "heading"), [
    (RuntimeError("broken on purpose"), 500, "Something went wrong on our side."),
    (OperationalError("SELECT 1", {}, Exception("server closed the connection")), 503,
     "The service is unavailable for a moment."),
])
def test_server_errors_are_staff_pages_that_ask_the_database_nothing(
    app: Flask, staff_client: StaffClient, monkeypatch: pytest.MonkeyPatch,
    error: Exception, status: int, heading: str,
) -> None:
    lead = staff_client("lead@example.org", Role.SAFEGUARDING_LEAD)
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    def failing(*args: object, **kwargs: object) -> None:
        # From here on the database "is down": the error page must not need it.
        event.listen(engine, "before_cursor_execute", record)
        raise error

    monkeypatch.setattr(moderation_views, "queue_summaries", failing)
    try:
        response = lead.get("/staff/queues")
    finally:
        event.remove(engine, "before_cursor_execute", record)
    body = response.get_data(as_text=True)
    assert response.status_code == status and heading in body
    assert statements == []
    assert 'aria-label="Staff menu"' not in body and "Back to the staff home" in body
    assert_staff_page(body)
    if status == 503:
        assert response.headers["Retry-After"]


def test_childrens_error_pages_stay_theirs(client: FlaskClient, demo_plan: PlanContent) -> None:
    body = client.get("/en/nowhere").get_data(as_text=True)
    assert "data-idle-seconds" in body and 'class="staff"' not in body
