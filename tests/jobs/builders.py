"""Builders shared by the job and alert tests: leads, urgent ideas, outbox rows."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from participation.accounts.models import Role, User
from participation.accounts.services import create_user
from participation.db import db
from participation.jobs.models import OutboxMessage
from tests.feedback.helpers import Child

PASSPHRASE = "a long and calm passphrase"
URGENT_WORDS = "my dad hits me and I am scared"


def make_lead(app: Flask, email: str, *, stored_as: str | None = None,
              role: Role = Role.SAFEGUARDING_LEAD) -> int:
    """A safeguarding lead (or ``role``); ``stored_as`` overwrites the address as an old row
    might hold it (today's sign-up checks would refuse it)."""
    with app.app_context():
        user = create_user(email, PASSPHRASE, [role], actor_id=None, with_totp=False)
        db.session.commit()
        if stored_as is not None:
            db.session.execute(update(User).where(User.id == user.id).values(email=stored_as))
            db.session.commit()
        return user.id


def send_urgent(client: FlaskClient, words: str = URGENT_WORDS) -> str:
    """A child sends an idea screening marks urgent; returns its public id."""
    child = Child(client)
    response = child.send("values", words)
    assert response.status_code == 302, response.status_code
    return child.sent_id(response)


def outbox(app: Flask) -> list[OutboxMessage]:
    with app.app_context():
        messages = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        db.session.expunge_all()
        return messages
