"""Every idea records the screening data that screened it; hosts that disagree are shown."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from participation.accounts.models import Role
from participation.accounts.services import create_user
from participation.db import db, utcnow
from participation.feedback.models import Submission
from participation.plans.content import PlanContent
from participation.screening.hosts import host_name, report_host
from participation.screening.models import ScreeningHost
from participation.screening.rules import data_version
from tests.feedback.helpers import Child


def test_each_idea_records_the_screening_version(app: Flask, demo_plan: PlanContent) -> None:
    Child(app.test_client()).send("vision", "More parks please")
    with app.app_context():
        version = db.session.scalar(select(Submission.screening_version))
    assert version == data_version() and len(version) == 12


def test_a_host_reports_itself_on_its_first_request(app: Flask, demo_plan: PlanContent) -> None:
    app.extensions["screening_hosts"]._next_report = 0.0
    app.test_client().get("/en/")
    with app.app_context():
        row = db.session.get(ScreeningHost, host_name())
        assert row is not None and row.version == data_version()


def test_differing_hosts_are_shown_to_staff_and_logged(
    app: Flask, demo_plan: PlanContent, caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "STAFF_TOTP_REQUIRED", False)
    with app.app_context():
        report_host("other-host", "0123456789ab")
        stale = ScreeningHost(host="retired-host", version="ffffffffffff",
                              seen_at=utcnow() - timedelta(days=3))
        db.session.add(stale)
        create_user("lead@example.org", "a long and calm passphrase", [Role.SAFEGUARDING_LEAD],
                    actor_id=None, with_totp=False)
        db.session.commit()
    reporter = app.extensions["screening_hosts"]
    reporter._next_report = reporter._next_check = 0.0
    client = app.test_client()
    with caplog.at_level(logging.WARNING):
        client.get("/en/")
    assert "Screening data differs" in caplog.text and "other-host=0123456789ab" in caplog.text
    assert "retired-host" not in caplog.text  # not seen for days: not counted
    page = client.get("/staff/login").get_data(as_text=True)
    assert "do not screen with the same rules" in page and "0123456789ab" in page
    reporter._next_check = 0.0
    assert "same rules" not in client.get("/en/").get_data(as_text=True)  # staff pages only
