"""Leads are alerted about urgent items by the job worker: without the child's words, a burst
in one e-mail, overdue items re-alerted; a bad address or a mail server down loses no alert."""

from __future__ import annotations

import socket
import ssl
import uuid
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from typing import Any, ClassVar

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select, update

from participation.accounts.models import Role, User
from participation.audit.models import AuditEvent
from participation.db import db, utcnow
from participation.feedback.models import Submission
from participation.feedback.services import submit_idea
from participation.jobs.models import OutboxMessage
from participation.jobs.queue import job_queue
from participation.jobs.services import dispatch_due
from participation.moderation.services import claim_next, escalate_to_safeguarding
from participation.plans.content import PlanContent
from participation.plans.models import Plan
from tests.feedback.helpers import Child
from tests.jobs.builders import URGENT_WORDS, make_lead, outbox, send_urgent
from tests.jobs.fake_smtp import FakeSMTPServer
from tests.moderation.test_pages import staff

PUBLIC_URL = "https://participation.example.org"
WORDS = ("dad", "hits", "scared")


@pytest.fixture
def smtp(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSMTPServer]:
    """A real SMTP conversation with a local fake server; alerts in English."""
    with FakeSMTPServer() as server:
        for key, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": server.port,
                           "SMTP_STARTTLS": False, "BABEL_DEFAULT_LOCALE": "en",
                           "PUBLIC_URL": PUBLIC_URL, "STAFF_TOTP_REQUIRED": False}.items():
            monkeypatch.setitem(app.config, key, value)
        yield server


def dispatch(app: Flask, **kwargs: Any) -> None:
    with app.app_context():
        dispatch_due(**kwargs)


def _no_words(message: EmailMessage) -> None:
    text = f"{message['Subject']} {message.get_content()}".lower()
    assert not any(word in text for word in WORDS)


def _submit_urgent() -> Submission:
    plan_id = db.session.scalar(select(Plan.id))
    assert plan_id is not None
    result = submit_idea(plan_id=plan_id, section_id=None, locale="en", text=URGENT_WORDS,
                         age_band=None, child_hash="c" * 64, idempotency_key=uuid.uuid4().hex)
    submission = db.session.get(Submission, result.submission_id)
    assert submission is not None
    return submission


def _stored(app: Flask) -> tuple[int, int]:
    with app.app_context():
        return (len(db.session.scalars(select(Submission.id)).all()),
                len(db.session.scalars(select(OutboxMessage.id)).all()))


def test_an_urgent_idea_is_stored_with_its_alert_or_neither(
    app: Flask, demo_plan: PlanContent, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(kind: str, payload: dict[str, Any]) -> None:
        raise RuntimeError("the process died while storing the alert")

    with app.app_context():
        with monkeypatch.context() as patch:
            patch.setattr("participation.feedback.services.enqueue", crash)
            with pytest.raises(RuntimeError):
                _submit_urgent()
        db.session.rollback()
    assert _stored(app) == (0, 0)  # no idea without its alert (the child sees their words back)
    with app.app_context():
        _submit_urgent()
        db.session.rollback()  # the request failed after storing both
    # Neither stays, on SQLite too: no savepoint (which its driver would commit early).
    assert _stored(app) == (0, 0)
    with app.app_context():
        submission_id = _submit_urgent().id
        db.session.commit()
    message = outbox(app)[-1]
    assert (message.kind, message.payload) == ("alert.urgent", {"submission_id": submission_id})


def test_a_new_urgent_idea_alerts_leads_without_the_words(
    app: Flask, client: FlaskClient, demo_plan: PlanContent, smtp: FakeSMTPServer
) -> None:
    lead = staff(app, "lead@example.org", Role.SAFEGUARDING_LEAD)
    Child(client).send("values", "I like this part")
    assert outbox(app) == []  # ordinary ideas alert no one
    send_urgent(client)
    assert smtp.messages == []  # never inside the child's request
    dispatch(app)
    [message] = smtp.messages
    assert message["To"] == "lead@example.org" and smtp.envelopes == [["lead@example.org"]]
    assert message["Subject"] == "An urgent item is waiting for review"
    assert f"{PUBLIC_URL}/staff/queues" in message.get_content()
    _no_words(message)
    page = lead.get("/staff/").get_data(as_text=True)
    assert "1 urgent item waiting" in page
    with app.app_context():
        [event] = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "alert.new_urgent")).all()
        assert event.details == {"emails": 1, "items": 1}


def test_a_burst_of_urgent_items_makes_one_more_email_not_five(
    app: Flask, client: FlaskClient, demo_plan: PlanContent, smtp: FakeSMTPServer
) -> None:
    make_lead(app, "lead@example.org")
    send_urgent(client)
    dispatch(app)
    assert len(smtp.messages) == 1  # the first at once
    first_sent = utcnow()
    for _ in range(5):
        send_urgent(app.test_client())
    dispatch(app)
    assert len(smtp.messages) == 1  # the burst waits for the window to end
    window = timedelta(minutes=app.config["ALERT_GROUP_MINUTES"])
    dispatch(app, now=first_sent + window + timedelta(seconds=1))
    assert len(smtp.messages) == 2
    assert smtp.messages[1]["Subject"] == "5 urgent items are waiting for review"
    assert "5 urgent items arrived" in smtp.messages[1].get_content()
    _no_words(smtp.messages[1])


def test_an_escalation_alerts_the_leads_from_its_own_transaction(
    app: Flask, client: FlaskClient, demo_plan: PlanContent, smtp: FakeSMTPServer
) -> None:
    make_lead(app, "lead@example.org")
    facilitator_id = make_lead(app, "facilitator@example.org", role=Role.FACILITATOR)
    Child(client).send("values", "I like this part")
    with app.app_context():
        facilitator = db.session.get(User, facilitator_id)
        assert facilitator is not None
        item = claim_next(facilitator)
        assert item is not None
        escalate_to_safeguarding(item, facilitator, note="worried")
        db.session.rollback()
        assert db.session.scalars(select(OutboxMessage)).all() == []
        item = claim_next(facilitator)
        assert item is not None
        escalate_to_safeguarding(item, facilitator, note="worried")
        item_id = item.id
        db.session.commit()
    [message] = outbox(app)
    assert message.payload == {"submission_id": item_id, "reason": "escalated"}
    dispatch(app)
    [email] = smtp.messages
    assert email["To"] == "lead@example.org"


def test_a_malformed_lead_address_does_not_stop_the_others(
    app: Flask, client: FlaskClient, demo_plan: PlanContent, smtp: FakeSMTPServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    make_lead(app, "first@example.org")
    make_lead(app, "broken@example.org", stored_as="broken@example.org\r\nBcc: x@evil.example")
    make_lead(app, "second@example.org")
    send_urgent(client)
    dispatch(app)
    assert sorted(m["To"] for m in smtp.messages) == ["first@example.org", "second@example.org"]
    assert sorted(address for envelope in smtp.envelopes for address in envelope) == [
        "first@example.org", "second@example.org"]
    assert "malformed" in caplog.text and "evil" not in caplog.text and "broken" not in caplog.text
    assert all(message.done_at is not None for message in outbox(app))


class RecordingSMTP:
    """Stands in for smtplib.SMTP: remembers how the connection was secured."""

    calls: ClassVar[list[tuple[str, Any]]] = []

    def __init__(self, host: str, port: int, timeout: float) -> None:
        RecordingSMTP.calls.append(("connect", (host, port, timeout)))

    def __enter__(self) -> RecordingSMTP:
        return self

    def __exit__(self, *args: object) -> None:
        return None

    def starttls(self, *, context: ssl.SSLContext | None = None) -> None:
        RecordingSMTP.calls.append(("starttls", context))

    def login(self, user: str, password: str) -> None:
        RecordingSMTP.calls.append(("login", user))

    def send_message(self, message: EmailMessage) -> None:
        RecordingSMTP.calls.append(("send", message["To"]))


def test_starttls_verifies_the_servers_certificate(
    app: Flask, client: FlaskClient, demo_plan: PlanContent, smtp: FakeSMTPServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    RecordingSMTP.calls = []
    monkeypatch.setattr("smtplib.SMTP", RecordingSMTP)
    monkeypatch.setitem(app.config, "SMTP_STARTTLS", True)
    monkeypatch.setitem(app.config, "SMTP_USERNAME", "alerts")
    make_lead(app, "lead@example.org")
    send_urgent(client)
    dispatch(app)
    steps = [step for step, _ in RecordingSMTP.calls]
    assert steps == ["connect", "starttls", "login", "send"]
    assert RecordingSMTP.calls[0][1] == ("127.0.0.1", smtp.port, app.config["SMTP_TIMEOUT_SECONDS"])
    context = RecordingSMTP.calls[1][1]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_a_mail_server_that_is_down_delays_the_alert_but_loses_none(
    app: Flask, client: FlaskClient, demo_plan: PlanContent, smtp: FakeSMTPServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_lead(app, "lead@example.org")
    monkeypatch.setitem(app.config, "SMTP_PORT", _closed_port())
    send_urgent(client)
    start = utcnow()
    dispatch(app, now=start)
    [message] = outbox(app)
    assert message.done_at is None and message.attempts == 1
    assert message.last_error is not None and message.last_error.startswith("ConnectionRefusedError")
    monkeypatch.setitem(app.config, "SMTP_PORT", smtp.port)  # the server is back
    dispatch(app, now=start + timedelta(seconds=app.config["JOBS_RETRY_SECONDS"]))
    assert len(smtp.messages) == 1


def test_without_smtp_the_badge_still_counts(
    app: Flask, client: FlaskClient, demo_plan: PlanContent, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "SMTP_HOST", "")
    make_lead(app, "lead@example.org")
    send_urgent(client)
    dispatch(app)
    [message] = outbox(app)
    assert message.done_at is not None
    with app.app_context():
        details = db.session.scalars(select(AuditEvent.details).where(
            AuditEvent.action == "alert.new_urgent")).all()
    assert details == [{"emails": 0, "items": 1}]


def test_overdue_urgent_items_are_realerted_once_per_interval(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, demo_plan: PlanContent,
    smtp: FakeSMTPServer, caplog: pytest.LogCaptureFixture,
) -> None:
    make_lead(app, "lead@example.org")
    send_urgent(client, "i want to die")
    dispatch(app)
    with app.app_context():
        db.session.execute(update(Submission).values(created_at=utcnow() - timedelta(minutes=45)))
        db.session.commit()
    smtp.messages.clear()
    job_queue(app).periodic["alerts.realert_overdue"]()  # what the worker runs every 5 minutes
    dispatch(app)
    [message] = smtp.messages
    assert message["Subject"] == "An urgent item is not yet acknowledged"
    assert "more than 30 minutes" in message.get_content()
    assert f"{PUBLIC_URL}/staff/queues" in message.get_content()
    assert "die" not in message.get_content()
    # For cron: the command re-alerts and sends at once, but not twice in one interval.
    assert "re-alerted for 0" in runner.invoke(args=["alert-overdue"]).output
    assert len(smtp.messages) == 1
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions.count("alert.overdue") == 1 and actions.count("alert.overdue_sent") == 1


def test_the_cron_command_sends_the_realert_without_a_worker(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, demo_plan: PlanContent,
    smtp: FakeSMTPServer,
) -> None:
    make_lead(app, "lead@example.org")
    send_urgent(client)
    with app.app_context():
        db.session.execute(update(Submission).values(created_at=utcnow() - timedelta(minutes=45)))
        db.session.commit()
    assert "re-alerted for 1" in runner.invoke(args=["alert-overdue"]).output
    subjects = sorted(str(message["Subject"]) for message in smtp.messages)
    assert subjects == ["An urgent item is not yet acknowledged",
                        "An urgent item is waiting for review"]

