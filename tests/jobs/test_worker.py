"""The worker end to end: a real Huey consumer sends the alert for an idea a child sent over
HTTP; the child never waits for the mail server; a queue store that is down loses nothing."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import create_engine, select, text, update

from participation.db import db, utcnow
from participation.feedback.models import Submission, SubmissionStatus
from participation.jobs.queue import job_queue
from participation.jobs.services import dispatch_due, enqueue
from participation.plans.content import PlanContent
from tests.conftest import ROOT, service_missing
from tests.feedback.helpers import Child
from tests.jobs.builders import URGENT_WORDS, make_lead, outbox, send_urgent
from tests.jobs.fake_smtp import FakeSMTPServer

PUBLIC_URL = "https://participation.example.org"


def _mail_settings(smtp: FakeSMTPServer) -> dict[str, Any]:
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp.port, "SMTP_STARTTLS": False,
            "BABEL_DEFAULT_LOCALE": "en"}


def _web(make_app: Callable[..., Flask], **settings: Any) -> Flask:
    """The app children use; its e-mails link to PUBLIC_URL (set after the build, so the test
    client's own host stays one the app answers to)."""
    web = make_app(**settings)
    web.config["PUBLIC_URL"] = PUBLIC_URL
    return web


@pytest.fixture
def restore_signals() -> Iterator[None]:
    """The consumer installs its own SIGINT/SIGTERM/SIGHUP handlers; give pytest its own back."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def test_a_real_worker_sends_one_email_for_an_urgent_idea(
    make_app: Callable[..., Flask], demo_plan: PlanContent, tmp_path: Path,
    restore_signals: None,
) -> None:
    with FakeSMTPServer() as smtp:
        web = _web(make_app, JOBS_URL=f"sqlite:///{tmp_path}/jobs.sqlite3",
                   **_mail_settings(smtp))
        make_lead(web, "lead@example.org")
        queue = job_queue(web)
        queue.prepare_store()
        consumer = queue.huey.create_consumer(workers=2, worker_type="thread", periodic=True,
                                              max_delay=0.2)
        consumer.start()  # worker and scheduler threads, as `flask jobs worker` runs them
        try:
            send_urgent(web.test_client())
            [message] = smtp.wait_for(1)
        finally:
            consumer.stop(graceful=True)
    assert message["To"] == "lead@example.org"
    assert message["Subject"] == "An urgent item is waiting for review"
    assert f"{PUBLIC_URL}/staff/queues" in message.get_content()
    assert "hits" not in message.get_content()
    [done] = outbox(web)
    assert done.done_at is not None and done.attempts == 1
    with web.app_context():
        assert dispatch_due().done == 0  # nothing left: one e-mail, not two
    assert len(smtp.messages) == 1


def test_the_child_never_waits_for_the_mail_server(
    make_app: Callable[..., Flask], demo_plan: PlanContent
) -> None:
    with FakeSMTPServer(delay=3.0) as smtp:  # a server that takes 3 s to answer
        web = _web(make_app, JOBS_URL="memory://", **_mail_settings(smtp))
        make_lead(web, "lead@example.org")
        child = Child(web.test_client())
        child.open_part("values")
        started = time.perf_counter()
        response = child.client.post("/en/plan/values/ideas", data={
            "csrf_token": child.csrf, "idempotency_key": child.key, "body": URGENT_WORDS})
        took = time.perf_counter() - started
    assert response.status_code == 302
    assert took < 1.5, f"the idea took {took:.2f} s: the request waited for SMTP"
    assert smtp.messages == []
    [message] = outbox(web)
    assert message.kind == "alert.urgent" and message.done_at is None


def test_a_queue_store_that_is_down_costs_the_child_nothing_and_loses_nothing(
    make_app: Callable[..., Flask], demo_plan: PlanContent, caplog: pytest.LogCaptureFixture
) -> None:
    with FakeSMTPServer() as smtp:
        # Nothing listens on port 1: the queue store is down.
        web = _web(make_app, JOBS_URL="redis://127.0.0.1:1/0", **_mail_settings(smtp))
        make_lead(web, "lead@example.org")
        send_urgent(web.test_client())
        send_urgent(web.test_client())  # "the process died before alerting": nothing was sent
        down = [r for r in caplog.records if "Job queue unreachable" in r.getMessage()]
        assert len(down) == 1 and down[0].exc_info is None  # logged once, no traceback
        assert smtp.messages == []
        assert [m.done_at for m in outbox(web)] == [None, None]
        with web.app_context():
            assert dispatch_due().done == 2  # the periodic dispatch (or cron's run-due)
        [message] = smtp.wait_for(1)
    assert message["Subject"] == "2 urgent items are waiting for review"


def test_a_queue_store_that_hangs_costs_one_request_not_every_request(
    make_app: Callable[..., Flask], demo_plan: PlanContent, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    web = _web(make_app, JOBS_URL="memory://")
    queue = job_queue(web)
    attempts: list[float] = []

    def hang(data: bytes, priority: float | None = None) -> None:
        attempts.append(time.monotonic())
        time.sleep(0.5)  # the store's timeout
        raise ConnectionError("the queue store did not answer")

    real_enqueue = queue.huey.storage.enqueue
    monkeypatch.setattr(queue.huey.storage, "enqueue", hang)
    took = []
    for _ in range(3):
        started = time.perf_counter()
        send_urgent(web.test_client())
        took.append(time.perf_counter() - started)
    assert len(attempts) == 1 and took[0] >= 0.5 and max(took[1:]) < 0.5
    assert len(outbox(web)) == 3  # every alert waits in the outbox
    monkeypatch.setattr(queue.huey.storage, "enqueue", real_enqueue)
    monkeypatch.setattr(queue, "_paused_until", 0.0)  # the pause is over
    send_urgent(web.test_client())
    assert queue.huey.storage.queue_size() == 1
    messages = [r.getMessage() for r in caplog.records if r.name == "participation.jobs.queue"]
    assert messages == ["Job queue unreachable (ConnectionError); outbox messages wait for the "
                        "periodic dispatch", "Job queue reachable again"]


def test_the_redis_queue_store_carries_the_nudge(make_app: Callable[..., Flask]) -> None:
    # Each pass of `make test` (SQLite, PostgreSQL) runs at the same time: one database each.
    url = f"redis://127.0.0.1:6379/{14 if os.environ.get('TEST_DATABASE_URL') else 13}"
    try:
        Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except RedisError as error:
        service_missing(f"Redis at {url} is not reachable: {error}")
    web = _web(make_app, JOBS_URL=url)
    storage = job_queue(web).huey.storage
    storage.flush_queue()
    try:
        with web.app_context():
            enqueue("test.nothing", {"item_id": 1})
            db.session.commit()
        assert storage.queue_size() == 1
    finally:
        storage.flush_queue()


def test_the_postgres_queue_store_carries_the_nudge(
    make_app: Callable[..., Flask], database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgresHuey needs PostgreSQL (set TEST_DATABASE_URL)")
    # Huey's tables go in a schema of their own, so the test database's schema stays the models'.
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.execute(text("CREATE SCHEMA IF NOT EXISTS jobs_queue_test"))
    web = _web(make_app, JOBS_URL=f"{database_url}?options=-csearch_path%3Djobs_queue_test")
    storage = job_queue(web).huey.storage
    try:
        with web.app_context():
            enqueue("test.nothing", {"item_id": 1})
            db.session.commit()
        assert storage.queue_size() == 1
    finally:
        storage.close()
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA jobs_queue_test CASCADE"))
        engine.dispose()


def test_periodic_work_runs_in_the_worker(app: Flask, demo_plan: PlanContent) -> None:
    periodic = job_queue(app).periodic
    assert set(periodic) >= {"jobs.dispatch_every_minute", "jobs.prune_done",
                             "alerts.realert_overdue", "feedback.purge_expired_texts"}
    child = Child(app.test_client())
    child.send("values", "I would like more parks")
    with app.app_context():
        db.session.execute(update(Submission).values(
            status=SubmissionStatus.REJECTED,
            decided_at=utcnow() - timedelta(days=app.config["FEEDBACK_RETENTION_DAYS"] + 1)))
        db.session.commit()
    periodic["feedback.purge_expired_texts"]()  # what the worker runs daily
    with app.app_context():
        assert db.session.scalars(select(Submission.body)).all() == [None]


def test_flask_jobs_worker_delivers_and_stops_on_sigint(
    make_app: Callable[..., Flask], demo_plan: PlanContent, database_url: str, tmp_path: Path
) -> None:
    jobs_url = f"sqlite:///{tmp_path}/jobs.sqlite3"
    with FakeSMTPServer() as smtp:
        env = {**os.environ, "FLASK_APP": "participation", "DATABASE_URL": database_url,
               "SECRET_KEY": "test-secret-key", "JOBS_URL": jobs_url, "LOCALES": "en,fr,es",
               "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port), "SMTP_STARTTLS": "0",
               "PUBLIC_URL": PUBLIC_URL}
        worker = subprocess.Popen([sys.executable, "-m", "flask", "jobs", "worker"], env=env,
                                  cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True)
        delivered: list[EmailMessage] = []
        try:
            web = _web(make_app, JOBS_URL=jobs_url)  # the web side shares the queue store
            make_lead(web, "lead@example.org")
            send_urgent(web.test_client())
            with contextlib.suppress(AssertionError):  # reported below, with the worker's words
                delivered = smtp.wait_for(1, timeout=90)
        finally:
            worker.send_signal(signal.SIGINT)
            output, _ = worker.communicate(timeout=60)
    assert len(delivered) == 1, f"no e-mail from the worker; it said:\n{output[-3000:]}"
    assert worker.returncode == 0, output
    [message] = delivered
    assert message["Subject"] == "An urgent item is waiting for review"
    assert f"{PUBLIC_URL}/staff/queues" in message.get_content()
    assert "lead@example.org" not in output and "hits" not in output
