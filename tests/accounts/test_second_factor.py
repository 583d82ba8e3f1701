"""The second step: five wrong codes pause it, a right code resets the count, and one code is
accepted once, also when requests race (threads, on SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from participation.accounts.models import User
from participation.accounts.services import TOTP_MAX_FAILURES, TotpOutcome, verify_second_factor
from participation.audit.models import AuditEvent
from participation.db import db, utcnow
from tests.conftest import StaffAccount, csrf_token, make_staff, sign_in

EMAIL = "lead@example.org"


def wrong_code(secret: str) -> str:
    """A well-formed code that matches none of the steps accepted now."""
    totp = pyotp.TOTP(secret)
    now = time.time()
    valid = {totp.at(now + offset) for offset in (-30, 0, 30)}
    return next(code for code in (f"{n:06d}" for n in range(1000)) if code not in valid)


def post_code(client: FlaskClient, code: str) -> tuple[int, str]:
    response = client.post("/staff/login/code", data={
        "csrf_token": csrf_token(client, "/staff/login/code"), "code": code})
    return response.status_code, response.get_data(as_text=True)


def audit(app: Flask) -> list[tuple[str, object]]:
    with app.app_context():
        return [(event.action, event.details) for event in
                db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def user_row(app: Flask, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        db.session.expunge(user)
        return user


def test_wrong_codes_pause_the_second_step(app: Flask, client: FlaskClient) -> None:
    account = make_staff(app, EMAIL)
    secret = account.totp_secret or ""
    sign_in(client, EMAIL)
    for _ in range(TOTP_MAX_FAILURES - 1):
        status, page = post_code(client, wrong_code(secret))
        assert status == 401 and "not valid" in page
    status, page = post_code(client, wrong_code(secret))
    assert status == 401 and "paused for 15 minutes" in page
    # Now even the right code is refused without being looked at.
    status, page = post_code(client, pyotp.TOTP(secret).now())
    assert status == 401 and "paused for 15 minutes" in page
    assert client.get("/staff/").status_code == 302
    events = audit(app)
    assert [action for action, _ in events].count("auth.totp_locked") == 1
    reasons = [details["reason"] for action, details in events  # type: ignore[index]
               if action == "auth.login_failed"]
    assert reasons == ["totp"] * TOTP_MAX_FAILURES + ["totp_locked"]
    row = user_row(app, account.id)
    assert row.totp_failures == TOTP_MAX_FAILURES and row.totp_locked_until is not None
    assert timedelta(minutes=14) < row.totp_locked_until - utcnow() <= timedelta(minutes=15)


def test_the_pause_ends_and_a_right_code_resets_the_count(app: Flask,
                                                          client: FlaskClient) -> None:
    account = make_staff(app, EMAIL)
    secret = account.totp_secret or ""
    sign_in(client, EMAIL)
    for _ in range(TOTP_MAX_FAILURES):
        post_code(client, wrong_code(secret))
    with app.app_context():  # fifteen minutes later
        db.session.execute(update(User).values(totp_locked_until=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    for _ in range(TOTP_MAX_FAILURES - 1):
        assert "not valid" in post_code(client, wrong_code(secret))[1]
    status, _ = post_code(client, pyotp.TOTP(secret).now())
    assert status == 302
    row = user_row(app, account.id)
    assert row.totp_failures == 0 and row.totp_locked_until is None


def test_the_pause_length_is_a_setting(app: Flask, client: FlaskClient,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "STAFF_TOTP_LOCK_MINUTES", 40)
    account = make_staff(app, EMAIL)
    sign_in(client, EMAIL)
    for _ in range(TOTP_MAX_FAILURES):
        _, page = post_code(client, wrong_code(account.totp_secret or ""))
    assert "paused for 40 minutes" in page
    row = user_row(app, account.id)
    assert row.totp_locked_until is not None
    assert row.totp_locked_until - utcnow() > timedelta(minutes=39)


def race(app: Flask, account: StaffAccount, codes: list[str]) -> list[TotpOutcome]:
    """Send each code from its own thread at the same moment, like simultaneous requests.

    SQLite lets one writer in at a time and may answer "database is locked" to the others:
    those retry, as a person pressing the button again would.
    """
    barrier = threading.Barrier(len(codes))
    outcomes: list[TotpOutcome] = []
    errors: list[BaseException] = []

    def attempt(code: str) -> None:
        try:
            with app.app_context():
                barrier.wait()
                for _ in range(200):
                    try:
                        user = db.session.get(User, account.id)
                        assert user is not None
                        outcome = verify_second_factor(user, code, lock_minutes=15)
                        db.session.commit()
                        outcomes.append(outcome)
                        return
                    except OperationalError as exc:
                        db.session.rollback()
                        if "database is locked" not in str(exc):
                            raise
                        time.sleep(0.005)
                raise AssertionError("still locked after 200 tries")
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=attempt, args=(code,)) for code in codes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(outcomes) == len(codes)
    return outcomes


def test_one_code_sent_twice_at_once_is_accepted_once(app: Flask) -> None:
    account = make_staff(app, EMAIL)
    code = pyotp.TOTP(account.totp_secret or "").now()
    for _ in range(3):  # a race is luck: run it a few times, each with a fresh step
        with app.app_context():
            db.session.execute(update(User).values(totp_last_step=None))
            db.session.commit()
        outcomes = Counter(race(app, account, [code, code]))
        assert outcomes == Counter({TotpOutcome.ACCEPTED: 1, TotpOutcome.WRONG: 1})


def test_simultaneous_wrong_codes_never_get_more_than_five_evaluated(app: Flask) -> None:
    account = make_staff(app, EMAIL)
    outcomes = Counter(race(app, account, [wrong_code(account.totp_secret or "")] * 12))
    evaluated = outcomes[TotpOutcome.WRONG] + outcomes[TotpOutcome.LOCKED_NOW]
    assert evaluated == TOTP_MAX_FAILURES
    assert outcomes[TotpOutcome.LOCKED_NOW] == 1 and outcomes[TotpOutcome.LOCKED] == 7
    actions = [action for action, _ in audit(app)]
    assert actions.count("auth.totp_locked") == 1
    assert actions.count("auth.login_failed") == 12
    assert user_row(app, account.id).totp_failures == TOTP_MAX_FAILURES


def test_codes_never_reach_the_audit_log(app: Flask, client: FlaskClient) -> None:
    account = make_staff(app, EMAIL)
    secret = account.totp_secret or ""
    sign_in(client, EMAIL)
    wrong = wrong_code(secret)
    post_code(client, wrong)
    post_code(client, pyotp.TOTP(secret).now())
    text = repr(audit(app))
    assert wrong not in text and pyotp.TOTP(secret).now() not in text and secret not in text

