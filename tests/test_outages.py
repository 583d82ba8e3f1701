"""A child's words survive a database outage, a frozen server, a lost connection and a lock.

The network faults need PostgreSQL behind the relay (tests/relay.py) and run in the PostgreSQL
pass; the lock and outage-by-error tests run on both databases.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, event, func, make_url, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, SessionTransaction

from participation import create_app
from participation.db import REQUEST_WAIT_BUDGET_SECONDS, db
from participation.extensions import limiter
from participation.feedback.models import Submission
from participation.plans.content import PlanContent
from tests.feedback.helpers import KEY_RE, Child
from tests.relay import Relay

WORDS = "Please keep my words safe even when the server is down"
WORKER_TIMEOUT = 30  # gunicorn's default: every answer must come well before it


def stored(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(Submission)) or 0)


def shows_words_back(page: str, key: str | None = None) -> bool:
    textarea = page.split("<textarea", 1)[1].split("</textarea>", 1)[0] if "<textarea" in page else ""
    same_key = key is None or (KEY_RE.search(page) or [None, None])[1] == key
    return WORDS in textarea and "Your words are still here" in page and same_key


@pytest.fixture
def relay(database_url: str) -> Iterator[Relay]:
    if not database_url.startswith("postgresql"):
        pytest.skip("the relay stands between the app and PostgreSQL: PostgreSQL pass only")
    url = make_url(database_url)
    relay = Relay((url.host or "127.0.0.1", url.port or 5432))
    yield relay
    relay.close()


@pytest.fixture
def relayed_app(app: Flask, relay: Relay, demo_plan: PlanContent) -> Iterator[Flask]:
    """A second app (as if a second worker) whose database traffic goes through the relay."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).set(host="127.0.0.1", port=relay.port)
    saved = limiter._storage, limiter._limiter
    worker = create_app({
        "TESTING": True, "SECRET_KEY": app.config["SECRET_KEY"], "PLAN_CACHE_SECONDS": 0.2,
        "SQLALCHEMY_DATABASE_URI": url.render_as_string(hide_password=False),
        "SESSION_COOKIE_SECURE": False,
    })
    yield worker
    with worker.app_context():
        db.engine.dispose()
    limiter._storage, limiter._limiter = saved


def post_again(child: Child, page: str, slug: str = "vision") -> Any:
    """Press Send again on the page the child was given (its token and key)."""
    child.page = page
    return child.client.post(f"/{child.locale}/plan/{slug}/ideas", data={
        "csrf_token": child.csrf, "idempotency_key": child.key, "body": WORDS})


def test_outage_keeps_pages_up_and_gives_the_words_back(app: Flask, relay: Relay,
                                                        relayed_app: Flask) -> None:
    child = Child(relayed_app.test_client())
    child.open_part("vision")
    key = child.key
    time.sleep(0.3)  # past PLAN_CACHE_SECONDS: the next page checks the database
    with relay.down():
        assert child.open_part("vision").status_code == 200  # the last good copy
        assert child.get("/en/").status_code == 200
        child.get("/en/plan/vision")
        response = child.client.post("/en/plan/vision/ideas", data={
            "csrf_token": child.csrf, "idempotency_key": key, "body": WORDS})
        page = response.get_data(as_text=True)
        assert response.status_code == 503
        assert response.headers["Retry-After"]
        assert shows_words_back(page, key)
    assert stored(app) == 0
    assert post_again(child, page).status_code == 302
    assert stored(app) == 1


def test_connection_lost_right_after_the_commit(app: Flask, relay: Relay,
                                                relayed_app: Flask) -> None:
    """The idea is stored; the child still gets the thank-you page, and a resend is a replay."""
    child = Child(relayed_app.test_client())
    child.open_part("vision")
    form = {"csrf_token": child.csrf, "idempotency_key": child.key, "body": WORDS}
    dropped: list[bool] = []

    def drop_once(session: Session, transaction: SessionTransaction) -> None:
        if not dropped and transaction.parent is None:  # the real commit, not a savepoint
            dropped.append(True)
            relay.drop()

    with relayed_app.app_context():
        event.listen(db.session.registry(), "after_transaction_end", drop_once)  # type: ignore[arg-type]
        try:
            first = child.client.post("/en/plan/vision/ideas", data=form)
        finally:
            event.remove(db.session.registry(), "after_transaction_end", drop_once)  # type: ignore[arg-type]
    assert dropped and first.status_code == 302
    assert child.get(first.headers["Location"]).status_code == 200  # a fresh connection
    again = child.client.post("/en/plan/vision/ideas", data=form)
    assert again.headers["Location"] == first.headers["Location"]
    assert stored(app) == 1


def test_frozen_database_answers_before_the_worker_timeout(app: Flask, relay: Relay,
                                                           relayed_app: Flask) -> None:
    child = Child(relayed_app.test_client())
    child.open_part("vision")
    key = child.key
    relay.stall()
    try:
        started = time.monotonic()
        response = child.client.post("/en/plan/vision/ideas", data={
            "csrf_token": child.csrf, "idempotency_key": key, "body": WORDS})
        elapsed = time.monotonic() - started
    finally:
        relay.resume()
    assert response.status_code == 503
    # Each wait is bounded, and so are all of a request's waits together.
    assert elapsed < REQUEST_WAIT_BUDGET_SECONDS + 3 < WORKER_TIMEOUT
    assert shows_words_back(response.get_data(as_text=True), key)


def test_database_restart_is_invisible_to_the_next_child(app: Flask, relay: Relay,
                                                         relayed_app: Flask) -> None:
    """Pooled connections died with the server; pre-ping replaces them before use."""
    child = Child(relayed_app.test_client())
    child.get("/en/my-ideas")  # a pooled connection now exists
    with relay.down():
        pass  # every open connection is cut, as in a restart
    assert child.get("/en/my-ideas").status_code == 200
    assert child.send("vision", WORDS).status_code == 302


def _hold_lock(app: Flask, release: threading.Event, holding: threading.Event) -> None:
    """Another client keeps the submissions table locked until ``release``."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    engine = create_engine(url, connect_args={"timeout": 0} if url.startswith("sqlite") else {})
    with engine.connect() as conn:
        if url.startswith("sqlite"):
            conn.exec_driver_sql("BEGIN EXCLUSIVE")
        else:
            conn.execute(text("BEGIN"))
            conn.execute(text("LOCK TABLE submissions IN ACCESS EXCLUSIVE MODE"))
        holding.set()
        release.wait(WORKER_TIMEOUT + 10)
        conn.rollback()
    engine.dispose()


def test_long_table_lock_gives_a_kind_503_in_time(app: Flask, demo_plan: PlanContent) -> None:
    child = Child(app.test_client())
    child.open_part("vision")
    key, csrf = child.key, child.csrf
    release, holding = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_lock, args=(app, release, holding))
    holder.start()
    try:
        assert holding.wait(10)
        started = time.monotonic()
        response = child.client.post("/en/plan/vision/ideas", data={
            "csrf_token": csrf, "idempotency_key": key, "body": WORDS})
        elapsed = time.monotonic() - started
    finally:
        release.set()
        holder.join()
    assert response.status_code == 503
    # SQLite locks the whole file: the plan check and the send each wait their busy timeout.
    assert elapsed < 15 < WORKER_TIMEOUT
    page = response.get_data(as_text=True)
    assert shows_words_back(page, key)
    assert post_again(child, page).status_code == 302
    assert stored(app) == 1


def test_plan_check_failing_serves_the_last_good_copy(app: Flask, demo_plan: PlanContent,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    child = Child(app.test_client())
    assert child.open_part("vision").status_code == 200  # cached (PLAN_CACHE_SECONDS is 0)

    def down() -> None:
        raise OperationalError("SELECT", {}, Exception("server closed the connection"))

    monkeypatch.setattr("participation.plans.queries._current_revision", down)
    assert child.open_part("vision").status_code == 200
    assert child.get("/en/").status_code == 200
    assert re.search(r"<h1[^>]*>", child.page)


def test_a_requests_waits_share_one_budget() -> None:
    """Each wait gets what is left of the request's budget, never more than the single-wait
    bound; maintenance work (long_statements) is not bounded."""
    from participation.db import (
        _WAIT_DEADLINE,
        CLIENT_WAIT_SECONDS,
        _wait_limit,
        end_request_budget,
        long_statements,
        start_request_budget,
    )

    start_request_budget()
    try:
        assert _wait_limit() == CLIENT_WAIT_SECONDS
        _WAIT_DEADLINE.set(time.monotonic() + 2)
        limit = _wait_limit()
        assert limit is not None and 1 < limit <= 2
        _WAIT_DEADLINE.set(time.monotonic() - 1)
        spent = _wait_limit()
        assert spent is not None and spent <= 0
        with long_statements():
            assert _wait_limit() is None
    finally:
        end_request_budget()
