"""A child at a tablet, over HTTP: reads pages, reacts and sends ideas like the browser would;
and builders for what adults then do with an idea (approve, reject, keep from sharing)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from participation.accounts.models import Role, User
from participation.db import db, utcnow
from participation.feedback.models import RejectionReason, Submission
from participation.moderation.services import (
    approve_submission,
    keep_from_sharing,
    reject_submission,
)
from tests.conftest import make_staff

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
KEY_RE = re.compile(r'name="idempotency_key" value="([^"]+)"')


class Child:
    def __init__(self, client: FlaskClient, locale: str = "en") -> None:
        self.client = client
        # What a browser says of a request made by a page of the same site.
        client.environ_base["HTTP_SEC_FETCH_SITE"] = "same-origin"
        self.locale = locale
        self.page = ""

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        response = self.client.get(path, **kwargs)
        self.page = response.get_data(as_text=True)
        return response

    def open_part(self, slug: str) -> TestResponse:
        return self.get(f"/{self.locale}/plan/{slug}")

    @property
    def csrf(self) -> str:
        match = CSRF_RE.search(self.page)
        assert match, "no CSRF token on the page"
        return match.group(1)

    @property
    def key(self) -> str:
        match = KEY_RE.search(self.page)
        assert match, "no idempotency key on the page"
        return match.group(1)

    def react(self, slug: str, kind: str) -> TestResponse:
        self.open_part(slug)
        return self.client.post(
            f"/{self.locale}/plan/{slug}/reaction", data={"csrf_token": self.csrf, "reaction": kind}
        )

    def send(self, slug: str | None, text: str, *, age_band: str | None = None,
             key: str | None = None, csrf: str | None = None) -> TestResponse:
        """Open the page with the form, then press Send (as a browser would)."""
        if slug is None:
            self.get(f"/{self.locale}/missing")
            url = f"/{self.locale}/missing"
        else:
            self.open_part(slug)
            url = f"/{self.locale}/plan/{slug}/ideas"
        data = {"csrf_token": csrf if csrf is not None else self.csrf,
                "idempotency_key": key or self.key, "body": text}
        if age_band is not None:
            data["age_band"] = age_band
        response = self.client.post(url, data=data)
        self.page = response.get_data(as_text=True)
        return response

    def sent_id(self, response: TestResponse) -> str:
        match = re.search(r"/ideas/([0-9a-f]{32})/sent$", response.headers.get("Location", ""))
        assert match, response.status
        return match.group(1)


CODE_RE = re.compile(r'<ol class="idea-code"[^>]*>(.*?)</ol>', re.S)


def idea_code_on(page: str) -> str | None:
    """The four words of the idea code shown on a confirmation page, or None."""
    match = CODE_RE.search(page)
    return " ".join(re.findall(r"<li>([^<]+)</li>", match.group(1))) if match else None


def _staff_user(app: Flask, email: str, role: Role) -> User:
    user: User | None = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        make_staff(app, email, role, with_totp=False)
        user = db.session.scalar(select(User).where(User.email == email))
    assert user is not None
    return user


def _held_by(app: Flask, public_id: str, email: str, role: Role) -> tuple[Submission, User]:
    """The item, claimed for ``email`` (as "review next" would) so a decision can be taken."""
    user = _staff_user(app, email, role)
    item = db.session.scalars(select(Submission).where(Submission.public_id == public_id)).one()
    item.claimed_by_id, item.claim_expires_at = user.id, utcnow() + timedelta(minutes=10)
    db.session.flush()
    return item, user


def approve(app: Flask, public_id: str, published_text: str | None = None) -> None:
    """Builder: a facilitator approves the idea, as written or in an edited version."""
    with app.app_context():
        item, user = _held_by(app, public_id, "reviewer@example.org", Role.FACILITATOR)
        approve_submission(item, user, published_text=published_text)
        db.session.commit()


def reject(app: Flask, public_id: str, reason: RejectionReason) -> None:
    """Builder: a facilitator decides not to share the idea, with a reason."""
    with app.app_context():
        item, user = _held_by(app, public_id, "reviewer@example.org", Role.FACILITATOR)
        reject_submission(item, user, reason)
        db.session.commit()


def keep_safe(app: Flask, public_id: str) -> None:
    """Builder: a safeguarding lead keeps a possible disclosure from sharing."""
    with app.app_context():
        user = _staff_user(app, "lead@example.org", Role.SAFEGUARDING_LEAD)
        item = db.session.scalars(
            select(Submission).where(Submission.public_id == public_id)).one()
        keep_from_sharing(item, user)
        db.session.commit()
