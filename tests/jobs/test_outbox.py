"""The outbox: work is stored with the change that needs it, run once, retried, then given up."""

from __future__ import annotations

import logging
import smtplib
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from huey import MemoryHuey, PostgresHuey, RedisHuey, SqliteHuey
from sqlalchemy import func, select, update

from participation.db import db, utcnow
from participation.jobs.models import OutboxMessage
from participation.jobs.queue import (
    JobsConfigError,
    build_huey,
    job_queue,
    register_grouped_handler,
    register_handler,
)
from participation.jobs.services import (
    PayloadError,
    describe_error,
    dispatch_due,
    enqueue,
    prune_done_messages,
)
from tests.jobs.builders import outbox

ECHO = "test.echo"
GROUPED = "test.grouped"


class Recorder:
    """A handler that remembers every payload it ran, from any thread."""

    def __init__(self, pause: float = 0.0) -> None:
        self.calls: list[list[dict[str, Any]]] = []
        self.pause = pause
        self._lock = threading.Lock()

    def one(self, payload: dict[str, Any]) -> None:
        self.many([payload])

    def many(self, payloads: list[dict[str, Any]]) -> None:
        time.sleep(self.pause)  # widen the window in which a second worker could interfere
        with self._lock:
            self.calls.append(payloads)

    @property
    def payloads(self) -> list[dict[str, Any]]:
        return [payload for call in self.calls for payload in call]


@pytest.fixture
def echo(app: Flask) -> Iterator[Recorder]:
    recorder = Recorder()
    register_handler(app, ECHO, recorder.one)
    yield recorder
    job_queue(app).handlers.pop(ECHO, None)


@pytest.fixture
def grouped(app: Flask) -> Iterator[Recorder]:
    recorder = Recorder(pause=0.2)
    register_grouped_handler(app, GROUPED, recorder.many, lambda: timedelta(minutes=5))
    yield recorder
    job_queue(app).grouped.pop(GROUPED, None)


def _count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(OutboxMessage)) or 0


def test_work_is_stored_with_the_change_or_not_at_all(app: Flask, echo: Recorder) -> None:
    with app.app_context():
        enqueue(ECHO, {"item_id": 1})
        db.session.rollback()
    assert _count(app) == 0
    with app.app_context():
        enqueue(ECHO, {"item_id": 2})
        db.session.commit()
    [message] = outbox(app)
    assert (message.kind, message.payload, message.attempts) == (ECHO, {"item_id": 2}, 0)
    assert message.done_at is None and message.failed_at is None


@pytest.mark.parametrize("payload", [
    {"text": "I am scared at home"}, {"to": "lead@example.org"}, {"item_id": 1.5},
    {"ids": [1, "two words"]},
])
def test_payloads_hold_ids_and_codes_only(app: Flask, payload: dict[str, Any]) -> None:
    with app.app_context(), pytest.raises(PayloadError):
        enqueue(ECHO, payload)


def test_a_commit_that_enqueued_nudges_the_worker_once(app: Flask) -> None:
    storage = job_queue(app).huey.storage
    storage.flush_queue()
    with app.app_context():
        enqueue(ECHO, {"item_id": 1})
        db.session.rollback()
        db.session.commit()
        assert storage.queue_size() == 0  # rolled back: nothing to dispatch
        enqueue(ECHO, {"item_id": 2})
        with db.session.begin_nested():
            pass
        assert storage.queue_size() == 0  # a savepoint is not the commit
        db.session.commit()
        assert storage.queue_size() == 1
        db.session.commit()
        assert storage.queue_size() == 1  # a commit without new work does not nudge


def test_dispatch_runs_each_message_once_and_marks_it_done(app: Flask, echo: Recorder,
                                                          runner: FlaskCliRunner) -> None:
    with app.app_context():
        for item_id in (1, 2, 3):
            enqueue(ECHO, {"item_id": item_id})
        enqueue(ECHO, {"item_id": 4}, available_at=utcnow() + timedelta(hours=1))
        db.session.commit()
    assert runner.invoke(args=["jobs", "status"]).output.strip() == (
        "waiting 4 (retrying 0), failed 0, done 0")
    assert "done 3," in runner.invoke(args=["jobs", "run-due"]).output
    assert "done 0," in runner.invoke(args=["jobs", "run-due"]).output
    assert echo.payloads == [{"item_id": 1}, {"item_id": 2}, {"item_id": 3}]
    assert runner.invoke(args=["jobs", "status"]).output.strip() == (
        "waiting 1 (retrying 0), failed 0, done 3")


def test_failures_back_off_then_give_up_with_a_scrubbed_error(
    app: Flask, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(app.config, "JOBS_MAX_ATTEMPTS", 3)
    monkeypatch.setitem(app.config, "JOBS_RETRY_SECONDS", 30)

    def refuse(payload: dict[str, Any]) -> None:
        raise smtplib.SMTPRecipientsRefused(
            {"lead@example.org": (550, b"no mailbox lead@example.org at 192.0.2.7")})

    register_handler(app, "test.refused", refuse)
    try:
        with app.app_context():
            enqueue("test.refused", {"item_id": 1})
            db.session.commit()
            start = utcnow()
            assert dispatch_due(now=start).retried == 1
            [message] = outbox(app)
            assert message.attempts == 1 and message.available_at == start + timedelta(seconds=30)
            assert message.last_error is not None
            assert message.last_error.startswith("SMTPRecipientsRefused: ")
            assert "@" not in message.last_error and "192.0.2.7" not in message.last_error
            assert dispatch_due(now=start + timedelta(seconds=29)).retried == 0  # not yet due
            second = start + timedelta(seconds=30)
            assert dispatch_due(now=second).retried == 1
            [message] = outbox(app)
            assert message.available_at == second + timedelta(seconds=60)  # doubled
            report = dispatch_due(now=second + timedelta(seconds=60))
        assert (report.retried, report.failed) == (0, 1)
        [message] = outbox(app)
        assert message.failed_at is not None and message.attempts == 3
        gave_up = [r for r in caplog.records if "Gave up on outbox message" in r.getMessage()]
        assert len(gave_up) == 1 and gave_up[0].levelno == logging.ERROR
        assert "lead@example.org" not in caplog.text
    finally:
        job_queue(app).handlers.pop("test.refused", None)


def test_a_message_without_a_handler_is_retried_not_dropped(app: Flask) -> None:
    with app.app_context():
        enqueue("test.nobody", {"item_id": 1})
        db.session.commit()
        assert dispatch_due().retried == 1
    [message] = outbox(app)
    assert message.done_at is None and message.last_error == "LookupError: no handler for test.nobody"


def test_work_of_a_worker_that_died_is_taken_over_after_its_lease(
    app: Flask, echo: Recorder
) -> None:
    with app.app_context():
        message = enqueue(ECHO, {"item_id": 1})
        db.session.commit()
        now = utcnow()
        lease = timedelta(seconds=app.config["JOBS_LEASE_SECONDS"])
        # A worker claimed it, then died before marking it done.
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message.id)
                           .values(attempts=1, available_at=now + lease))
        db.session.commit()
        assert dispatch_due(now=now + lease - timedelta(seconds=1)).done == 0
        assert dispatch_due(now=now + lease).done == 1
    assert echo.payloads == [{"item_id": 1}]
    [message] = outbox(app)
    assert message.attempts == 2 and message.done_at is not None


def _race(app: Flask, dispatchers: int) -> list[BaseException]:
    """Run ``dispatchers`` dispatches at the same moment, each in its own thread and session."""
    start = threading.Barrier(dispatchers)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with app.app_context():
                start.wait()
                dispatch_due()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(dispatchers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_dispatchers_at_once_never_run_a_message_twice(app: Flask) -> None:
    recorder = Recorder(pause=0.01)
    register_handler(app, ECHO, recorder.one)
    try:
        with app.app_context():
            for item_id in range(40):
                enqueue(ECHO, {"item_id": item_id})
            db.session.commit()
        assert _race(app, 3) == []
    finally:
        job_queue(app).handlers.pop(ECHO, None)
    handled = sorted(payload["item_id"] for payload in recorder.payloads)
    assert handled == list(range(40))  # every one, none twice
    assert all(message.done_at is not None for message in outbox(app))


def test_a_burst_is_handled_in_one_call_even_by_dispatchers_at_once(
    app: Flask, grouped: Recorder
) -> None:
    with app.app_context():
        for item_id in range(5):
            enqueue(GROUPED, {"item_id": item_id})
        db.session.commit()
    assert _race(app, 3) == []
    assert [len(call) for call in grouped.calls] == [5]


def test_grouped_work_after_a_run_waits_for_the_window(app: Flask, grouped: Recorder) -> None:
    with app.app_context():
        enqueue(GROUPED, {"item_id": 1})
        db.session.commit()
        assert dispatch_due().done == 1  # the first goes at once
        sent_at = utcnow()
        for item_id in (2, 3, 4):
            enqueue(GROUPED, {"item_id": item_id})
        db.session.commit()
        assert dispatch_due().held == 3
        assert dispatch_due(now=sent_at + timedelta(minutes=4)).done == 0
        assert dispatch_due(now=sent_at + timedelta(minutes=5, seconds=1)).done == 3
    assert [[p["item_id"] for p in call] for call in grouped.calls] == [[1], [2, 3, 4]]


def test_done_messages_are_pruned_after_a_month(app: Flask, echo: Recorder) -> None:
    with app.app_context():
        enqueue(ECHO, {"item_id": 1})
        enqueue("test.nobody", {"item_id": 2})
        db.session.commit()
        dispatch_due()
        assert prune_done_messages(now=utcnow() + timedelta(days=29)) == 0
        assert prune_done_messages(now=utcnow() + timedelta(days=31)) == 1
    assert [message.kind for message in outbox(app)] == ["test.nobody"]


def test_error_descriptions_keep_no_addresses() -> None:
    error = OSError("connect to smtp.example.org [2001:db8::1] for lead@example.org failed")
    described = describe_error(error)
    assert described.startswith("OSError: ")
    assert "lead@" not in described and "2001:db8::1" not in described
    assert len(describe_error(ValueError("x" * 1000))) <= 200


def test_the_queue_store_comes_from_jobs_url(tmp_path: Path) -> None:
    default = build_huey("", tmp_path / "jobs.sqlite3")
    assert isinstance(default, SqliteHuey)
    assert not (tmp_path / "jobs.sqlite3").exists()  # nothing opened when the app is built
    assert isinstance(build_huey("memory://", tmp_path / "x"), MemoryHuey)
    named = build_huey(f"sqlite:///{tmp_path}/elsewhere.sqlite3", tmp_path / "x")
    assert isinstance(named, SqliteHuey) and named.storage.filename == f"{tmp_path}/elsewhere.sqlite3"
    # Nothing listens on port 1: building still succeeds because nothing connects yet.
    assert isinstance(build_huey("redis://127.0.0.1:1/0", tmp_path / "x"), RedisHuey)
    assert isinstance(build_huey("postgresql://nobody@127.0.0.1:1/none", tmp_path / "x"),
                      PostgresHuey)
    with pytest.raises(JobsConfigError):
        build_huey("amqp://broker", tmp_path / "x")
