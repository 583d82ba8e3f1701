"""Failure logs hold no child's words, no concern text, no typed e-mail, and do not flood."""

from __future__ import annotations

import logging

import pytest
from flask import Flask
from sqlalchemy import text

from participation.db import db
from participation.errors import FailureLog, scrub
from participation.plans.content import PlanContent
from tests.feedback.helpers import Child

WORDS = "my secret words about my family"


@pytest.fixture
def failing_store(monkeypatch: pytest.MonkeyPatch) -> None:
    """Storing an idea breaks inside the database, with the child's words as parameters
    (PostgreSQL then quotes the whole row in its DETAIL line)."""

    def broken(**kwargs: object) -> None:
        db.session.execute(
            text("INSERT INTO submissions (public_id, plan_id, source, locale, body, status, "
                 "priority, created_at, updated_at) VALUES (NULL, 1, 'child', 'en', :body, "
                 "'pending', 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
            {"body": kwargs["text"]},
        )

    monkeypatch.setattr("participation.feedback.views.submit_idea", broken)


def test_a_database_error_logs_no_words_and_one_traceback(
    app: Flask, demo_plan: PlanContent, failing_store: None, caplog: pytest.LogCaptureFixture
) -> None:
    app.extensions["failure_log"]._last.clear()
    with caplog.at_level(logging.INFO):
        for _attempt in range(20):  # twenty children (one child would be told to wait)
            child = Child(app.test_client())
            response = child.send("vision", WORDS)
            assert response.status_code == 500
            assert WORDS in child.page  # the child still gets the words back
    logged = caplog.text
    assert WORDS not in logged
    assert "Failing row" not in logged and "DETAIL" not in logged
    with_traceback = [r for r in caplog.records if "Traceback" in r.getMessage()]
    assert len(with_traceback) == 1
    assert logged.count("again; traceback above") == 19
    assert len(logged.splitlines()) < 200


def test_scrub_removes_quoted_rows_and_parameters() -> None:
    message = (
        '(psycopg.errors.NotNullViolation) null value in column "public_id"\n'
        "DETAIL:  Failing row contains (12, null, my words).\n"
        "[SQL: INSERT INTO submissions ...]\n"
        "[parameters: {'body': 'my words'}]\n"
        'Key (email)=(lead@example.org) already exists.'
    )
    cleaned = scrub(message)
    assert "my words" not in cleaned and "lead@example.org" not in cleaned
    assert "null value" in cleaned and "[SQL: INSERT" in cleaned


def _boom() -> None:
    raise RuntimeError("boom")


def test_repeats_are_one_line_until_the_interval_passes() -> None:
    logger = logging.getLogger("test.failures")
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger.addHandler(handler)

    def fail_once(log: FailureLog) -> None:
        try:
            _boom()
        except RuntimeError as error:
            log.failure(error, "context")

    try:
        log = FailureLog(logger, every=0.0)
        fail_once(log)
        fail_once(log)
        assert all("Traceback" in record.getMessage() for record in records)  # interval 0
        log.every = 3600
        fail_once(log)
        assert "again" in records[-1].getMessage()
    finally:
        logger.removeHandler(handler)
