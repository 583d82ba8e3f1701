"""Report charts: well-formed, deterministic SVG with hatch patterns, faces and translated
words; a part with too few children is a grey bar with no number; the route answers like the
summary (organisers and admins), privately cached, never sniffed; the summary's chart slot."""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest
from flask import Flask, render_template
from flask.testing import FlaskClient
from flask_babel import force_locale, gettext
from sqlalchemy import select

from participation.accounts.models import Role
from participation.db import db
from participation.feedback.models import AgeBand, Reaction, ReactionKind
from participation.plans.models import Plan, Section
from participation.reports.charts import (
    HATCHES,
    Bar,
    ChartText,
    Panel,
    leaders,
    render_reaction_chart,
)

SVG = "{http://www.w3.org/2000/svg}"
TEXT = ChartText("How children reacted", {"agree": "Agree", "unsure": "Not sure",
                                          "disagree": "Disagree", "confused": "Lost"},
                 "Too few children to show", lambda value: f"{value}%", "Share")


def words(svg: bytes) -> list[str]:
    """The chart's text: matplotlib writes each string as a comment before its glyphs."""
    return re.findall(r"<!-- (.*?) -->", svg.decode())


def test_svg_is_well_formed_deterministic_and_patterned() -> None:
    bars = [Bar("1. Who we are", {"agree": 55.0, "unsure": 20.0, "disagree": 15.0,
                                  "confused": 10.0}),
            Bar("2. Vision", {"agree": None, "unsure": None, "disagree": 0.0, "confused": 0.0})]
    svg = render_reaction_chart([Panel("Français", bars), Panel("English", bars[:1])], TEXT)
    root = ET.fromstring(svg)  # noqa: S314 (our own output, not untrusted data)
    assert root.tag == f"{SVG}svg"
    assert svg == render_reaction_chart([Panel("Français", bars), Panel("English", bars[:1])],
                                        TEXT)
    assert b"<dc:date>" not in svg and b"Matplotlib" not in svg  # no date, no creator
    patterns = root.findall(f".//{SVG}pattern")
    assert len(patterns) >= len(HATCHES)  # one hatch per reaction, in the legend and bars
    found = words(svg)
    assert {"Agree", "Not sure", "Disagree", "Lost", "Français", "English"} <= set(found)
    assert {"55%", "20%", "15%", "10%"} <= set(found)
    assert "Too few children to show" in found
    assert "DejaVu" in svg.decode()  # the glyphs of the bundled font, drawn as paths


def test_a_hidden_bar_shows_no_number() -> None:
    hidden = Bar("3. Values", {"agree": None, "unsure": 60.0, "disagree": None, "confused": 0.0})
    empty = Bar("4. Money", {"agree": None, "unsure": None, "disagree": None, "confused": None})
    svg = render_reaction_chart([Panel(None, [hidden, empty])], TEXT)
    ticks = {"0%", "25%", "50%", "75%", "100%"}
    assert [word for word in words(svg) if "%" in word and word not in ticks] == []
    assert words(svg).count("Too few children to show") == 2
    assert leaders(Panel(None, [hidden, empty])) == ({}, ["3. Values", "4. Money"])


def add_reactions(app: Flask, slug: str, kinds: dict[ReactionKind, int], *,
                  locale: str = "en") -> None:
    """Builder: this many children reacting to a part of the current plan."""
    with app.app_context():
        plan_id = db.session.scalars(select(Plan.id).order_by(Plan.id.desc())).first()
        section_id = db.session.scalar(select(Section.id).where(
            Section.plan_id == plan_id, Section.slug == slug))
        for kind, count in kinds.items():
            for _ in range(count):
                db.session.add(Reaction(section_id=section_id, child_token_hash=uuid.uuid4().hex,
                                        kind=kind, locale=locale, age_band=AgeBand.AGE_8_10))
        db.session.commit()


def current_plan_id(app: Flask) -> int:
    with app.app_context():
        plan_id = db.session.scalars(select(Plan.id).order_by(Plan.id.desc())).first()
        assert plan_id is not None
        return plan_id


def test_the_chart_route(app: Flask, demo_plan: object,
                         staff_client: Callable[..., FlaskClient]) -> None:
    add_reactions(app, "values", {ReactionKind.AGREE: 30, ReactionKind.UNSURE: 10,
                                  ReactionKind.DISAGREE: 0, ReactionKind.CONFUSED: 10})
    add_reactions(app, "vision", {ReactionKind.AGREE: 2, ReactionKind.CONFUSED: 1})
    plan_id = current_plan_id(app)
    client = staff_client("org@example.org", Role.ORGANISER)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    response = client.get(f"/staff/reports/charts/reactions.svg?plan={plan_id}")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    # Never kept by a shared cache: private here, and the app's staff rule (no-store) wins.
    cache = response.headers["Cache-Control"]
    assert "public" not in cache and ("private" in cache or "no-store" in cache)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    found = words(response.data)
    with app.test_request_context(), force_locale("fr"):
        too_few = str(gettext("Too few children to show"))
    assert too_few != "Too few children to show" and too_few in found
    assert {"60%", "60\u00a0%", "60\u202f%"} & set(found)  # 30 of 50 agree
    assert not {"2", "1", "3"} & set(found)
    again = client.get(f"/staff/reports/charts/reactions.svg?plan={plan_id}",
                       headers={"If-None-Match": response.headers["ETag"].strip('"')})
    assert again.status_code == 304

    overview = words(client.get(f"/staff/reports/charts/reactions.svg?plan={plan_id}&by=locale"
                                ).data)
    assert overview.count(too_few) == 8  # 9 parts, only "values" shown; the whole plan too
    with app.app_context():
        values = db.session.scalar(select(Section.id).where(Section.slug == "values"))
    one_part = client.get(f"/staff/reports/charts/reactions.svg?plan={plan_id}&by=locale"
                          f"&part={values}")
    assert one_part.status_code == 200
    assert {"Français", "English", "Español"} <= set(words(one_part.data))
    assert client.get(f"/staff/reports/charts/reactions.svg?plan={plan_id}&part=999999"
                      ).status_code == 404
    assert client.get(f"/staff/reports/charts/reactions.svg?plan={plan_id}&by=x"
                      ).status_code == 400
    assert client.get("/staff/reports/charts/reactions.svg?plan=999999").status_code == 404
    assert client.get(f"/staff/reports/charts/reactions.svg?plan={plan_id}&period=nope"
                      ).status_code == 404


@pytest.mark.parametrize("roles,status", [
    ((Role.ORGANISER,), 200), ((Role.ADMIN,), 200),
    ((Role.FACILITATOR,), 403), ((Role.SAFEGUARDING_LEAD,), 403)])
def test_who_sees_the_charts(app: Flask, demo_plan: object, roles: tuple[Role, ...],
                             status: int, staff_client: Callable[..., FlaskClient]) -> None:
    path = f"/staff/reports/charts/reactions.svg?plan={current_plan_id(app)}"
    assert staff_client("someone@example.org", *roles).get(path).status_code == status
    assert app.test_client().get(path).status_code == 302


def test_the_chart_slot_describes_the_chart(app: Flask, demo_plan: object) -> None:
    add_reactions(app, "values", {ReactionKind.CONFUSED: 20, ReactionKind.AGREE: 10})
    plan_id = current_plan_id(app)
    with app.app_context():
        values = db.session.scalar(select(Section.id).where(Section.slug == "values"))
    with app.test_request_context("/staff/reports", headers={"Accept-Language": "en"}):
        html = render_template("reports/_chart_slot.html", chart_kind="reactions",
                               chart_args={"plan": plan_id, "by": None, "period": None})
        one_part = render_template("reports/_chart_slot.html", chart_kind="reactions",
                                   chart_args={"plan": plan_id, "by": "age_band",
                                               "part": values})
        unknown = render_template("reports/_chart_slot.html", chart_kind="ideas",
                                  chart_args={"plan": plan_id})
    assert f'src="/staff/reports/charts/reactions.svg?plan={plan_id}"' in html
    assert 'alt="Chart: how children reacted to each part, in percent"' in html
    assert "chose \u201cDon\u2019t understand\u201d on 3. " in html
    assert "Too few children to show 1. " in html  # the other parts: nobody reacted
    assert f"by=age_band&amp;part={values}" in one_part and "by age band" in one_part
    assert "8-10 years" in one_part and "Too few children to show" in one_part  # 11-13...
    with app.test_request_context("/staff/reports", headers={"Accept-Language": "en"}):
        nobody = render_template("reports/_chart_slot.html", chart_kind="reactions",
                                 chart_args={"plan": plan_id, "by": "locale",
                                             "part": values + 1})
    assert "Too few children reacted to show any share yet." in nobody
    assert "<figure" not in unknown  # only reactions are charted; other tables stand alone
