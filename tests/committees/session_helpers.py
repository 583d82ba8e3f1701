"""Helpers for the session recorder's tests: a facilitator signed in with a committee, and a
session brought to a given step through the services (each step as the facilitator does it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from participation.accounts.models import Role, User
from participation.committees.models import (
    CommitteeSession,
    ShareOfGroup,
    StatementKind,
    StatementVoice,
)
from participation.committees.sessions import (
    ConsentRecord,
    StatementInput,
    add_statement,
    find_session,
    prepare_session,
    record_attestation,
    record_consent,
    record_read_back,
)
from participation.db import db
from participation.plans.models import Section
from tests.committees.builders import make_committee, make_session
from tests.conftest import CSRF_RE, StaffAccount, make_staff, sign_in

FUTURE = date.today() + timedelta(days=365)
BASE = "/staff/committee-sessions"


def token(page: str) -> str:
    """The CSRF token of the first form in a page's HTML."""
    match = CSRF_RE.search(page)
    assert match, "no form on the page"
    return match.group(1)


@dataclass(frozen=True)
class Recorder:
    """A facilitator who runs a committee, signed in, and that committee's public id."""

    account: StaffAccount
    client: FlaskClient
    committee: str


def recorder(app: Flask, email: str = "fac@example.org", *,
             locales: tuple[str, ...] = ("fr", "en")) -> Recorder:
    account = make_staff(app, email, Role.FACILITATOR)
    committee = make_committee(app, facilitator_ids=(account.id,), locales=locales)
    client = app.test_client()
    response = sign_in(client, email, totp_secret=account.totp_secret)
    assert response.status_code == 302
    return Recorder(account, client, committee)


def signed_in(app: Flask, email: str, *roles: Role) -> tuple[StaffAccount, FlaskClient]:
    account = make_staff(app, email, *roles)
    client = app.test_client()
    assert sign_in(client, email, totp_secret=account.totp_secret).status_code == 302
    return account, client


def sections(app: Flask, count: int = 2) -> list[int]:
    """The first ``count`` live parts of the newest plan."""
    with app.app_context():
        ids = db.session.scalars(select(Section.id).where(Section.retired_at.is_(None))
                                 .order_by(Section.plan_id.desc(), Section.position)).all()
        return list(ids[:count])


def consent_record(children: int = 6, **changes: object) -> ConsentRecord:
    values: dict[str, object] = {
        "children_present": children, "aged_8_10": 2, "aged_11_13": children - 3,
        "aged_14_17": 1, "guardian_consents": children, "child_assents": children,
        "may_quote": True, "may_photograph_work": True,
        "paper_forms_kept_at": "Locked cabinet, regional office",
        "paper_forms_kept_until": FUTURE,
    }
    values.update(changes)
    return ConsentRecord(**values)  # type: ignore[arg-type]


def session_at(app: Flask, who: Recorder, step: str, *, locale: str = "fr",
               statements: tuple[str, ...] = ("Nous voulons des parcs plus sûrs.",),
               methods: tuple[str, ...] = ("discussion", "show_of_hands")) -> str:
    """A session of ``who``'s committee, brought up to ``step`` (prepared, consented,
    statements, checked, attested) through the services; returns its public id."""
    public_id = make_session(app, who.committee, who.account.id, locale=locale)
    order = ["prepared", "consented", "statements", "checked", "attested"]
    wanted = order[: order.index(step) + 1]
    parts = sections(app)
    with app.app_context():
        session = find_session(public_id)
        assert session is not None
        user = db.session.get_one(User, who.account.id)
        if "prepared" in wanted:
            prepare_session(session, user, section_ids=parts, locale=locale,
                            methods=list(methods))
        if "consented" in wanted:
            record_consent(session, user, consent_record(), today=date.today())
        if "statements" in wanted:
            for index, body in enumerate(statements):
                add_statement(session, user, StatementInput(
                    section_id=parts[index % len(parts)] if index < len(parts) else None,
                    kind=StatementKind.RECOMMENDATION, voice=StatementVoice.OWN_WORDS,
                    share=ShareOfGroup.MOST, body=body))
        if "attested" in wanted:
            record_attestation(session, user, account="It went well; everyone spoke.",
                               all_could_speak=True, not_told_what_to_say=True)
        if "checked" in wanted:
            record_read_back(session, user, corrected=False)
        db.session.commit()
    return public_id


def load(app: Flask, public_id: str) -> CommitteeSession:
    """The session as stored now (call inside an app context)."""
    session = find_session(public_id)
    assert session is not None
    db.session.refresh(session)
    return session
