"""Committee input in review: never reviewed by the facilitator who submitted it (claims,
decisions, bulk, the item page), shown as a committee's words with its kind, voice and share but
no consent details, and a concern raised in a committee session handled like any concern."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from participation.accounts.models import Role, User
from participation.audit.models import AuditEvent
from participation.committees.models import CommitteeSession, ShareOfGroup, StatementVoice
from participation.db import db, utcnow
from participation.feedback.models import RejectionReason, Submission, SubmissionStatus
from participation.jobs.services import dispatch_due, enqueue
from participation.moderation.models import Concern, ConcernEntry, ConcernView, EntryKind
from participation.moderation.queries import queue_summaries
from participation.moderation.services import (
    ReviewError,
    approve_submission,
    bulk_approve,
    bulk_candidates,
    can_review,
    claim_next,
    escalate_to_safeguarding,
    keep_from_sharing,
    open_concern,
    reject_submission,
    return_to_review,
)
from participation.plans.content import PlanContent
from participation.screening.services import Priority
from tests.committees.builders import make_committee
from tests.committees.review_builders import Said, submitted_session
from tests.conftest import StaffAccount, csrf_token, html_problems, make_staff, sign_in
from tests.feedback.helpers import Child
from tests.jobs.builders import URGENT_WORDS
from tests.jobs.fake_smtp import FakeSMTPServer

StaffClient = Callable[..., FlaskClient]
PUBLIC_URL = "https://participation.example.org"
ROOM_NOTE = "Amina said her uncle hurts her"  # staff words in the record, never in an e-mail


@pytest.fixture
def people(app: Flask, demo_plan: PlanContent) -> dict[str, StaffAccount]:
    return {
        "runner": make_staff(app, "runner@example.org", Role.FACILITATOR),
        "other": make_staff(app, "other@example.org", Role.FACILITATOR),
        # A facilitator who is also a safeguarding lead: still never decides their own input.
        "lead_runner": make_staff(app, "lead-runner@example.org", Role.FACILITATOR,
                                  Role.SAFEGUARDING_LEAD),
        "lead": make_staff(app, "lead@example.org", Role.SAFEGUARDING_LEAD),
    }


def user(account: StaffAccount) -> User:
    return db.session.get_one(User, account.id)


def item(public_id: str) -> Submission:
    return db.session.scalars(select(Submission).where(Submission.public_id == public_id)).one()


def hold(public_id: str, account: StaffAccount) -> Submission:
    """Force a claim on an item (as if the queue had handed it over) to test the decisions."""
    db.session.execute(update(Submission).where(Submission.public_id == public_id).values(
        claimed_by_id=account.id, claim_expires_at=utcnow() + timedelta(minutes=15)))
    db.session.commit()
    return item(public_id)


def test_the_submitting_facilitator_is_never_handed_their_own_input(
        app: Flask, people: dict[str, StaffAccount]) -> None:
    runner, other = people["runner"], people["other"]
    committee = make_committee(app, facilitator_ids=(runner.id, other.id))
    sent = submitted_session(app, committee, runner.id, said=(
        Said("Des parcs plus près des écoles."), Said("Moins de devoirs le vendredi.")))
    with app.app_context():
        assert claim_next(user(runner)) is None
        db.session.commit()
        assert not can_review(user(runner), item(sent.statements[0]))
        [summary] = [s for s in queue_summaries(user(runner), app.config[
            "REVIEW_TARGET_MINUTES"]) if s.priority == Priority.ORDINARY]
        assert summary.count == 0 and summary.oldest is None  # not counted as theirs to do
        [summary] = [s for s in queue_summaries(user(other), app.config[
            "REVIEW_TARGET_MINUTES"]) if s.priority == Priority.ORDINARY]
        assert summary.count == 2
        first = claim_next(user(other))
        assert first is not None and first.public_id == sent.statements[0]
        assert can_review(user(other), first)


def test_every_decision_refuses_the_submitting_facilitator(
        app: Flask, people: dict[str, StaffAccount]) -> None:
    runner = people["runner"]
    committee = make_committee(app, facilitator_ids=(runner.id,))
    sent = submitted_session(app, committee, runner.id, said=(
        Said("Des parcs plus près des écoles."),))
    decisions: list[Callable[[Submission, User], object]] = [
        lambda s, u: approve_submission(s, u),
        lambda s, u: approve_submission(s, u, published_text="Des parcs."),
        lambda s, u: reject_submission(s, u, RejectionReason.OFF_TOPIC),
        lambda s, u: escalate_to_safeguarding(s, u, note="?"),
    ]
    with app.app_context():
        for decide in decisions:
            submission = hold(sent.statements[0], runner)  # even holding a claim
            with pytest.raises(ReviewError) as refused:
                decide(submission, user(runner))
            assert refused.value.code == "own_submission"
            db.session.rollback()
        assert item(sent.statements[0]).status == SubmissionStatus.PENDING


def test_a_lead_never_decides_the_urgent_input_they_submitted(
        app: Flask, people: dict[str, StaffAccount]) -> None:
    lead_runner, lead = people["lead_runner"], people["lead"]
    committee = make_committee(app, facilitator_ids=(lead_runner.id,), lead_id=lead.id)
    sent = submitted_session(app, committee, lead_runner.id, locale="en",
                             said=(Said(URGENT_WORDS),))
    with app.app_context():
        urgent = item(sent.statements[0])
        assert urgent.priority == Priority.URGENT
        assert claim_next(user(lead_runner)) is None
        for decide in (lambda: keep_from_sharing(urgent, user(lead_runner)),
                       lambda: return_to_review(urgent, user(lead_runner), "no"),
                       lambda: open_concern(urgent, user(lead_runner), "note")):
            with pytest.raises(ReviewError) as refused:
                decide()
            assert refused.value.code == "own_submission"
            db.session.rollback()
        claimed = claim_next(user(lead))
        assert claimed is not None and claimed.id == urgent.id
        keep_from_sharing(claimed, user(lead))
        db.session.commit()
        assert item(sent.statements[0]).status == SubmissionStatus.SAFEGUARDED


def test_committee_input_is_never_approved_in_bulk(
        app: Flask, people: dict[str, StaffAccount], client: FlaskClient) -> None:
    runner, other = people["runner"], people["other"]
    committee = make_committee(app, facilitator_ids=(runner.id,))
    sent = submitted_session(app, committee, runner.id, said=(
        Said("Des parcs plus près des écoles."),), captions=(("values", "Notre dessin."),))
    Child(client).send("values", "More trees in the playground")
    with app.app_context():
        candidates = bulk_candidates(user(other))
        assert [c.source.value for c in candidates] == ["child"]
        assert bulk_approve(user(other), [*sent.statements, *sent.captions]) == 0
        assert bulk_approve(user(other), [c.public_id for c in candidates]) == 1
        db.session.commit()
        assert {item(p).status for p in (*sent.statements, *sent.captions)} == {
            SubmissionStatus.PENDING}


def test_the_item_page_shows_a_committees_statement_without_consent_details(
        app: Flask, people: dict[str, StaffAccount], staff_client: StaffClient) -> None:
    runner = people["runner"]
    committee = make_committee(app, facilitator_ids=(runner.id,), name="Comité de Dakar",
                               name_is_public=False)
    sent = submitted_session(app, committee, runner.id, said=(
        Said("Des parcs plus près des écoles.", voice=StatementVoice.PARAPHRASE,
             share=ShareOfGroup.SOME),), held_on=date(2026, 11, 20))
    reviewer = staff_client("reviewer@example.org", Role.FACILITATOR)
    response = reviewer.post("/staff/queues/next", data={
        "csrf_token": csrf_token(reviewer, "/staff/queues")})
    assert response.headers["Location"] == f"/staff/items/{sent.statements[0]}"
    page = reviewer.get(response.headers["Location"]).get_data(as_text=True)
    assert "<h1>Ordinary: review a committee's input</h1>" in page
    assert "From a children's committee" in page
    facts = dict(re.findall(r"<dt>(.*?)</dt>\s*<dd>(.*?)</dd>", page, re.S))
    assert facts["Committee"] == "Comité de Dakar"  # reviewers see the name, public or not
    assert facts["Session held on"] == "November 20, 2026"
    assert facts["Kind of statement"] == "Recommendation"
    assert facts["Whose words"] == "The facilitator&#39;s paraphrase"
    assert facts["How many held this view"] == "Some children"
    assert facts["Part of the plan"].startswith('<span lang="fr">')  # as the committee read it
    assert "Age" not in facts
    for private in ("calmly", "runner@example.org", "children present", "consent"):
        assert private not in page.lower()


def test_the_submitter_is_told_someone_else_reviews_it(
        app: Flask, people: dict[str, StaffAccount], staff_client: StaffClient) -> None:
    runner = make_staff(app, "own@example.org", Role.FACILITATOR)
    committee = make_committee(app, facilitator_ids=(runner.id,))
    sent = submitted_session(app, committee, runner.id)
    client = app.test_client()
    sign_in(client, runner.email, totp_secret=runner.totp_secret)
    response = client.get(f"/staff/items/{sent.statements[0]}")
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "You submitted this committee&#39;s input, so another reviewer decides it." in page
    assert "Save and next" not in page
    token = csrf_token(client, "/staff/queues")
    refused = client.post(f"/staff/items/{sent.statements[0]}/approve",
                          data={"csrf_token": token})
    assert refused.status_code == 403
    with app.app_context():
        assert item(sent.statements[0]).status == SubmissionStatus.PENDING


def test_a_caption_item_says_it_is_a_photo_caption(
        app: Flask, people: dict[str, StaffAccount], staff_client: StaffClient) -> None:
    runner = people["runner"]
    committee = make_committee(app, facilitator_ids=(runner.id,))
    sent = submitted_session(app, committee, runner.id, said=(),
                             captions=(("values", "Notre école idéale."),))
    reviewer = staff_client("reviewer@example.org", Role.FACILITATOR)
    location = reviewer.post("/staff/queues/next", data={
        "csrf_token": csrf_token(reviewer, "/staff/queues")}).headers["Location"]
    assert location == f"/staff/items/{sent.captions[0]}"
    page = reviewer.get(location).get_data(as_text=True)
    assert "The children's caption of a photo of their work" in page
    assert "Notre école idéale." in page
    if "committee_sessions.photo" in app.view_functions:  # the recorder serves the photo
        src = re.search(r'<figure class="committee-photo">\s*<img src="([^"]+)"', page)
        assert src is not None
        image = reviewer.get(src.group(1))
        assert image.status_code == 200 and image.mimetype.startswith("image/")
    else:
        assert "The photo cannot be shown here" in page


# A concern raised in a committee session (a disclosure made in the room, never written down).

def room_concern(app: Flask, session_id: int, opened_by: int) -> int:
    """What the session recorder's raise_room_concern makes (built here directly)."""
    with app.app_context():
        concern = Concern(committee_session_id=session_id, case_reference="RDE-2026-0042",
                          opened_by_id=opened_by, opened_at=utcnow())
        db.session.add(concern)
        db.session.flush()
        db.session.add(ConcernEntry(concern_id=concern.id, author_id=opened_by,
                                    kind=EntryKind.NOTE, text=ROOM_NOTE))
        enqueue("alert.room_concern", {"concern_id": concern.id})
        db.session.commit()
        return concern.id


def test_a_room_concern_is_listed_and_read_like_any_concern(
        app: Flask, people: dict[str, StaffAccount], staff_client: StaffClient) -> None:
    runner = people["runner"]
    committee = make_committee(app, facilitator_ids=(runner.id,), name="Comité de Dakar")
    sent = submitted_session(app, committee, runner.id, held_on=date(2026, 11, 20))
    concern_id = room_concern(app, sent.session_id, runner.id)
    lead = staff_client("reader@example.org", Role.SAFEGUARDING_LEAD)
    listing = lead.get("/staff/concerns").get_data(as_text=True)
    row = re.search(rf"Concern #{concern_id}</a></th>(.*?)</tr>", listing, re.S)
    assert row is not None
    cells = [re.sub(r"<[^>]+>", "", cell).strip()
             for cell in re.findall(r"<td>(.*?)</td>", row.group(1), re.S)]
    assert cells[0] == "Raised in a committee session" and cells[1] == "French"
    assert ROOM_NOTE not in listing
    page = lead.get(f"/staff/concerns/{concern_id}").get_data(as_text=True)
    facts = dict(re.findall(r"<dt>(.*?)</dt>\s*<dd>(.*?)</dd>", page, re.S))
    assert facts["Committee"] == "Comité de Dakar"
    assert facts["Session held on"] == "November 20, 2026"
    assert facts["Case reference"] == "RDE-2026-0042"
    assert ROOM_NOTE in page  # the facilitator's note, in the restricted record
    assert "What the child wrote" not in page
    token = csrf_token(lead, f"/staff/concerns/{concern_id}")
    assert lead.post(f"/staff/concerns/{concern_id}/entries", data={
        "csrf_token": token, "kind": "referral", "text": "Referred to the partner's officer",
    }).status_code == 302
    assert lead.post(f"/staff/concerns/{concern_id}/close", data={
        "csrf_token": token, "outcome": "Supported by the partner"}).status_code == 302
    with app.app_context():
        concern = db.session.get_one(Concern, concern_id)
        assert concern.closed_at is not None
        assert [e.kind for e in concern.entries] == [EntryKind.NOTE, EntryKind.REFERRAL,
                                                     EntryKind.CLOSED]
        views = db.session.scalars(select(ConcernView).where(
            ConcernView.concern_id == concern_id)).all()
        assert len(views) == 2  # each reading is logged (the page, and its form's token)
        assert db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "concern.viewed")).all()
    facilitator = staff_client("fac@example.org", Role.FACILITATOR)
    organiser = staff_client("org@example.org", Role.ORGANISER)
    for outsider in (facilitator, organiser):
        assert outsider.get(f"/staff/concerns/{concern_id}").status_code == 403
        assert outsider.get("/staff/concerns").status_code == 403


@pytest.fixture
def smtp(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSMTPServer]:
    with FakeSMTPServer() as server:
        for key, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": server.port,
                           "SMTP_STARTTLS": False, "BABEL_DEFAULT_LOCALE": "en",
                           "PUBLIC_URL": PUBLIC_URL}.items():
            monkeypatch.setitem(app.config, key, value)
        yield server


def _no_words(message: EmailMessage) -> None:
    text = f"{message['Subject']} {message.get_content()}"
    for words in ("Amina", "uncle", "hurts", "RDE-2026", "Dakar", "runner@"):
        assert words not in text


def test_a_room_concern_alerts_the_leads_with_a_link_and_no_name(
        app: Flask, people: dict[str, StaffAccount], smtp: FakeSMTPServer) -> None:
    runner = people["runner"]
    committee = make_committee(app, facilitator_ids=(runner.id,), name="Comité de Dakar")
    sent = submitted_session(app, committee, runner.id)
    first = room_concern(app, sent.session_id, runner.id)
    with app.app_context():
        dispatch_due()
    assert sorted(m["To"] for m in smtp.messages) == ["lead-runner@example.org",
                                                      "lead@example.org"]
    message = smtp.messages[0]
    assert message["Subject"] == "A safeguarding concern was raised in a committee session"
    assert f"{PUBLIC_URL}/staff/concerns/{first}" in message.get_content()
    _no_words(message)
    with app.app_context():
        [event] = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "alert.room_concern")).all()
        assert event.object_id == str(first)
    # Two more within the grouping window: one e-mail about both, when the window ends.
    smtp.messages.clear()
    room_concern(app, sent.session_id, runner.id)
    room_concern(app, sent.session_id, runner.id)
    with app.app_context():
        dispatch_due()
    assert smtp.messages == []  # held for the window
    with app.app_context():
        dispatch_due(now=utcnow() + timedelta(minutes=app.config["ALERT_GROUP_MINUTES"] + 1))
    assert len(smtp.messages) == 2  # one per lead
    grouped = smtp.messages[0]
    assert grouped["Subject"] == "2 safeguarding concerns were raised in committee sessions"
    assert f"{PUBLIC_URL}/staff/concerns\r\n" in grouped.get_content()
    _no_words(grouped)


def test_a_statement_with_a_disclosure_reaches_the_urgent_lane_only(
        app: Flask, people: dict[str, StaffAccount]) -> None:
    runner, other, lead = people["runner"], people["other"], people["lead"]
    committee = make_committee(app, facilitator_ids=(runner.id,))
    sent = submitted_session(app, committee, runner.id, locale="en",
                             said=(Said(URGENT_WORDS),))
    with app.app_context():
        urgent = item(sent.statements[0])
        assert urgent.priority == Priority.URGENT
        assert claim_next(user(other)) is None  # not a facilitator's lane
        db.session.commit()
        claimed = claim_next(user(lead))
        assert claimed is not None and claimed.id == urgent.id
        with pytest.raises(ReviewError):
            approve_submission(claimed, user(lead))  # never published
        db.session.rollback()
        session = db.session.get_one(CommitteeSession, sent.session_id)
        assert session.status.value == "submitted"



def test_the_committee_review_pages_are_valid_html(
        app: Flask, people: dict[str, StaffAccount], staff_client: StaffClient,
        tmp_path: Path) -> None:
    runner = people["runner"]
    committee = make_committee(app, facilitator_ids=(runner.id,))
    sent = submitted_session(app, committee, runner.id,
                             captions=(("values", "Notre école idéale."),))
    concern_id = room_concern(app, sent.session_id, runner.id)
    reviewer = staff_client("reviewer@example.org", Role.FACILITATOR, Role.SAFEGUARDING_LEAD)
    pages = []
    for _item in range(2):  # the statement, then the caption
        location = reviewer.post("/staff/queues/next", data={
            "csrf_token": csrf_token(reviewer, "/staff/queues")}).headers["Location"]
        pages.append(location)
    pages += ["/staff/concerns", f"/staff/concerns/{concern_id}"]
    bodies = {}
    for index, path in enumerate(pages):
        response = reviewer.get(path)
        assert response.status_code == 200, path
        bodies[str(index)] = response.data
    assert html_problems(bodies, tmp_path) == []
