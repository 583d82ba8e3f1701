"""A child reacts and sends ideas: pending until approved, screened, one record per send."""

from __future__ import annotations

import threading

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from participation.db import db
from participation.feedback.models import Reaction, Submission, SubmissionStatus
from participation.feedback.services import submit_idea
from participation.plans.content import PlanContent
from participation.plans.models import Plan
from participation.screening.services import Priority
from tests.feedback.helpers import Child


def submissions(app: Flask) -> list[Submission]:
    with app.app_context():
        return list(db.session.scalars(select(Submission).order_by(Submission.id)))


@pytest.fixture
def child(client: object, demo_plan: PlanContent) -> Child:
    return Child(client)  # type: ignore[arg-type]


@pytest.fixture
def other_child(app: Flask, demo_plan: PlanContent) -> Child:
    return Child(app.test_client())


def test_react_and_change_mind(app: Flask, child: Child) -> None:
    response = child.react("vision", "agree")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/en/plan/vision#react")
    child.react("vision", "disagree")
    with app.app_context():
        rows = db.session.execute(select(Reaction.kind)).scalars().all()
    assert rows == ["disagree"]
    child.open_part("vision")
    assert 'value="disagree" class="reaction reaction-disagree"\n            aria-pressed="true"' in child.page


def test_unknown_reaction_is_ignored(app: Flask, child: Child) -> None:
    child.open_part("vision")
    child.client.post("/en/plan/vision/reaction", data={"csrf_token": child.csrf, "reaction": "love"})
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Reaction)) == 0


def test_idea_is_pending_screened_and_private(app: Flask, child: Child, other_child: Child) -> None:
    response = child.send("priority-1", "More children should vote on school rules.", age_band="11-13")
    public_id = child.sent_id(response)
    [item] = submissions(app)
    assert item.public_id == public_id
    assert item.status == SubmissionStatus.PENDING
    assert item.age_band == "11-13" and item.locale == "en"
    assert item.screening is not None and item.screening["urgent"] is False
    assert item.priority == 0
    # Nobody else sees it: not under the part, not in their ideas, not at its URL.
    other_child.open_part("priority-1")
    assert "vote on school rules" not in other_child.page
    assert other_child.get(f"/en/ideas/{public_id}/sent").status_code == 404
    other_child.get("/en/my-ideas")
    assert "vote on school rules" not in other_child.page
    # The child sees it as waiting.
    child.get("/en/my-ideas")
    assert "vote on school rules" in child.page and "Waiting for an adult" in child.page


def test_double_tap_makes_one_record(app: Flask, child: Child) -> None:
    child.open_part("vision")
    key, csrf = child.key, child.csrf
    first = child.send("vision", "Same idea twice", key=key, csrf=csrf)
    second = child.send("vision", "Same idea twice", key=key, csrf=csrf)
    assert first.headers["Location"] == second.headers["Location"]
    assert len(submissions(app)) == 1


def test_concurrent_retries_make_one_record(app: Flask, demo_plan: PlanContent) -> None:
    """Eight simultaneous requests with one key (a retry storm) store exactly one idea."""
    with app.app_context():
        plan_id = db.session.scalar(select(Plan.id))
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def send() -> None:
        with app.app_context():
            barrier.wait()
            for _attempt in range(20):
                try:
                    result = submit_idea(
                        plan_id=plan_id, section_id=None, locale="en", text="Race!",
                        age_band=None, child_hash="a" * 64, idempotency_key="b" * 32,
                    )
                    db.session.commit()
                    outcomes.append("created" if result.created else "replayed")
                    return
                except OperationalError:  # SQLite: database is locked; a browser would retry
                    db.session.rollback()
            outcomes.append("gave up")

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["created"] + ["replayed"] * 7
    assert len(submissions(app)) == 1


def test_something_missing_idea(app: Flask, child: Child) -> None:
    assert child.get("/es/missing").status_code == 200
    response = child.send(None, "Falta hablar del clima.")
    assert response.status_code == 302
    [item] = submissions(app)
    assert item.section_id is None


def test_urgent_text_shows_help_and_no_secrecy(app: Flask, child: Child) -> None:
    response = child.send("vision", "my dad hits me every night and I am scared to go home")
    child.get(response.headers["Location"])
    assert "Childline" in child.page and "0800 1111" in child.page
    assert "danger right now, call 999" in child.page
    assert "secret" not in child.page.lower()
    [item] = submissions(app)
    assert item.priority == Priority.URGENT and item.screening["urgent"] is True


def test_ordinary_confirmation_has_no_alarm(child: Child) -> None:
    response = child.send("vision", "I like this part a lot")
    child.get(response.headers["Location"])
    assert "Thank you! Your idea is sent." in child.page
    assert "Childline" not in child.page


def test_helplines_are_configurable(app: Flask, child: Child) -> None:
    app.config["HELPLINES"] = {**app.config["HELPLINES"], "en": {
        "name": "Kids Line Test", "phone": "0800 000", "emergency": "911", "hours": "always"}}
    try:
        response = child.send("vision", "I want to die")
        child.get(response.headers["Location"])
    finally:
        from participation.config import DEFAULT_HELPLINES

        app.config["HELPLINES"] = dict(DEFAULT_HELPLINES)
    assert "Kids Line Test" in child.page and "call 911" in child.page


def test_screening_failure_never_loses_the_idea(app: Flask, child: Child,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("rules file is broken")

    monkeypatch.setattr("participation.feedback.services.screen_text", broken)
    response = child.send("vision", "An idea while screening is broken")
    assert response.status_code == 302
    [item] = submissions(app)
    assert item.body == "An idea while screening is broken"
    assert item.priority == Priority.URGENT and item.screening["flags"] == ["screening_failed"]


def test_database_error_shows_the_words_back(child: Child, monkeypatch: pytest.MonkeyPatch) -> None:
    def down(**kwargs: object) -> None:
        raise OperationalError("INSERT", {}, Exception("connection lost"))

    monkeypatch.setattr("participation.feedback.views.submit_idea", down)
    response = child.send("vision", "Please keep my words")
    assert response.status_code == 503
    assert "Please keep my words" in child.page
    assert "Your words are still here" in child.page


def test_double_tap_on_the_very_first_send_makes_one_idea_the_child_owns(
    app: Flask, demo_plan: PlanContent
) -> None:
    """Both taps leave before either answer arrives, so both carry the cookie of the page
    (a CSRF secret, no child yet). They must make one child, one idea, owned by that child."""
    first_tap = app.test_client()
    child = Child(first_tap)
    child.open_part("vision")
    cookie = first_tap.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    second_tap = app.test_client()
    second_tap.set_cookie(cookie.key, cookie.value)
    form = {"csrf_token": child.csrf, "idempotency_key": child.key, "body": "Tap tap!"}
    barrier = threading.Barrier(2)
    answers: dict[str, object] = {}

    def tap(name: str, client: object) -> None:
        barrier.wait()
        answers[name] = client.post(  # type: ignore[attr-defined]
            "/en/plan/vision/ideas", data=form, headers={"Sec-Fetch-Site": "same-origin"})

    threads = [threading.Thread(target=tap, args=pair)
               for pair in (("first", first_tap), ("second", second_tap))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    locations = {answer.headers.get("Location") for answer in answers.values()}  # type: ignore[attr-defined]
    assert [answer.status_code for answer in answers.values()] == [302, 302]  # type: ignore[attr-defined]
    assert len(locations) == 1
    assert len(submissions(app)) == 1
    for client in (first_tap, second_tap):  # whichever answer the browser kept, it owns the idea
        page = client.get("/en/my-ideas").get_data(as_text=True)
        assert "Tap tap!" in page
