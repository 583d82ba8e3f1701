"""Review pages over HTTP: a facilitator reviews what a child sent; the child sees the result."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from participation.accounts.models import Role
from participation.accounts.services import create_user
from participation.db import db
from participation.feedback.models import Submission, SubmissionStatus
from participation.plans.content import PlanContent
from participation.screening.services import Priority
from tests.conftest import CSRF_RE
from tests.feedback.helpers import Child

PASSPHRASE = "a long and calm passphrase"


@pytest.fixture(autouse=True)
def _demo_sign_in(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "STAFF_TOTP_REQUIRED", False)  # TOTP is tested in accounts


def staff(app: Flask, email: str, *roles: Role) -> FlaskClient:
    with app.app_context():
        create_user(email, PASSPHRASE, list(roles), actor_id=None, with_totp=False)
        db.session.commit()
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get("/staff/login").get_data(as_text=True)
    client.post("/staff/login", data={"csrf_token": CSRF_RE.search(page).group(1),
                                      "email": email, "passphrase": PASSPHRASE})
    return client


def csrf(client: FlaskClient, path: str) -> str:
    return CSRF_RE.search(client.get(path).get_data(as_text=True)).group(1)  # type: ignore[union-attr]


def test_facilitator_reviews_and_the_child_sees_it(app: Flask, client: FlaskClient,
                                                   demo_plan: PlanContent) -> None:
    child = Child(client)
    child.send("vision", "My name is Sam and I want more parks near school.")
    child.send("values", "my dad hits me every night")
    fac = staff(app, "fac@example.org", Role.FACILITATOR)

    page = fac.get("/staff/queues").get_data(as_text=True)
    assert "Urgent" not in page and "Personal details" in page
    response = fac.post("/staff/queues/next", data={"csrf_token": csrf(fac, "/staff/queues"),
                                                    "priority": "1"})
    item_url = response.headers["Location"]
    page = fac.get(item_url).get_data(as_text=True)
    assert '<mark class="flag flag-personal_info">Sam</mark>' in page
    assert "My name is [hidden] and I want more parks" in page  # the suggested redaction
    response = fac.post(item_url + "/approve-edited", data={
        "csrf_token": csrf(fac, item_url), "published_text": "I want more parks near school."})
    assert response.status_code == 302

    child.open_part("vision")
    assert "I want more parks near school." in child.page and "Sam" not in child.page
    child.get("/en/my-ideas")
    assert "Shared with other children." in child.page

    # The urgent item: not in the facilitator's queues, and its URL is a 404 for them.
    with app.app_context():
        urgent = db.session.scalar(
            select(Submission.public_id).where(Submission.priority == Priority.URGENT))
    assert fac.get(f"/staff/items/{urgent}").status_code == 404
    lead = staff(app, "lead@example.org", Role.SAFEGUARDING_LEAD)
    assert "Urgent" in lead.get("/staff/queues").get_data(as_text=True)
    response = lead.post("/staff/queues/next", data={"csrf_token": csrf(lead, "/staff/queues"),
                                                     "priority": str(Priority.URGENT)})
    page = lead.get(response.headers["Location"]).get_data(as_text=True)
    assert "Approve as written" not in page  # urgent items are never shared
    assert "May be hurt or abused" in page


def test_rejection_gives_the_child_a_kind_reason(app: Flask, client: FlaskClient,
                                                 demo_plan: PlanContent) -> None:
    child = Child(client)
    child.send("changes", "blah blah football scores")
    fac = staff(app, "fac@example.org", Role.FACILITATOR)
    item_url = fac.post("/staff/queues/next", data={"csrf_token": csrf(fac, "/staff/queues")}
                        ).headers["Location"]
    fac.post(item_url + "/reject", data={"csrf_token": csrf(fac, item_url),
                                         "reason": "off_topic"})
    with app.app_context():
        assert db.session.scalars(select(Submission.status)).one() == SubmissionStatus.REJECTED
    child.get("/en/my-ideas")
    assert "It was not about the plan." in child.page


def test_roles_reach_only_their_pages(app: Flask, demo_plan: PlanContent) -> None:
    organiser = staff(app, "org@example.org", Role.ORGANISER)
    assert organiser.get("/staff/queues").status_code == 403
    assert organiser.get("/staff/").status_code == 200
    fac = staff(app, "fac@example.org", Role.FACILITATOR)
    assert fac.get("/staff/items/" + "0" * 32).status_code == 404


def test_safeguarding_lead_handles_a_concern(app: Flask, client: FlaskClient,
                                             demo_plan: PlanContent) -> None:
    from participation.db import RecordIsAppendOnly
    from participation.moderation.models import Concern, ConcernEntry, ConcernView

    Child(client).send("values", "my dad hits me every night")
    lead = staff(app, "lead@example.org", Role.SAFEGUARDING_LEAD)
    item_url = lead.post("/staff/queues/next", data={"csrf_token": csrf(lead, "/staff/queues"),
                                                     "priority": str(Priority.URGENT)}
                         ).headers["Location"]
    response = lead.post(item_url + "/concern", data={"csrf_token": csrf(lead, item_url),
                                                      "note": "Disclosure of violence at home."})
    concern_url = response.headers["Location"]
    page = lead.get(concern_url).get_data(as_text=True)
    assert "my dad hits me every night" in page and "Disclosure of violence at home." in page
    lead.post(concern_url + "/entries", data={
        "csrf_token": csrf(lead, concern_url), "kind": "referral",
        "text": "Referred to children's services, ref 123."})
    lead.post(concern_url + "/close", data={"csrf_token": csrf(lead, concern_url),
                                            "outcome": "Family supported; child safe."})
    page = lead.get(concern_url).get_data(as_text=True)
    assert "Referral made" in page and "Closed" in page and "Add to the record" not in page

    fac = staff(app, "fac@example.org", Role.FACILITATOR)
    assert fac.get("/staff/concerns").status_code == 403
    assert fac.get(concern_url).status_code == 403

    with app.app_context():
        concern = db.session.scalars(select(Concern)).one()
        assert concern.closed_at is not None
        # Every reading is logged: two readings plus the two page loads before each entry.
        assert len(db.session.scalars(select(ConcernView)).all()) == 4
        entry = db.session.scalars(select(ConcernEntry)).first()
        entry.text = "rewritten"
        with pytest.raises(RecordIsAppendOnly):
            db.session.flush()
        db.session.rollback()
        # The item is never published: it stays out of every child's view. Opening the
        # concern was its outcome: kept from sharing, out of the urgent queue.
        item = db.session.scalars(select(Submission)).one()
        assert item.published_body is None and item.status == SubmissionStatus.SAFEGUARDED


def test_bulk_approval_after_a_preview(app: Flask, client: FlaskClient,
                                       demo_plan: PlanContent) -> None:
    child = Child(client)
    for text in ("More parks please.", "Less homework.", "My name is Sam, more music."):
        child.send("vision", text)
    fac = staff(app, "fac@example.org", Role.FACILITATOR)
    page = fac.get("/staff/bulk").get_data(as_text=True)
    assert "More parks please." in page and "Less homework." in page
    assert "Sam" not in page  # flagged items are reviewed one by one
    ids = re.findall(r'name="item" value="([0-9a-f]{32})"', page)
    fac.post("/staff/bulk", data={"csrf_token": csrf(fac, "/staff/bulk"), "item": ids[:1]})
    with app.app_context():
        statuses = sorted(s.value for s in db.session.scalars(select(Submission.status)))
    assert statuses == ["approved", "pending", "pending"]
    assert "1 idea approved." in fac.get("/staff/queues").get_data(as_text=True)


def test_escalation_note_and_original_words_stay_with_leads(
    app: Flask, client: FlaskClient, demo_plan: PlanContent
) -> None:
    child = Child(client)
    child.send("vision", "My name is Sam and I want parks.")
    child.send("values", "my uncle is strange")
    fac = staff(app, "fac@example.org", Role.FACILITATOR)
    first = fac.post("/staff/queues/next", data={"csrf_token": csrf(fac, "/staff/queues"),
                                                 "priority": "1"}).headers["Location"]
    fac.post(first + "/approve-edited", data={"csrf_token": csrf(fac, first),
                                              "published_text": "I want parks."})
    page = fac.get(first).get_data(as_text=True)
    assert "Sam" not in page and "I want parks." in page  # the original is for leads only
    second = fac.post("/staff/queues/next", data={"csrf_token": csrf(fac, "/staff/queues"),
                                                  "priority": "0"}).headers["Location"]
    fac.post(second + "/escalate", data={"csrf_token": csrf(fac, second),
                                         "escalation_note": "Sounds frightened, please check."})
    assert fac.get(second).status_code == 404  # now urgent: out of the facilitator's reach
    lead = staff(app, "lead@example.org", Role.SAFEGUARDING_LEAD)
    page = lead.get(second).get_data(as_text=True)
    assert "Sounds frightened, please check." in page
    assert "Sam" in lead.get(first).get_data(as_text=True)
