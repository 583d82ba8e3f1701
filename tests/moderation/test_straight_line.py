"""Reviewers work in a straight line: the item page says what the idea is about and when it came,
offers "Save and next" on every decision, proposes what the flags suggest, and only lists keys
that exist. Over HTTP, as a reviewer's browser would."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from participation.accounts.models import Role
from participation.audit.models import AuditEvent
from participation.db import db, utcnow
from participation.feedback.models import Submission, SubmissionStatus
from participation.moderation.models import Concern
from participation.plans.content import PlanContent
from participation.screening.services import Priority
from tests.conftest import csrf_token
from tests.feedback.helpers import Child

StaffClient = Callable[..., FlaskClient]
ORDINARY_WORDS = ("More parks near the school please.", "Less homework on Fridays.",
                  "A bigger library for everyone.")


def review_next(client: FlaskClient, priority: Priority) -> str:
    """Press "Review next" on one queue; the item's URL."""
    response = client.post("/staff/queues/next", data={
        "csrf_token": csrf_token(client, "/staff/queues"), "priority": str(int(priority))})
    assert response.status_code == 302
    return str(response.headers["Location"])


def body_of(app: Flask, url: str) -> str:
    with app.app_context():
        found = db.session.scalar(select(Submission.body).where(
            Submission.public_id == url.rsplit("/", 1)[1]))
        return found or ""


def shortcuts_on(page: str) -> tuple[set[str], set[str]]:
    """(keys of elements with data-shortcut, keys the hint line lists)."""
    elements = set(re.findall(r'data-shortcut="([a-z])"', page))
    hint = page[page.index('id="shortcuts"'):]
    hint = hint[:hint.index("</p>")]
    return elements, {key.lower() for key in re.findall(r"<kbd>([A-Z])</kbd>", hint)}


@contextmanager
def commits_counted() -> Iterator[list[int]]:
    """Count the transactions committed while the block runs (any session, any thread)."""
    counted: list[int] = []

    def count(session: Session) -> None:
        counted.append(1)

    event.listen(Session, "after_commit", count)
    try:
        yield counted
    finally:
        event.remove(Session, "after_commit", count)


def test_the_item_page_shows_the_part_the_language_and_the_time(
    app: Flask, client: FlaskClient, demo_plan: PlanContent, staff_client: StaffClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    Child(client, locale="fr").send("values", "Plus de jardins dans les écoles.")
    with app.app_context():
        db.session.execute(update(Submission).values(
            created_at=utcnow() - timedelta(minutes=7)))
        db.session.commit()
    monkeypatch.setitem(app.config, "ORG_TIMEZONE", "America/New_York")
    fac = staff_client("fac@example.org", Role.FACILITATOR)
    page = fac.get(review_next(fac, Priority.ORDINARY)).get_data(as_text=True)
    # The part's title and summary as the child read them (French), the language by name
    # (in the reviewer's English), and a link to the child's page of that part.
    assert '<span lang="fr">En quoi croyons-nous\u202f?</span>' in page
    assert "Les droits des enfants guident tout notre travail" in page
    assert "<dd>French</dd>" in page
    assert 'href="/fr/plan/values"' in page
    # The organisation's clocks (New York is 4 or 5 hours behind UTC), and how long ago.
    assert re.search(r"<time datetime=\"[^\"]+\+00:00\">\d+ \w+ \d{4}, \d\d:\d\d E[SD]T</time>"
                     r" · 7 minutes ago", page), page


def test_an_idea_about_nothing_in_the_plan_says_something_missing(
    app: Flask, client: FlaskClient, demo_plan: PlanContent, staff_client: StaffClient,
) -> None:
    Child(client, locale="es").send(None, "Falta hablar de los autobuses.")
    fac = staff_client("fac@example.org", Role.FACILITATOR)
    page = fac.get(review_next(fac, Priority.ORDINARY)).get_data(as_text=True)
    assert "<dd>Something missing?</dd>" in page and "<dd>Spanish</dd>" in page
    assert 'href="/es/missing"' in page


def test_save_and_next_walks_a_queue_with_one_commit_per_request(
    app: Flask, client: FlaskClient, demo_plan: PlanContent, staff_client: StaffClient,
) -> None:
    child = Child(client)
    child.send("values", "My name is Sam Taylor and I want a garden.")  # another queue
    for words in ORDINARY_WORDS:
        child.send("vision", words)
    fac = staff_client("fac@example.org", Role.FACILITATOR)
    url = review_next(fac, Priority.ORDINARY)
    seen = []
    for _ in ORDINARY_WORDS:
        seen.append(body_of(app, url))
        with commits_counted() as commits:
            response = fac.post(url + "/approve", data={
                "csrf_token": csrf_token(fac, url), "then_next": "y"})
        assert len(commits) == 1  # the decision and the next claim: one transaction
        url = response.headers["Location"]
        if url != "/staff/queues":
            page = fac.get(url).get_data(as_text=True)
            assert "Decision saved. Here is the next item." in page
    assert seen == list(ORDINARY_WORDS)  # oldest first, never the personal-details item
    page = fac.get(url).get_data(as_text=True)
    assert "Decision saved." in page and "Nothing else is waiting in that queue." in page
    with app.app_context():
        statuses = db.session.execute(select(Submission.priority, Submission.status)).all()
        assert sorted(statuses) == [(0, SubmissionStatus.APPROVED)] * 3 + [
            (1, SubmissionStatus.PENDING)]
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert actions.count("review.approved") == 3 and actions.count("review.claimed") == 3


def test_save_alone_goes_back_to_the_queues(
    app: Flask, client: FlaskClient, demo_plan: PlanContent, staff_client: StaffClient,
) -> None:
    Child(client).send("vision", "Less homework on Fridays.")
    fac = staff_client("fac@example.org", Role.FACILITATOR)
    url = review_next(fac, Priority.ORDINARY)
    response = fac.post(url + "/reject", data={"csrf_token": csrf_token(fac, url),
                                               "reason": "off_topic"})
    assert response.headers["Location"] == "/staff/queues"
    assert "Decision saved." in fac.get("/staff/queues").get_data(as_text=True)
    page = fac.get(url).get_data(as_text=True)
    assert "Not shared. Reason: Not about the plan" in page


def test_the_old_dispatching_route_is_gone(app: Flask, client: FlaskClient,
                                           demo_plan: PlanContent,
                                           staff_client: StaffClient) -> None:
    Child(client).send("vision", "Less homework on Fridays.")
    fac = staff_client("fac@example.org", Role.FACILITATOR)
    url = review_next(fac, Priority.ORDINARY)
    response = fac.post(url + "/decision", data={"csrf_token": csrf_token(fac, url),
                                                 "action": "approve"})
    assert response.status_code == 404
    page = fac.get(url).get_data(as_text=True)
    assert "csrf_token() }}" not in page and page.count('name="csrf_token"') >= 4
    assert re.search(r'<input type="hidden" name="csrf_token"', page) is None  # Flask-WTF's


@pytest.mark.parametrize(("words", "priority", "reason"), [
    ("The teachers are stupid idiots", Priority.ORDINARY, "unkind"),
    ("My name is Sam Taylor and I want a garden.", Priority.PERSONAL, "personal_details"),
    ("More parks near the school please.", Priority.ORDINARY, "off_topic"),
])
def test_the_proposed_reason_follows_the_flags(
    app: Flask, client: FlaskClient, demo_plan: PlanContent, staff_client: StaffClient,
    words: str, priority: Priority, reason: str,
) -> None:
    Child(client).send("vision", words)
    fac = staff_client("fac@example.org", Role.FACILITATOR)
    page = fac.get(review_next(fac, priority)).get_data(as_text=True)
    assert re.search(rf'<option selected value="{reason}">', page), page


def test_a_flagged_item_offers_the_edited_version_first(
    app: Flask, client: FlaskClient, demo_plan: PlanContent, staff_client: StaffClient,
) -> None:
    child = Child(client)
    child.send("vision", "My name is Sam Taylor and I want a garden.")
    child.send("vision", "More parks near the school please.")
    fac = staff_client("fac@example.org", Role.FACILITATOR)
    flagged = fac.get(review_next(fac, Priority.PERSONAL)).get_data(as_text=True)
    legends = re.findall(r"<legend>([^<]+)</legend>", flagged)
    assert legends[0] == "Approve the edited version" and legends[-1] == "Approve as written"
    # The "a" key and the primary button belong to the edited version.
    edited = flagged[flagged.index("Approve the edited version"):flagged.index("Do not share")]
    assert 'data-shortcut="a"' in edited and "My name is [hidden] and I want" in edited
    written = flagged[flagged.rindex("<legend>Approve as written"):]
    written = written[:written.index("</form>")]
    assert "data-shortcut" not in written and 'class="button-secondary"' in written
    plain = fac.get(review_next(fac, Priority.ORDINARY)).get_data(as_text=True)
    assert re.findall(r"<legend>([^<]+)</legend>", plain)[0] == "Approve as written"


def test_keyboard_hints_list_only_keys_that_exist(
    app: Flask, client: FlaskClient, demo_plan: PlanContent, staff_client: StaffClient,
) -> None:
    child = Child(client)
    child.send("vision", "More parks near the school please.")
    child.send("values", "my dad hits me every night")
    fac = staff_client("fac@example.org", Role.FACILITATOR)
    lead = staff_client("lead@example.org", Role.SAFEGUARDING_LEAD)
    ordinary = review_next(fac, Priority.ORDINARY)
    pages = {"claimed": fac.get(ordinary).get_data(as_text=True),
             "not claimed": lead.get(ordinary).get_data(as_text=True)}
    urgent = review_next(lead, Priority.URGENT)
    pages["lead lane"] = lead.get(urgent).get_data(as_text=True)
    fac.post(ordinary + "/approve", data={"csrf_token": csrf_token(fac, ordinary)})
    pages["decided"] = fac.get(ordinary).get_data(as_text=True)
    expected = {"claimed": {"a", "e", "r", "s", "n"}, "not claimed": {"n"},
                "lead lane": {"c", "b", "n"}, "decided": {"n"}}
    for name, page in pages.items():
        elements, hinted = shortcuts_on(page)
        assert elements == hinted == expected[name], name


def test_an_invalid_form_keeps_what_the_reviewer_typed(
    app: Flask, client: FlaskClient, demo_plan: PlanContent, staff_client: StaffClient,
) -> None:
    Child(client).send("vision", "My name is Sam Taylor and I want a garden.")
    fac = staff_client("fac@example.org", Role.FACILITATOR)
    url = review_next(fac, Priority.PERSONAL)
    response = fac.post(url + "/approve-edited", data={"csrf_token": csrf_token(fac, url),
                                                       "published_text": "   "})
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    long_note = "x" * 2001
    response = fac.post(url + "/escalate", data={"csrf_token": csrf_token(fac, url),
                                                 "escalation_note": long_note})
    assert response.status_code == 422 and long_note in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Submission.status)).one() == SubmissionStatus.PENDING


def test_a_decision_someone_else_made_first_is_refused_kindly(
    app: Flask, client: FlaskClient, demo_plan: PlanContent, staff_client: StaffClient,
) -> None:
    Child(client).send("vision", "More parks near the school please.")
    fac = staff_client("fac@example.org", Role.FACILITATOR)
    url = review_next(fac, Priority.ORDINARY)
    token = csrf_token(fac, url)
    assert fac.post(url + "/approve", data={"csrf_token": token}).status_code == 302
    response = fac.post(url + "/reject", data={"csrf_token": token, "reason": "off_topic",
                                               "then_next": "y"})
    assert response.status_code == 409
    assert "Someone already decided on this item." in response.get_data(as_text=True)


def test_the_lead_lane_from_escalation_to_the_ordinary_queue(
    app: Flask, client: FlaskClient, demo_plan: PlanContent, staff_client: StaffClient,
) -> None:
    child = Child(client)
    child.send("vision", "my uncle is strange")
    child.send("values", "my dad hits me every night")
    fac = staff_client("fac@example.org", Role.FACILITATOR)
    lead = staff_client("lead@example.org", Role.SAFEGUARDING_LEAD)
    shouting = review_next(fac, Priority.ORDINARY)
    fac.post(shouting + "/escalate", data={"csrf_token": csrf_token(fac, shouting),
                                           "escalation_note": "Sounds frightened?",
                                           "then_next": "y"})
    # The escalated lane is listed, with its target, on the queues page and the staff home.
    for path in ("/staff/queues", "/staff/"):
        page = lead.get(path).get_data(as_text=True)
        row = page[page.index(">Escalated <"):]
        row = row[:row.index("</tr>")]
        assert "A reviewer was not sure" in row and "<td>4 hours</td>" in row and "<td>1</td>" in row
    # Urgent first: the lead keeps it from sharing and goes on to the escalated item.
    urgent = review_next(lead, Priority.URGENT)
    response = lead.post(urgent + "/keep", data={"csrf_token": csrf_token(lead, urgent),
                                                 "then_next": "y"})
    assert response.headers["Location"] == "/staff/queues"  # no more urgent items
    escalated = review_next(lead, Priority.ESCALATED)
    assert escalated == shouting
    page = lead.get(escalated).get_data(as_text=True)
    assert "Sounds frightened?" in page and "Escalated" in page
    assert "Approve as written" not in page and "Open a safeguarding concern" in page
    response = lead.post(escalated + "/return", data={"csrf_token": csrf_token(lead, escalated),
                                                      "reason_text": ""})
    assert response.status_code == 422
    response = lead.post(escalated + "/return", data={
        "csrf_token": csrf_token(lead, escalated), "reason_text": "Ordinary family noise.",
        "then_next": "y"})
    assert response.headers["Location"] == "/staff/queues"
    again = review_next(fac, Priority.ORDINARY)
    assert again == shouting
    response = fac.post(again + "/approve", data={"csrf_token": csrf_token(fac, again)})
    with app.app_context():
        item = db.session.scalar(select(Submission).where(Submission.body.like("my uncle%")))
        assert item is not None and item.status == SubmissionStatus.APPROVED
        kept = db.session.scalar(select(Submission).where(Submission.body.like("my dad%")))
        assert kept is not None and kept.status == SubmissionStatus.SAFEGUARDED


def test_a_concern_resolves_the_item_and_links_both_ways(
    app: Flask, client: FlaskClient, demo_plan: PlanContent, staff_client: StaffClient,
) -> None:
    child = Child(client)
    child.send("values", "my dad hits me every night")
    child.send("values", "my mum hits me when she drinks")
    lead = staff_client("lead@example.org", Role.SAFEGUARDING_LEAD)
    first = review_next(lead, Priority.URGENT)
    response = lead.post(first + "/concern", data={"csrf_token": csrf_token(lead, first),
                                                   "note": "Disclosure at home.",
                                                   "then_next": "y"})
    second = response.headers["Location"]
    assert second.startswith("/staff/items/") and second != first
    page = lead.get(second).get_data(as_text=True)
    with app.app_context():
        concern_id = db.session.scalars(select(Concern.id)).one()
    assert f'href="/staff/concerns/{concern_id}"' in page  # "concern #n opened" notice
    response = lead.post(second + "/concern", data={"csrf_token": csrf_token(lead, second),
                                                    "note": "Another disclosure."})
    assert response.headers["Location"].startswith("/staff/concerns/")
    item_page = lead.get(first).get_data(as_text=True)
    assert f'href="/staff/concerns/{concern_id}"' in item_page
    assert "Kept from sharing by a safeguarding lead" in item_page
    concern_page = lead.get(f"/staff/concerns/{concern_id}").get_data(as_text=True)
    assert f'href="{first}"' in concern_page
    queues = lead.get("/staff/queues").get_data(as_text=True)
    urgent_row = queues[queues.index(">Urgent <"):]
    assert "<td>0</td>" in urgent_row[:urgent_row.index("</tr>")]  # both left the queue
