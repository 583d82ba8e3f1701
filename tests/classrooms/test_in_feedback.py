"""A class behind one school address takes part without being blocked; its counts add up."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from participation.classrooms.models import ClassroomCount, ClassroomMetric
from participation.db import db
from participation.plans.content import PlanContent
from tests.classrooms.conftest import join_with, open_classroom
from tests.feedback.helpers import Child

SCHOOL = "198.51.100.20"  # every tablet of the school behind one address


def tablet(app: Flask, code: str | None = None) -> Child:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = SCHOOL
    child = Child(client)
    if code is not None:
        assert join_with(client, code) == 302
    return child


def counts(app: Flask, classroom_id: int) -> dict[tuple[str, int], int]:
    with app.app_context():
        rows = db.session.scalars(select(ClassroomCount).where(
            ClassroomCount.classroom_id == classroom_id)).all()
        return {(row.metric.value, row.section_id): row.count for row in rows}


@pytest.fixture
def small_school_limits(monkeypatch: pytest.MonkeyPatch, app: Flask) -> None:
    """The issue's numbers scaled down: 5 ideas and 5 reactions a minute per address."""
    monkeypatch.setitem(app.config, "IDEA_LIMITS_PER_ADDRESS", "5 per minute")
    monkeypatch.setitem(app.config, "REACTION_LIMITS_PER_ADDRESS", "5 per minute")


def test_without_a_session_the_school_address_is_the_limit(
    app: Flask, demo_plan: PlanContent, small_school_limits: None
) -> None:
    statuses = [tablet(app).send("vision", f"Idea {n}").status_code for n in range(7)]
    assert statuses == [302] * 5 + [429] * 2
    statuses = [tablet(app).react("vision", "agree").status_code for _ in range(7)]
    assert statuses == [302] * 5 + [429] * 2  # reactions are limited per address too


def test_a_class_in_a_session_is_limited_per_child_and_per_session(
    app: Flask, demo_plan: PlanContent, small_school_limits: None, facilitator: int
) -> None:
    _classroom_id, code = open_classroom(app, facilitator, expected=4)  # 12 ideas a minute
    children = [tablet(app, code) for _ in range(13)]
    statuses = [child.send("vision", f"Class idea {n}").status_code
                for n, child in enumerate(children)]
    assert statuses == [302] * 12 + [429]  # far past the address's 5, up to the session's 12
    assert "Class idea 12" in children[-1].page  # the refused child keeps their words
    reactions = [child.react("vision", "agree").status_code for child in children[:8]]
    assert reactions == [302] * 8


def test_the_session_counts_parts_reactions_and_ideas_once_each(
    app: Flask, demo_plan: PlanContent, facilitator: int
) -> None:
    classroom_id, code = open_classroom(app, facilitator, expected=10)
    child = tablet(app, code)
    child.open_part("vision")
    child.open_part("vision")  # the same part again
    child.react("vision", "agree")
    child.react("vision", "disagree")  # a change of mind, not a second reaction
    child.open_part("vision")
    key, csrf = child.key, child.csrf
    first = child.send("vision", "One idea", key=key, csrf=csrf)
    child.send("vision", "One idea", key=key, csrf=csrf)  # a double tap: replayed, not stored
    child.send(None, "Something missing")
    assert first.status_code == 302
    with app.app_context():
        from participation.plans.models import Section

        vision = db.session.scalar(select(Section.id).where(Section.slug == "vision"))
    found = counts(app, classroom_id)
    assert found[("joined", 0)] == 1
    assert found[("part_opened", vision)] == 1
    assert found[("reaction", vision)] == 1
    assert found[("idea", vision)] == 1 and found[("idea", 0)] == 1
    outsider = tablet(app)  # not in the session: counted nowhere
    outsider.send("vision", "Not from the class")
    assert counts(app, classroom_id) == found
    assert ClassroomMetric.IDEA.value == "idea"


def test_finishing_offers_the_next_child_the_same_class(
    app: Flask, demo_plan: PlanContent, facilitator: int
) -> None:
    _classroom_id, code = open_classroom(app, facilitator)
    child = tablet(app, code)
    child.get("/en/finish")
    page = child.client.post("/en/finish", data={"csrf_token": child.csrf}).get_data(as_text=True)
    assert "Next child: join the class" in page
    assert f"/en/join/{code[:4]}-{code[4:]}" in page
    alone = tablet(app)  # a tablet that never joined
    alone.get("/en/finish")
    page = alone.client.post("/en/finish", data={"csrf_token": alone.csrf}).get_data(as_text=True)
    assert "Thank you for taking part" in page and "join the class" not in page
