"""The leads' list of concerns: what each is about, in which language, the last action and who
took it, and which are overdue (open, nothing added for CONCERN_FOLLOW_UP_HOURS), on top."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from participation.accounts.models import Role, User
from participation.db import db, utcnow
from participation.feedback.models import Submission
from participation.moderation.models import Concern, ConcernEntry, EntryKind
from participation.moderation.queries import concern_rows
from participation.moderation.services import (
    claim_next,
    close_concern,
    escalate_to_safeguarding,
    open_concern,
)
from participation.plans.content import PlanContent
from participation.screening.services import Priority
from tests.conftest import make_staff
from tests.feedback.helpers import Child

StaffClient = Callable[..., FlaskClient]


def concerns_from_children(app: Flask, client: FlaskClient) -> dict[str, int]:
    """Three concerns: a disclosure in French, one escalated by a reviewer, one closed."""
    Child(client, locale="fr").send("values", "mon père me frappe tous les soirs")
    Child(client).send("vision", "my uncle is strange")
    Child(client, locale="es").send("values", "mi padre me pega todas las noches")
    fac = make_staff(app, "fac@example.org", Role.FACILITATOR)
    lead = make_staff(app, "lead@example.org", Role.SAFEGUARDING_LEAD)
    with app.app_context():
        reviewer, safeguarding = db.session.get(User, fac.id), db.session.get(User, lead.id)
        assert reviewer is not None and safeguarding is not None
        shouting = claim_next(reviewer, priority=Priority.ORDINARY)
        assert shouting is not None
        escalate_to_safeguarding(shouting, reviewer, note="Not sure.")
        made = {}
        for name, words in (("fr", "mon père%"), ("escalated", "my uncle%"), ("es", "mi padre%")):
            item = db.session.scalars(select(Submission).where(Submission.body.like(words))).one()
            made[name] = open_concern(item, safeguarding, "First note.").id
        closed = db.session.get(Concern, made["es"])
        assert closed is not None
        close_concern(closed, safeguarding, "Family supported.")
        db.session.commit()
    return made


def backdate_last_entry(app: Flask, concern_id: int, hours: float) -> None:
    """A note written ``hours`` ago is the concern's last entry (entries are append-only)."""
    with app.app_context():
        author = db.session.scalars(select(User.id).where(User.email == "lead@example.org")).one()
        db.session.add(ConcernEntry(concern_id=concern_id, author_id=author, kind=EntryKind.ACTION,
                                    text="Called the school.",
                                    created_at=utcnow() - timedelta(hours=hours)))
        db.session.commit()


def test_open_concerns_first_and_overdue_on_top(app: Flask, client: FlaskClient,
                                                demo_plan: PlanContent) -> None:
    made = concerns_from_children(app, client)
    backdate_last_entry(app, made["escalated"], hours=30)
    with app.app_context():
        rows = concern_rows(timedelta(hours=24))
        assert [row.id for row in rows] == [made["escalated"], made["fr"], made["es"]]
        assert [row.overdue for row in rows] == [True, False, False]
        assert rows[0].escalated and rows[0].last_kind is EntryKind.ACTION
        assert rows[1].category in {"abuse", "violence"} and rows[1].locale == "fr"
        assert rows[2].last_kind is EntryKind.CLOSED and not rows[2].is_open
        # A closed concern is never overdue, however old its last entry.
        later = concern_rows(timedelta(hours=24), now=utcnow() + timedelta(days=3))
        assert [row.overdue for row in later] == [True, True, False]


def test_the_list_shows_what_a_lead_needs_and_no_words(
    app: Flask, client: FlaskClient, demo_plan: PlanContent, staff_client: StaffClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = concerns_from_children(app, client)
    lead = staff_client("other-lead@example.org", Role.SAFEGUARDING_LEAD)
    monkeypatch.setitem(app.config, "CONCERN_FOLLOW_UP_HOURS", 0)  # every open one is late
    page = lead.get("/staff/concerns").get_data(as_text=True)
    rows = re.findall(r"<tr class=\"[a-z]*\">(.*?)</tr>", page, re.S)
    assert len(rows) == 3
    cells = [re.sub(r"<[^>]+>", "", row).split("\n") for row in rows]
    text = [" | ".join(part.strip() for part in cell if part.strip()) for cell in cells]
    assert text[0].startswith(f"Concern #{made['fr']} | May be ")  # oldest untouched first
    assert "| French |" in text[0] and "| Note, " in text[0]
    assert "just now | lead@example.org | Open, overdue" in text[0]
    assert text[1].startswith(f"Concern #{made['escalated']} | Escalated by a reviewer | "
                              "English |")
    assert text[2].startswith(f"Concern #{made['es']} | May be ") and "| Spanish |" in text[2]
    assert "| Closed, outcome, " in text[2] and text[2].endswith("| Closed")
    for words in ("mon père", "my uncle is", "mi padre", "First note", "Family supported"):
        assert words not in page
    monkeypatch.setitem(app.config, "CONCERN_FOLLOW_UP_HOURS", 24)
    page = lead.get("/staff/concerns").get_data(as_text=True)
    assert "Open, overdue" not in page and 'class="overdue"' not in page


def test_a_concern_page_has_one_current_menu_entry(
    app: Flask, client: FlaskClient, demo_plan: PlanContent, staff_client: StaffClient,
) -> None:
    made = concerns_from_children(app, client)
    lead = staff_client("other-lead@example.org", Role.SAFEGUARDING_LEAD, Role.FACILITATOR)
    for path in ("/staff/concerns", f"/staff/concerns/{made['fr']}", "/staff/queues"):
        page = lead.get(path).get_data(as_text=True)
        current = re.findall(r'<a href="([^"]+)" aria-current="page">', page)
        assert current == (["/staff/queues"] if path == "/staff/queues"
                           else ["/staff/concerns"]), path
