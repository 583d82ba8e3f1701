"""Builders for classroom tests: staff accounts, signed-in staff clients, sessions, tablets."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from participation.accounts.models import Role, User
from participation.accounts.services import create_user
from participation.classrooms.models import ClassroomSession
from participation.classrooms.services import start_classroom
from participation.db import db

PASSPHRASE = "a long and calm passphrase"
CSRF_RE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
CODE_RE = re.compile(r"\b([2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4})\b")


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def make_user(app: Flask, email: str, *roles: Role) -> int:
    with app.app_context():
        user = create_user(email, PASSPHRASE, list(roles), actor_id=None, with_totp=False)
        db.session.commit()
        return user.id


def sign_in(app: Flask, email: str, *roles: Role) -> FlaskClient:
    """A browser signed in as a new staff member with ``roles`` (second factor off)."""
    make_user(app, email, *roles)
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get("/staff/login").get_data(as_text=True)
    response = client.post("/staff/login", data={"csrf_token": csrf_from(page), "email": email,
                                                 "passphrase": PASSPHRASE})
    assert response.status_code == 302
    return client


def open_classroom(app: Flask, user_id: int, *, expected: int = 30, minutes: int = 60,
                   locale: str = "en", name: str = "Year 6", now: datetime | None = None,
                   ) -> tuple[int, str]:
    """Start a session as ``user_id``; returns its id and code."""
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        classroom = start_classroom(name=name, expected_children=expected, minutes=minutes,
                                    locale=locale, user=user, now=now)
        db.session.commit()
        return classroom.id, classroom.code


def join_with(client: FlaskClient, code: str, locale: str = "en") -> int:
    """A tablet types ``code`` on the join page and presses Join; returns the status."""
    page = client.get(f"/{locale}/join").get_data(as_text=True)
    return client.post(f"/{locale}/join", data={"csrf_token": csrf_from(page), "code": code}
                       ).status_code


@pytest.fixture(autouse=True)
def _demo_sign_in(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "STAFF_TOTP_REQUIRED", False)  # TOTP is tested in accounts


@pytest.fixture
def facilitator(app: Flask) -> int:
    return make_user(app, "fac@example.org", Role.FACILITATOR)


@pytest.fixture
def classroom_row(app: Flask) -> Callable[[int], ClassroomSession]:
    def load(classroom_id: int) -> ClassroomSession:
        with app.app_context():
            classroom = db.session.get(ClassroomSession, classroom_id)
            assert classroom is not None
            db.session.expunge(classroom)
            return classroom

    return load
