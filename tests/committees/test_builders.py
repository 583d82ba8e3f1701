"""The shared builders make rows the models accept, on both databases."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from participation.accounts.models import Role, User
from participation.committees.access import can_record_session, can_see_committee
from participation.committees.models import CommitteeSession
from participation.db import db
from participation.plans.content import PlanContent
from tests.committees.builders import make_committee, make_session
from tests.conftest import make_staff


def test_a_committee_and_its_session(app: Flask, demo_plan: PlanContent) -> None:
    runner = make_staff(app, "runner@example.org", Role.FACILITATOR)
    other = make_staff(app, "other@example.org", Role.FACILITATOR)
    organiser = make_staff(app, "org@example.org", Role.ORGANISER)
    committee = make_committee(app, facilitator_ids=(runner.id,))
    session_id = make_session(app, committee, runner.id)
    with app.app_context():
        session = db.session.scalars(select(CommitteeSession).where(
            CommitteeSession.public_id == session_id)).one()
        people = {a.email: db.session.get_one(User, a.id) for a in (runner, other, organiser)}
        assert can_record_session(people["runner@example.org"], session)
        assert not can_record_session(people["other@example.org"], session)
        assert not can_record_session(people["org@example.org"], session)
        assert can_see_committee(people["org@example.org"], session.committee)
        assert not can_see_committee(people["other@example.org"], session.committee)
