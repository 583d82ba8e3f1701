"""The organisers' overview: positions counted per committee and part from sent sessions only,
coverage of the plan, and approved statements only (their published text, nothing else)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from participation.accounts.models import Role
from participation.committees.models import (
    CommitteeSession,
    GroupPosition,
    SessionPart,
    SessionStatus,
    ShareOfGroup,
    Statement,
    StatementKind,
    StatementVoice,
)
from participation.committees.overview import committee_overview
from participation.db import db
from participation.feedback.models import Submission, SubmissionSource, SubmissionStatus
from participation.plans.content import PlanContent
from participation.plans.models import Section
from tests.committees.builders import make_committee, make_session
from tests.conftest import make_staff


def _session(public_id: str) -> CommitteeSession:
    return db.session.scalars(select(CommitteeSession).where(
        CommitteeSession.public_id == public_id)).one()


def _section_id(session: CommitteeSession, slug: str) -> int:
    return db.session.scalars(select(Section.id).where(
        Section.plan_id == session.plan_id, Section.slug == slug)).one()


def discuss(app: Flask, session_id: str, positions: dict[str, GroupPosition | None]) -> None:
    """The parts a session discussed (by slug) and the group's position on each."""
    with app.app_context():
        session = _session(session_id)
        for order, (slug, position) in enumerate(positions.items(), start=1):
            db.session.add(SessionPart(session_id=session.id, section_id=_section_id(session, slug),
                                       position=order, group_position=position))
        db.session.commit()


def state(app: Flask, session_id: str, slug: str | None, body: str, *,
          status: SubmissionStatus, published: str | None = None,
          kind: StatementKind = StatementKind.RECOMMENDATION,
          share: ShareOfGroup | None = None) -> None:
    """A statement of the session, sent as a submission that is now at ``status``."""
    with app.app_context():
        session = _session(session_id)
        section_id = _section_id(session, slug) if slug else None
        submission = Submission(
            public_id=uuid.uuid4().hex, plan_id=session.plan_id, section_id=section_id,
            source=SubmissionSource.COMMITTEE, locale=session.locale, body=body, status=status,
            published_body=published, submitted_by_id=session.facilitator_id)
        db.session.add(submission)
        db.session.flush()
        db.session.add(Statement(session_id=session.id, section_id=section_id, kind=kind,
                                 voice=StatementVoice.OWN_WORDS, share=share, body=body,
                                 submission_id=submission.id))
        db.session.commit()


@pytest.fixture
def committees(app: Flask, demo_plan: PlanContent) -> dict[str, str]:
    """Two committees with sessions at several stages, positions and statements."""
    fac = make_staff(app, "fac@example.org", Role.FACILITATOR).id
    north = make_committee(app, name="North committee", facilitator_ids=(fac,),
                           name_is_public=False)
    south = make_committee(app, name="South committee", facilitator_ids=(fac,))
    accepted = make_session(app, north, fac, status=SessionStatus.ACCEPTED)
    submitted = make_session(app, north, fac, status=SessionStatus.SUBMITTED)
    draft = make_session(app, north, fac, status=SessionStatus.DRAFT)
    withdrawn = make_session(app, south, fac, status=SessionStatus.WITHDRAWN)
    in_review = make_session(app, south, fac, status=SessionStatus.IN_REVIEW)
    discuss(app, accepted, {"vision": GroupPosition.AGREE, "values": GroupPosition.MIXED})
    discuss(app, submitted, {"vision": GroupPosition.AGREE, "priority-1": None})
    discuss(app, draft, {"vision": GroupPosition.DISAGREE, "changes": GroupPosition.AGREE})
    discuss(app, withdrawn, {"take-part": GroupPosition.DISAGREE})
    discuss(app, in_review, {"vision": GroupPosition.NOT_UNDERSTOOD})
    state(app, accepted, "vision", "We want sport at school, said Amina from Room 4",
          status=SubmissionStatus.APPROVED, published="We want sport at school",
          share=ShareOfGroup.MOST)
    state(app, accepted, "values", "Pending words", status=SubmissionStatus.PENDING)
    state(app, accepted, "values", "Rejected words", status=SubmissionStatus.REJECTED)
    state(app, in_review, "vision", "Safeguarded words", status=SubmissionStatus.SAFEGUARDED)
    state(app, in_review, None, "Nothing about sleep", status=SubmissionStatus.APPROVED,
          published="Nothing about sleep", kind=StatementKind.QUESTION)
    state(app, draft, "changes", "Draft words", status=SubmissionStatus.PENDING)
    return {"north": north, "south": south}


def test_positions_count_sent_sessions_only(app: Flask, committees: dict[str, str]) -> None:
    with app.test_request_context():
        overview = committee_overview("en")
        assert overview is not None
        parts = {part.title: part for part in overview.parts}
        slugs = {part.section_id: part for part in overview.parts}
        vision = next(p for p in overview.parts if p.number == 2)
        rows = {row.committee.name: row for row in vision.positions}
        # North: two sent sessions agreed (the draft's "disagree" is not counted).
        assert rows["North committee"].counts == {
            GroupPosition.AGREE: 2, GroupPosition.MIXED: 0, GroupPosition.DISAGREE: 0,
            GroupPosition.NOT_UNDERSTOOD: 0}
        assert rows["South committee"].counts[GroupPosition.NOT_UNDERSTOOD] == 1
        assert vision.totals[GroupPosition.AGREE] == 2 and vision.totals[
            GroupPosition.DISAGREE] == 0
        priority = next(p for p in overview.parts if p.number == 4)
        [row] = priority.positions
        assert row.unrecorded == 1 and row.sessions == 1
        assert len(parts) == len(slugs) == 9


def test_coverage_of_the_plan(app: Flask, committees: dict[str, str]) -> None:
    with app.test_request_context():
        overview = committee_overview("en")
        assert overview is not None
        coverage = {row.committee.name: row for row in overview.coverage}
        assert coverage["North committee"].sessions == 2  # the draft is not sent
        assert [p.number for p in coverage["North committee"].parts] == [2, 3, 4]
        assert coverage["South committee"].sessions == 1  # withdrawn is not sent
        assert [p.number for p in coverage["South committee"].parts] == [2]
        # "changes" (a draft's only) and "take-part" (withdrawn) count as not discussed.
        assert [p.number for p in overview.uncovered] == [1, 5, 6, 7, 8, 9]


def test_only_approved_statements_and_only_their_published_text(
        app: Flask, committees: dict[str, str]) -> None:
    with app.test_request_context():
        overview = committee_overview("en")
        assert overview is not None
        texts = [s.text for part in overview.parts for s in part.statements]
        assert texts == ["We want sport at school"]
        [statement] = next(p for p in overview.parts if p.number == 2).statements
        assert statement.committee.name == "North committee"
        assert statement.share is ShareOfGroup.MOST
        assert [s.text for s in overview.missing] == ["Nothing about sleep"]
        assert overview.elsewhere == []


def test_the_page_shows_approved_content_to_organisers_only(
        app: Flask, committees: dict[str, str],
        staff_client: Callable[..., FlaskClient]) -> None:
    organiser = staff_client("org@example.org", Role.ORGANISER)
    page = organiser.get("/staff/committees/overview").get_data(as_text=True)
    assert "We want sport at school" in page and "Nothing about sleep" in page
    assert "who held this view: most of the children" in page.lower()
    for hidden in ("Amina", "Room 4", "Pending words", "Rejected words", "Safeguarded words",
                   "Draft words"):
        assert hidden not in page
    # Consent details are not on it, not even their headings.
    assert "consent" not in page.lower() and "present" not in page.lower()
    assert "Parts no committee discussed" in page
    assert staff_client("admin@example.org", Role.ADMIN).get(
        "/staff/committees/overview").status_code == 200
    for role in (Role.FACILITATOR, Role.SAFEGUARDING_LEAD):
        other = staff_client(f"{role.value}2@example.org", role)
        assert other.get("/staff/committees/overview").status_code == 403


def test_the_page_without_a_plan(app: Flask, staff_client: Callable[..., FlaskClient]) -> None:
    organiser = staff_client("org@example.org", Role.ORGANISER)
    response = organiser.get("/staff/committees/overview")
    assert response.status_code == 200
    assert "No plan is loaded yet." in response.get_data(as_text=True)
