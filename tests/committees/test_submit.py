"""Sending a session: statements and captions become committee submissions, screened and
queued like children's ideas; a disclosure is urgent with its alert; a double send makes one
set; withdrawing stops at the first decision."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import func, select, update

from participation.accounts.models import Role, User
from participation.committees.models import SessionPhoto, SessionStatus
from participation.committees.photos import add_photo
from participation.committees.sessions import SessionError, record_read_back, withdraw_session
from participation.committees.submit import submit_session
from participation.db import db
from participation.feedback.models import Submission, SubmissionSource, SubmissionStatus
from participation.jobs.models import OutboxMessage
from participation.plans.content import PlanContent
from participation.plans.models import PlanRevision
from participation.screening.services import Priority
from tests.committees.session_helpers import (
    BASE,
    load,
    recorder,
    session_at,
    signed_in,
    token,
)

DISCLOSURE = "mon beau-père me frappe tous les soirs"


def _photo() -> bytes:
    out = io.BytesIO()
    Image.effect_noise((80, 60), 60).convert("RGB").save(out, format="JPEG")
    return out.getvalue()


def test_statements_and_captions_become_committee_submissions(
        app: Flask, demo_plan: PlanContent) -> None:
    who = recorder(app)
    public_id = session_at(app, who, "attested", statements=(
        "Nous voulons des parcs plus sûrs.", "Pourquoi les enfants ne votent pas ?",
        "Il manque le sport."))
    with app.app_context():
        session, fac = load(app, public_id), db.session.get_one(User, who.account.id)
        add_photo(session, fac, raw=_photo(), section_id=session.parts[0].section_id,
                  caption="Notre parc idéal", no_faces_or_names=True, max_side=500)
        record_read_back(session, fac, corrected=True)
        made = submit_session(session, fac)
        db.session.commit()
        assert made == 4
        session = load(app, public_id)
        assert session.status == SessionStatus.SUBMITTED and session.submitted_at is not None
        submissions = db.session.scalars(select(Submission).order_by(Submission.id)).all()
        assert [s.body for s in submissions] == [
            "Nous voulons des parcs plus sûrs.", "Pourquoi les enfants ne votent pas ?",
            "Il manque le sport.", "Notre parc idéal"]
        for submission in submissions:
            assert submission.source == SubmissionSource.COMMITTEE
            assert submission.submitted_by_id == who.account.id
            assert submission.status == SubmissionStatus.PENDING
            assert submission.locale == "fr" and submission.plan_id == session.plan_id
            assert submission.age_band is None and submission.child_token_hash is None
            assert submission.idempotency_key is None and submission.code_hash is None
            assert submission.screening is not None and len(submission.public_id) == 32
            # Tied to the revision of the plan published when the group's words were sent.
            assert submission.revision_id == db.session.scalar(
                select(PlanRevision.id).where(PlanRevision.plan_id == session.plan_id))
        statements = session.statements
        assert [s.submission_id for s in statements] == [s.id for s in submissions[:3]]
        assert [s.section_id for s in submissions[:3]] == [
            st.section_id for st in statements]
        assert submissions[2].section_id is None  # "something missing"
        photo = db.session.scalars(select(SessionPhoto)).one()
        assert photo.submission_id == submissions[3].id
        assert submissions[3].section_id == photo.section_id
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.kind == "alert.urgent")) == 0


def test_a_disclosure_in_a_statement_is_urgent_and_alerts_the_leads(
        app: Flask, demo_plan: PlanContent) -> None:
    who = recorder(app)
    public_id = session_at(app, who, "attested",
                           statements=("Nous voulons des parcs.", DISCLOSURE))
    with app.app_context():
        session = load(app, public_id)
        fac = db.session.get_one(User, who.account.id)
        submit_session(session, fac)
        db.session.commit()
        urgent = db.session.scalars(select(Submission).where(
            Submission.body == DISCLOSURE)).one()
        assert urgent.priority == Priority.URGENT and urgent.status == SubmissionStatus.PENDING
        job = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "alert.urgent")).one()
        assert job.payload == {"submission_id": urgent.id}
        ordinary = db.session.scalars(select(Submission).where(
            Submission.body != DISCLOSURE)).one()
        assert ordinary.priority == Priority.ORDINARY


def test_a_double_send_makes_one_set(app: Flask, demo_plan: PlanContent) -> None:
    who = recorder(app)
    public_id = session_at(app, who, "checked")
    page = who.client.get(f"{BASE}/{public_id}/attest").get_data(as_text=True)
    assert "Save your account first" in page
    public_id = session_at(app, who, "attested")
    page = who.client.get(f"{BASE}/{public_id}").get_data(as_text=True)
    csrf = token(page)
    first = who.client.post(f"{BASE}/{public_id}/submit", data={"csrf_token": csrf})
    second = who.client.post(f"{BASE}/{public_id}/submit", data={"csrf_token": csrf})
    assert first.status_code == second.status_code == 302
    followed = who.client.get(second.headers["Location"]).get_data(as_text=True)
    assert "This session was already sent." in followed
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Submission)) == 1
        with pytest.raises(SessionError) as refused:
            submit_session(load(app, public_id), db.session.get_one(User, who.account.id))
        assert refused.value.code == "already_submitted"


def test_sending_needs_the_read_back_and_the_attestation(app: Flask,
                                                        demo_plan: PlanContent) -> None:
    who = recorder(app)
    drafted = session_at(app, who, "statements")
    checked = session_at(app, who, "checked")
    with app.app_context():
        fac = db.session.get_one(User, who.account.id)
        for public_id, code in ((drafted, "not_checked"), (checked, "not_attested")):
            with pytest.raises(SessionError) as refused:
                submit_session(load(app, public_id), fac)
            assert refused.value.code == code
        assert db.session.scalar(select(func.count()).select_from(Submission)) == 0


def test_a_race_between_two_sends_is_won_once(app: Flask, demo_plan: PlanContent) -> None:
    who = recorder(app)
    public_id = session_at(app, who, "attested")
    with app.app_context():
        session = load(app, public_id)
        fac = db.session.get_one(User, who.account.id)
        # The other tab sent it between this request's read and its update.
        db.session.execute(update(type(session)).where(type(session).id == session.id)
                           .values(status=SessionStatus.SUBMITTED)
                           .execution_options(synchronize_session=False))
        assert session.status == SessionStatus.CHECKED  # what this request read before
        with pytest.raises(SessionError) as refused:
            submit_session(session, fac)
        assert refused.value.code == "already_submitted"
        assert db.session.scalar(select(func.count()).select_from(Submission)) == 0


def test_another_facilitator_cannot_send_or_withdraw(app: Flask,
                                                     demo_plan: PlanContent) -> None:
    who = recorder(app)
    public_id = session_at(app, who, "attested")
    account, _ = signed_in(app, "other@example.org", Role.FACILITATOR)
    with app.app_context():
        other = db.session.get_one(User, account.id)
        for action in (submit_session, withdraw_session):
            with pytest.raises(SessionError) as refused:
                action(load(app, public_id), other)
            assert refused.value.code == "forbidden"


def test_withdrawing_a_sent_session_before_any_decision(app: Flask,
                                                        demo_plan: PlanContent) -> None:
    who = recorder(app)
    public_id = session_at(app, who, "attested",
                           statements=("Nous voulons des parcs.", DISCLOSURE))
    with app.app_context():
        fac = db.session.get_one(User, who.account.id)
        submit_session(load(app, public_id), fac)
        db.session.commit()
        withdraw_session(load(app, public_id), fac, now=None)
        db.session.commit()
        session = load(app, public_id)
        assert session.status == SessionStatus.WITHDRAWN and session.withdrawn_at is not None
        ordinary = db.session.scalars(select(Submission).where(
            Submission.priority == Priority.ORDINARY)).one()
        assert ordinary.status == SubmissionStatus.WITHDRAWN
        assert ordinary.body is None and ordinary.text_deleted_at is not None
        # A possible disclosure stays with the safeguarding leads, words and all.
        urgent = db.session.scalars(select(Submission).where(
            Submission.priority == Priority.URGENT)).one()
        assert urgent.status == SubmissionStatus.PENDING and urgent.body == DISCLOSURE


def test_no_withdrawal_once_a_reviewer_decided(app: Flask, demo_plan: PlanContent) -> None:
    who = recorder(app)
    public_id = session_at(app, who, "attested", statements=("Un.", "Deux."))
    with app.app_context():
        fac = db.session.get_one(User, who.account.id)
        submit_session(load(app, public_id), fac)
        db.session.commit()
        first = db.session.scalars(select(Submission).order_by(Submission.id)).first()
        assert first is not None
        first.status = SubmissionStatus.APPROVED  # a reviewer decided while it was SUBMITTED
        db.session.commit()
        with pytest.raises(SessionError) as refused:
            withdraw_session(load(app, public_id), fac)
        assert refused.value.code == "already_decided"
        db.session.rollback()
        assert load(app, public_id).status == SessionStatus.SUBMITTED
        statuses = db.session.scalars(select(Submission.status).order_by(Submission.id)).all()
        assert statuses == [SubmissionStatus.APPROVED, SubmissionStatus.PENDING]


def test_withdraw_over_http(app: Flask, demo_plan: PlanContent) -> None:
    who = recorder(app)
    public_id = session_at(app, who, "statements")
    page = who.client.get(f"{BASE}/{public_id}").get_data(as_text=True)
    assert "Withdraw this session" in page
    response = who.client.post(f"{BASE}/{public_id}/withdraw",
                               data={"csrf_token": token(page)})
    assert response.status_code == 302
    with app.app_context():
        assert load(app, public_id).status == SessionStatus.WITHDRAWN
    page = who.client.get(f"{BASE}/{public_id}/parts").get_data(as_text=True)
    assert "Add a statement" not in page  # the page still opens, read-only
