"""The child stays anonymous and in control: withdraw, finish, idle timeout, retention."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import inspect, select, text

from participation.accounts.models import Role
from participation.db import db, utcnow
from participation.feedback.identity import CHILD_KEY, SEEN_KEY
from participation.feedback.models import Submission, SubmissionStatus
from participation.plans.content import PlanContent
from tests.feedback.helpers import Child


@pytest.fixture
def child(client: object, demo_plan: PlanContent) -> Child:
    return Child(client)  # type: ignore[arg-type]


def one(app: Flask) -> Submission:
    with app.app_context():
        item = db.session.scalars(select(Submission)).one()
        db.session.expunge(item)
        return item


def all_stored_text(app: Flask) -> str:
    """Every value in every table, as one string, to look for what must never be stored."""
    with app.app_context():
        chunks = []
        for table in inspect(db.engine).get_table_names():
            for row in db.session.execute(text(f'SELECT * FROM "{table}"')):  # noqa: S608
                chunks.append(" ".join(str(value) for value in row))
        return "\n".join(chunks)


def test_no_address_user_agent_or_raw_token_is_stored(app: Flask, child: Child) -> None:
    child.client.environ_base.update(
        {"REMOTE_ADDR": "198.51.100.23", "HTTP_USER_AGENT": "TabletBrowser/9.9 (Kid)"}
    )
    child.react("values", "agree")
    child.send("values", "Everyone should be treated the same.", age_band="8-10")
    stored = all_stored_text(app)
    assert "198.51.100.23" not in stored
    assert "TabletBrowser" not in stored
    with child.client.session_transaction() as session:
        token = session[CHILD_KEY]
    assert token not in stored
    expected = hmac.new(b"test-secret-key", token.encode(), hashlib.sha256).hexdigest()
    assert one(app).child_token_hash == expected


def test_withdraw_deletes_the_words(app: Flask, child: Child) -> None:
    public_id = child.sent_id(child.send("changes", "Please add more sport."))
    child.get(f"/en/my-ideas/{public_id}/withdraw")
    assert "Delete this idea?" in child.page
    response = child.client.post(f"/en/my-ideas/{public_id}/withdraw", data={"csrf_token": child.csrf})
    assert response.status_code == 302
    item = one(app)
    assert item.status == SubmissionStatus.WITHDRAWN
    assert item.body is None and item.suggested_redaction is None and item.text_deleted_at
    assert "Please add more sport." not in all_stored_text(app)
    child.get("/en/my-ideas")
    assert "Your idea is deleted" in child.page and "Please add more sport." not in child.page
    assert child.get(f"/en/ideas/{public_id}/sent").status_code == 404


def test_withdrawn_urgent_words_stay_for_the_safeguarding_lead(app: Flask, child: Child) -> None:
    public_id = child.sent_id(child.send("changes", "my mum hits me"))
    child.get(f"/en/my-ideas/{public_id}/withdraw")
    child.client.post(f"/en/my-ideas/{public_id}/withdraw", data={"csrf_token": child.csrf})
    item = one(app)
    assert item.status == SubmissionStatus.WITHDRAWN and item.body == "my mum hits me"
    child.get("/en/my-ideas")
    assert "my mum hits me" not in child.page  # gone from the child's view


def test_cannot_touch_someone_elses_idea(app: Flask, child: Child, demo_plan: PlanContent) -> None:
    public_id = child.sent_id(child.send("vision", "Mine, not yours."))
    intruder = Child(app.test_client())
    for url in (f"/en/ideas/{public_id}/sent", f"/en/my-ideas/{public_id}/withdraw"):
        assert intruder.get(url).status_code == 404
    intruder.get("/en/finish")  # any page with a form gives the intruder a valid CSRF token
    response = intruder.client.post(f"/en/my-ideas/{public_id}/withdraw",
                                    data={"csrf_token": intruder.csrf})
    assert response.status_code == 404
    assert one(app).status == SubmissionStatus.PENDING
    # Replaying the owner's idempotency key does not reveal the owner's idea either.
    with app.app_context():
        key = db.session.scalar(select(Submission.idempotency_key))
    response = intruder.send("vision", "trying", key=key)
    assert response.status_code == 422 and "Mine, not yours." not in intruder.page


def test_finished_clears_everything(app: Flask, child: Child) -> None:
    child.send("vision", "An idea before leaving")
    child.get("/en/finish")
    response = child.client.post("/en/finish", data={"csrf_token": child.csrf})
    assert response.status_code == 200
    assert response.headers["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert "data-clear-storage" in response.get_data(as_text=True)
    cookies = response.headers.getlist("Set-Cookie")
    for name in ("read_parts", "lang", "participation_session"):
        assert any(c.startswith(f"{name}=;") for c in cookies), name
    child.get("/en/my-ideas")
    assert "An idea before leaving" not in child.page
    assert one(app).body == "An idea before leaving"  # the idea itself still reaches the adults


def test_idle_tablet_forgets_the_child(app: Flask, child: Child) -> None:
    child.send("vision", "Written before a long break")
    with child.client.session_transaction() as session:
        session[SEEN_KEY] = int(session[SEEN_KEY]) - app.config["CHILD_IDLE_SECONDS"] - 1
    child.get("/en/my-ideas")
    assert "Written before a long break" not in child.page
    assert 'data-idle-seconds="600"' in child.page


def test_retention_deletes_old_rejected_and_withdrawn_texts(
    app: Flask, child: Child, runner: FlaskCliRunner
) -> None:
    child.send("vision", "old rejected idea")
    child.send("values", "old urgent withdrawn: i want to die")
    child.send("changes", "fresh pending idea")
    with app.app_context():
        rejected, withdrawn, pending = db.session.scalars(select(Submission).order_by(Submission.id))
        long_ago = utcnow() - timedelta(days=91)
        rejected.status, rejected.decided_at = SubmissionStatus.REJECTED, long_ago
        withdrawn.status, withdrawn.withdrawn_at = SubmissionStatus.WITHDRAWN, long_ago
        pending.created_at = long_ago
        db.session.commit()
    result = runner.invoke(args=["purge-feedback"])
    assert result.exit_code == 0
    assert "Deleted the text of 2 idea(s) older than 90 day(s)." in result.output
    stored = all_stored_text(app)
    assert "old rejected idea" not in stored and "i want to die" not in stored
    assert "fresh pending idea" in stored


def test_approved_ideas_show_only_the_published_words_and_age_band(
    app: Flask, child: Child, demo_plan: PlanContent
) -> None:
    child.send("vision", "My name is Sam and I want parks.", age_band="8-10")
    with app.app_context():
        item = db.session.scalars(select(Submission)).one()
        item.status, item.decided_at = SubmissionStatus.APPROVED, utcnow()
        item.published_body = "I want more parks."
        db.session.commit()
    reader = Child(app.test_client())
    reader.open_part("vision")
    assert "I want more parks." in reader.page
    assert "A child aged 8 to 10" in reader.page
    assert "Sam" not in reader.page
    child.get("/en/my-ideas")
    assert "Shared with other children." in child.page


def test_finished_keeps_a_previewing_staff_member_signed_in(
    app: Flask, staff_client: Any, demo_plan: PlanContent
) -> None:
    """A reviewer who opens a child's page (from the item page) and leaves it idle is not
    signed out by the children's "I'm finished"; the child part of the session still goes."""
    browser = staff_client("fac@example.org", Role.FACILITATOR)
    child = Child(browser)
    child.send("vision", "Previewed idea")
    old_csrf_secret = browser.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    child.get("/en/finish")
    response = browser.post("/en/finish", data={"csrf_token": child.csrf})
    assert response.status_code == 200
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'
    assert browser.get("/staff/").status_code == 200  # still signed in
    child.get("/en/my-ideas")
    assert "Previewed idea" not in child.page  # the child's side is forgotten
    assert browser.get_cookie(app.config["SESSION_COOKIE_NAME"]).value != old_csrf_secret
