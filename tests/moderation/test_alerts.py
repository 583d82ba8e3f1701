"""Leads are alerted about urgent items, without the child's words; overdue ones re-alert."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from typing import ClassVar

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from participation.accounts.models import Role
from participation.audit.models import AuditEvent
from participation.db import db, utcnow
from participation.feedback.models import Submission
from participation.plans.content import PlanContent
from tests.feedback.helpers import Child
from tests.moderation.test_pages import staff


class FakeSMTP:
    sent: ClassVar[list[EmailMessage]] = []

    def __init__(self, host: str, port: int, timeout: int) -> None:
        self.host = host

    def __enter__(self) -> FakeSMTP:
        return self

    def __exit__(self, *args: object) -> None:
        return None

    def starttls(self) -> None:
        return None

    def login(self, user: str, password: str) -> None:
        return None

    def send_message(self, message: EmailMessage) -> None:
        FakeSMTP.sent.append(message)


@pytest.fixture
def smtp(app: Flask, monkeypatch: pytest.MonkeyPatch) -> type[FakeSMTP]:
    FakeSMTP.sent = []
    monkeypatch.setattr("participation.moderation.alerts.smtplib.SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "SMTP_HOST", "smtp.invalid")
    monkeypatch.setitem(app.config, "STAFF_TOTP_REQUIRED", False)
    return FakeSMTP


def test_new_urgent_item_alerts_leads_without_the_text(
    app: Flask, client: object, demo_plan: PlanContent, smtp: type[FakeSMTP]
) -> None:
    lead = staff(app, "lead@example.org", Role.SAFEGUARDING_LEAD)
    Child(client).send("values", "I like this part")  # type: ignore[arg-type]
    assert smtp.sent == []
    Child(client).send("values", "my mum hits me and I am scared")  # type: ignore[arg-type]
    [message] = smtp.sent
    assert message["To"] == "lead@example.org"
    assert "hits" not in message.get_content() and "scared" not in message.get_content()
    page = lead.get("/staff/").get_data(as_text=True)
    assert "1 urgent item waiting" in page


def test_overdue_urgent_items_are_realerted_once_per_interval(
    app: Flask, client: object, runner: FlaskCliRunner, demo_plan: PlanContent,
    smtp: type[FakeSMTP]
) -> None:
    staff(app, "lead@example.org", Role.SAFEGUARDING_LEAD)
    Child(client).send("values", "i want to die")  # type: ignore[arg-type]
    with app.app_context():
        item = db.session.scalars(select(Submission)).one()
        item.created_at = utcnow() - timedelta(minutes=45)
        db.session.commit()
    smtp.sent.clear()
    assert "re-alerted for 1" in runner.invoke(args=["alert-overdue"]).output
    assert "re-alerted for 0" in runner.invoke(args=["alert-overdue"]).output
    assert len(smtp.sent) == 1
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
        assert actions.count("alert.overdue") == 1
