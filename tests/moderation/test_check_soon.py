"""The learned model's medium scores: a "check soon" lane for safeguarding leads, after urgent and
escalated items and before everything else; never offered for bulk approval, which ticks nothing.

A small stand-in model makes the levels predictable: "sleepover" scores 0.5 (check soon),
"tonight" 0.95 (urgent by the model alone), anything else almost 0."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from participation.accounts.models import Role, User
from participation.db import db
from participation.feedback.models import Submission, SubmissionStatus
from participation.feedback.services import withdraw_submission
from participation.moderation.services import bulk_approve, bulk_candidates, claim_next
from participation.plans.content import PlanContent
from participation.plans.models import Plan
from participation.screening import services
from participation.screening.model import LanguageModel, Model
from participation.screening.services import Priority, screen_text
from tests.feedback.helpers import Child
from tests.moderation.test_lead_lanes import user
from tests.moderation.test_pages import csrf, staff


def stand_in_model() -> Model:
    language = LanguageModel(
        weights={"w:sleepover": complex(1, 3), "w:tonight": complex(1, 6)},
        intercept=-3.0, calibration=(-1.0, 0.0), check_soon=0.3, urgent=0.9,
    )
    return Model("stand-in", {locale: language for locale in ("fr", "en", "es")})


@pytest.fixture(autouse=True)
def _stand_in(monkeypatch: pytest.MonkeyPatch, app: Flask) -> Iterator[None]:
    monkeypatch.setattr(services, "load_model", stand_in_model)
    monkeypatch.setitem(app.config, "STAFF_TOTP_REQUIRED", False)
    yield


def test_three_levels_of_worry() -> None:
    check = screen_text("can i stay at the sleepover", "en")
    assert (check.level, check.priority, check.urgent) == ("check_soon", Priority.CHECK_SOON, False)
    assert check.categories == ["worry"] and check.score == pytest.approx(0.5)
    urgent = screen_text("it happens tonight", "en")
    assert (urgent.level, urgent.priority, urgent.urgent) == ("urgent", Priority.URGENT, True)
    assert urgent.categories == ["possible_harm"]
    ordinary = screen_text("more parks please", "en")
    assert (ordinary.level, ordinary.priority) == ("ordinary", Priority.ORDINARY)
    # A rule's disclosure is urgent whatever the model says, and personal details keep their
    # redaction when the model sends the text to the leads.
    assert screen_text("my dad hits me", "en").level == "urgent"
    both = screen_text("sleepover at sam.k@example.org", "en")
    assert both.priority == Priority.CHECK_SOON and "sam.k" not in both.redacted
    assert both.as_dict()["level"] == "check_soon" and both.as_dict()["score"] == 0.5


def test_a_long_text_is_scored_where_the_worry_is() -> None:
    calm = "We like the plan and the pictures. " * 12
    result = screen_text(calm + "Please ask about the sleepover. " + calm, "en")
    assert result.level == "check_soon"
    flag = next(f for f in result.flags if f.category == "worry")
    text = calm + "Please ask about the sleepover. " + calm
    assert "sleepover" in text[flag.start:flag.end] and flag.end - flag.start < 120


def test_check_soon_reaches_leads_after_urgent_and_escalated(
    app: Flask, demo_plan: PlanContent
) -> None:
    with app.app_context():
        lead = user("lead@example.org", Role.SAFEGUARDING_LEAD)
        facilitator = user("fac@example.org", Role.FACILITATOR)
        plan_id = db.session.scalar(select(Plan.id))
        made = {}
        for priority in (Priority.ORDINARY, Priority.PERSONAL, Priority.CHECK_SOON,
                         Priority.ESCALATED, Priority.URGENT):
            made[priority] = Submission(
                public_id=uuid.uuid4().hex, plan_id=plan_id, locale="en", body="words",
                priority=priority, status=SubmissionStatus.PENDING, screening={"flags": []})
            db.session.add(made[priority])
        db.session.commit()
        assert claim_next(facilitator, priority=Priority.CHECK_SOON) is None
        order = [claim_next(lead) for _ in range(5)]
        assert [item.priority for item in order if item] == [
            Priority.URGENT, Priority.ESCALATED, Priority.CHECK_SOON, Priority.PERSONAL,
            Priority.ORDINARY]


def test_bulk_approval_ticks_nothing_and_never_offers_worry(
    app: Flask, client: FlaskClient, demo_plan: PlanContent
) -> None:
    child = Child(client)
    for text in ("More parks please.", "Can we talk about the sleepover?"):
        child.send("vision", text)
    fac = staff(app, "fac@example.org", Role.FACILITATOR)
    page = fac.get("/staff/bulk").get_data(as_text=True)
    assert "More parks please." in page and "sleepover" not in page
    assert not re.search(r"<input[^>]*\bchecked\b", page)  # nothing is pre-ticked
    with app.app_context():
        worry = db.session.scalars(select(Submission).where(
            Submission.body.contains("sleepover"))).one()
        assert worry.priority == Priority.CHECK_SOON
        # Even an item in an ordinary lane is refused when the model scored it above ordinary.
        worry.priority = Priority.ORDINARY
        db.session.commit()
        facilitator = db.session.scalars(
            select(User).where(User.email == "fac@example.org")).one()
        assert worry.public_id not in [i.public_id for i in bulk_candidates(facilitator)]
        assert bulk_approve(facilitator, [worry.public_id]) == 0


def test_lead_sees_the_lane_and_the_model_note(
    app: Flask, client: FlaskClient, demo_plan: PlanContent
) -> None:
    Child(client).send("vision", "Can we talk about the sleepover?")
    fac = staff(app, "fac@example.org", Role.FACILITATOR)
    assert "Check soon" not in fac.get("/staff/queues").get_data(as_text=True)
    lead = staff(app, "lead@example.org", Role.SAFEGUARDING_LEAD)
    assert "Check soon" in lead.get("/staff/queues").get_data(as_text=True)
    location = lead.post("/staff/queues/next", data={
        "csrf_token": csrf(lead, "/staff/queues"), "priority": str(int(Priority.CHECK_SOON)),
    }).headers["Location"]
    page = lead.get(location).get_data(as_text=True)
    assert "Learned model: 0.50 out of 1 (check soon)" in page
    assert 'class="flag flag-worry"' in page


def test_a_withdrawn_check_soon_idea_stays_readable_for_a_lead(
    app: Flask, client: FlaskClient, demo_plan: PlanContent
) -> None:
    Child(client).send("vision", "Can we talk about the sleepover?")
    with app.app_context():
        item = db.session.scalars(select(Submission)).one()
        withdraw_submission(item)
        db.session.commit()
        db.session.refresh(item)
        assert item.status == SubmissionStatus.WITHDRAWN and item.body is not None
