"""The anonymous child: a token in the session cookie, stored only as an HMAC.

The token is made the first time a child reacts or writes, from the session's CSRF secret
(which every form page puts in the cookie): two first sends racing each other (a double tap)
carry the same cookie, so they make the same child, and the second finds the first's idea
instead of becoming a second child who cannot see it. "I'm finished" and the idle timeout
clear the session, so the next child on a shared tablet starts with nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

from flask import current_app, session

from participation.auth import SIGN_IN_SESSION_KEYS
from participation.feedback.models import AgeBand

CHILD_KEY = "child"
SEEN_KEY = "seen"
AGE_BAND_KEY = "age_band"
CODES_KEY = "codes"
# Idea codes kept for "my ideas" while the tablet remembers the child: the newest ones only,
# so the session cookie stays far below the browsers' 4 KB (a child may send 40 in an hour).
MAX_REMEMBERED_CODES = 20


def token_hash(token: str, *, secret: str | None = None) -> str:
    """HMAC-SHA256 of the token with the app's secret (or an older ``secret``, to find what
    was stored before a key rotation): the only form the database ever sees."""
    key = (secret or current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()


def _new_token() -> str:
    """Derived from the session's CSRF secret when there is one (so racing first requests
    agree), random otherwise. The secret is random and lives only in this cookie."""
    # Flask-WTF keeps the raw secret in the session under the CSRF field's name.
    csrf_secret = session.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
    if not isinstance(csrf_secret, str):
        return secrets.token_urlsafe(32)
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, b"child-token:" + csrf_secret.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def current_child_hash(*, create: bool = False) -> str | None:
    """The hash of this browser's child token; with ``create``, make a token if there is none."""
    token = session.get(CHILD_KEY)
    if token is None and create:
        token = session[CHILD_KEY] = _new_token()
        session[SEEN_KEY] = int(time.time())
    return token_hash(token) if token else None


def expire_idle_child() -> None:
    """Forget the child when the tablet has been idle too long (before each request)."""
    if CHILD_KEY not in session:
        return
    now = int(time.time())
    idle = current_app.config["CHILD_IDLE_SECONDS"]
    seen = int(session.get(SEEN_KEY, now))
    if now - seen > idle:
        session.clear()
    elif now - seen >= 30:  # refresh now and then, not on every request
        session[SEEN_KEY] = now


def forget_child() -> bool:
    """Clear everything the session holds about the child; True if a staff sign-in in this
    browser was kept (a reviewer who previewed children's pages stays signed in, but their
    CSRF secret goes too, so the next child can never be given the same child token)."""
    kept = {key: session[key] for key in SIGN_IN_SESSION_KEYS if key in session}
    session.clear()
    session.update(kept)
    return bool(kept)


def remember_age_band(age_band: AgeBand | None) -> None:
    """Keep the child's last age answer for their next form (in their session only).

    The session is only touched when the answer changes: an unchanged session is not signed
    and sent back again (a sizeable part of each send's cost).
    """
    value = age_band.value if age_band is not None else None
    if session.get(AGE_BAND_KEY) == value:
        return
    if value is None:
        session.pop(AGE_BAND_KEY, None)
    else:
        session[AGE_BAND_KEY] = value


def remembered_age_band() -> str | None:
    value = session.get(AGE_BAND_KEY)
    return value if value in {band.value for band in AgeBand} else None


def remembered_age_band_enum() -> AgeBand | None:
    value = remembered_age_band()
    return AgeBand(value) if value else None


def remember_idea_code(public_id: str, code: str) -> None:
    """Keep an idea's code in this child's session, to show it again in "my ideas"; it goes
    with the rest of the session at "I'm finished" or after the idle timeout."""
    codes = dict(session.get(CODES_KEY) or {})
    codes.pop(public_id, None)
    codes[public_id] = code
    session[CODES_KEY] = dict(list(codes.items())[-MAX_REMEMBERED_CODES:])


def remembered_idea_code(public_id: str) -> str | None:
    """The code this tablet was shown for the idea, while it remembers the child."""
    code = (session.get(CODES_KEY) or {}).get(public_id)
    return code if isinstance(code, str) else None
