"""Staff account operations: create, authenticate (passphrase then TOTP), sessions, roles.

Passphrases are hashed with argon2id (cost from the settings). A TOTP code is accepted once:
accepting it is a conditional UPDATE of the step it belongs to, so of two requests racing with
one code exactly one wins. Each code attempt is first reserved with a conditional UPDATE of the
failure count, so no burst of requests gets more than ``TOTP_MAX_FAILURES`` codes evaluated.

A signed-in browser is a :class:`StaffSession` row: the cookie holds a random token, the row
only its SHA-256, so signing out, deactivation, a second-factor reset or a role change ends the
session on the server, and a copied cookie dies with it.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import secrets
import time
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import CursorResult, and_, case, func, or_, select, update

from participation.accounts.models import Role, StaffSession, User, UserRole
from participation.audit.services import record_event
from participation.db import db, utcnow

MIN_PASSPHRASE_LENGTH = 15
TOTP_ISSUER = "participation"
# Wrong codes in a row before the second step pauses (STAFF_TOTP_LOCK_MINUTES).
TOTP_MAX_FAILURES = 5
# last_seen_at is written at most this often per session, not on every request.
SESSION_TOUCH_SECONDS = 60


@cache
def _email_validator() -> Any:
    """email-validator, imported on first use (not on every start-up). Demo and benchmark
    accounts use the reserved .invalid domain, which can never receive mail; the library
    documents its special-use list as the way to allow such a domain."""
    import email_validator

    if "invalid" in email_validator.SPECIAL_USE_DOMAIN_NAMES:
        email_validator.SPECIAL_USE_DOMAIN_NAMES.remove("invalid")
    return email_validator

# Characters that never belong in an address: controls (line breaks, NUL), invisible format
# characters and the Unicode line and paragraph separators.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


class AccountError(Exception):
    """A refused account operation; ``code`` picks the message shown to staff."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(code)


class TotpOutcome(enum.StrEnum):
    ACCEPTED = "accepted"
    WRONG = "wrong"  # evaluated: not valid now, or already used
    LOCKED_NOW = "locked_now"  # evaluated, wrong, and the attempt that reached the cap
    LOCKED = "locked"  # refused without looking at the code: the second step is paused


# Passphrases ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _hasher(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


@functools.lru_cache(maxsize=4)
def _dummy_hash(hasher: PasswordHasher) -> str:
    """Verified against when the email is unknown, so both cases take the same time."""
    return hasher.hash("not a real passphrase, only here to spend the same time")


def password_hasher() -> PasswordHasher:
    """The argon2id hasher at the cost this deployment sets (tests set a cheap one)."""
    config = current_app.config
    return _hasher(config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST"],
                   config["ARGON2_PARALLELISM"])


def check_passphrase_strength(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise AccountError("passphrase_too_short")


# Accounts ------------------------------------------------------------------------------------


def normalise_email(email: str) -> str:
    return unicodedata.normalize("NFC", email.strip()).lower()


def has_forbidden_characters(value: str) -> bool:
    """A line break, NUL or any other control or invisible character."""
    return any(unicodedata.category(char) in _FORBIDDEN_CATEGORIES for char in value)


def check_new_email(email: str) -> str:
    """The address to store for a new account, or AccountError: control characters first (the
    clearest message), then syntax. Existing addresses are never re-checked."""
    if has_forbidden_characters(email):
        raise AccountError("email_control")
    validator = _email_validator()
    try:
        validator.validate_email(email.strip(), check_deliverability=False)
    except validator.EmailNotValidError as exc:
        raise AccountError("bad_email") from exc
    return normalise_email(email)


def find_user(email: str) -> User | None:
    if "\x00" in email:  # PostgreSQL refuses NUL in text; no account can have one
        return None
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(
    email: str, passphrase: str, roles: list[Role], *, actor_id: int | None, with_totp: bool
) -> User:
    """A new staff account; with ``with_totp`` a TOTP secret is generated for enrolment."""
    email = check_new_email(email)
    if not roles:
        raise AccountError("no_role")
    check_passphrase_strength(passphrase)
    if db.session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise AccountError("email_taken")
    user = User(email=email, password_hash=password_hasher().hash(passphrase))
    user.totp_secret = pyotp.random_base32() if with_totp else None
    user.role_rows = [UserRole(role=role) for role in sorted(set(roles))]
    db.session.add(user)
    db.session.flush()
    record_event(
        "account.created", actor_id=actor_id, object_type="user", object_id=user.id,
        details={"roles": sorted(r.value for r in set(roles)), "totp": with_totp},
    )
    return user


def totp_uri(user: User) -> str:
    """The otpauth:// URI an authenticator app scans."""
    if user.totp_secret is None:
        raise AccountError("no_totp")
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=TOTP_ISSUER)


def check_passphrase(email: str, passphrase: str) -> User | None:
    """The active user with this email and passphrase, or None (same time either way)."""
    hasher = password_hasher()
    user = find_user(email)
    try:
        hasher.verify(user.password_hash if user else _dummy_hash(hasher), passphrase)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.is_active:
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(passphrase)
    return user


# Second factor -------------------------------------------------------------------------------


def _rowcount(result: Any) -> int:
    return result.rowcount if isinstance(result, CursorResult) else 0


def _matching_step(secret: str | None, code: str, now: float) -> int | None:
    """The time step (current or one either side) whose code this is, or None."""
    if secret is None:
        return None
    code = code.strip().replace(" ", "")
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = int(now) // totp.interval
    for step in (current - 1, current, current + 1):
        if secrets.compare_digest(totp.at(step * totp.interval), code):
            return step
    return None


def _reserve_code_attempt(user_id: int, moment: datetime, lock_until: datetime) -> bool:
    """Count this attempt before the code is looked at; False when the second step is paused.

    One conditional UPDATE: it matches only while fewer than TOTP_MAX_FAILURES attempts are
    counted and no lock is running (an expired lock starts the count again). The attempt that
    reaches the cap sets the lock in the same statement; a right code then lifts it.
    """
    expired = and_(User.totp_locked_until.is_not(None), User.totp_locked_until <= moment)
    count = case((expired, 1), else_=User.totp_failures + 1)
    result = db.session.execute(
        update(User)
        .where(
            User.id == user_id,
            or_(expired, and_(User.totp_locked_until.is_(None),
                              User.totp_failures < TOTP_MAX_FAILURES)),
        )
        .values(
            totp_failures=count,
            totp_locked_until=case((count >= TOTP_MAX_FAILURES, lock_until), else_=None),
        )
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


def _accept_step(user_id: int, step: int) -> bool:
    """Claim the step; of two requests with one code, exactly one matches this UPDATE."""
    result = db.session.execute(
        update(User)
        .where(User.id == user_id,
               or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step, totp_failures=0, totp_locked_until=None)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


def verify_second_factor(
    user: User, code: str, *, lock_minutes: int, now: float | None = None
) -> TotpOutcome:
    """Check a code from the authenticator app: reserved first, accepted once, capped.

    Every refusal is in the audit log (without the code); the attempt that reaches the cap
    records ``auth.totp_locked``. The caller commits.
    """
    now = time.time() if now is None else now
    moment = datetime.fromtimestamp(now, UTC)
    lock_until = moment + timedelta(minutes=lock_minutes)
    try:
        if not _reserve_code_attempt(user.id, moment, lock_until):
            record_failed_login(user, "totp_locked")
            return TotpOutcome.LOCKED
        step = _matching_step(user.totp_secret, code, now)
        if step is not None and _accept_step(user.id, step):
            return TotpOutcome.ACCEPTED
        record_failed_login(user, "totp" if step is None else "totp_reused")
        failures = db.session.scalar(select(User.totp_failures).where(User.id == user.id))
        if (failures or 0) >= TOTP_MAX_FAILURES:
            record_event("auth.totp_locked", actor_id=None, object_type="user",
                         object_id=user.id, details={"minutes": lock_minutes})
            return TotpOutcome.LOCKED_NOW
        return TotpOutcome.WRONG
    finally:
        db.session.expire(user, ["totp_failures", "totp_locked_until", "totp_last_step"])


# Staff sessions ------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class ActiveSession:
    """What a person sees of their own sessions: never an address or a browser string."""

    id: int
    created_at: datetime
    last_seen_at: datetime
    is_this_browser: bool


def start_staff_session(user: User, *, max_hours: int) -> str:
    """A new signed-in browser; returns the token for the cookie (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(StaffSession(
        token_hash=_token_hash(token), user_id=user.id, created_at=now, last_seen_at=now,
        expires_at=now + timedelta(hours=max_hours),
    ))
    user.attach_session(token)
    user.last_login_at = now
    record_event("auth.login", actor_id=user.id, object_type="user", object_id=user.id)
    return token


def _live(now: datetime, idle: timedelta) -> Any:
    return and_(StaffSession.revoked_at.is_(None), StaffSession.expires_at > now,
                StaffSession.last_seen_at > now - idle)


def resume_staff_session(token: str, *, idle: timedelta) -> tuple[User, bool] | None:
    """The active person behind a session token, and whether last_seen_at was refreshed.

    None when the row is missing, revoked, past its absolute end or idle too long, or the
    account is closed. last_seen_at moves at most once a SESSION_TOUCH_SECONDS, with a
    conditional UPDATE (so two tabs refresh it once); the caller commits when it moved.
    """
    now = utcnow()
    found = db.session.execute(
        select(StaffSession.id, StaffSession.last_seen_at, User)
        .join(User, User.id == StaffSession.user_id)
        .where(StaffSession.token_hash == _token_hash(token), _live(now, idle),
               User.is_active.is_(True))
    ).first()
    if found is None:
        return None
    session_id, last_seen_at, user = found
    touched = False
    stale = now - timedelta(seconds=SESSION_TOUCH_SECONDS)
    if last_seen_at <= stale:
        touched = _rowcount(db.session.execute(
            update(StaffSession)
            .where(StaffSession.id == session_id, StaffSession.last_seen_at <= stale)
            .values(last_seen_at=now)
            .execution_options(synchronize_session=False)
        )) == 1
    user.attach_session(token)
    return user, touched


def end_staff_session(token: str, *, reason: str) -> None:
    """Sign out: the session ends on the server, so a copy of the cookie stops working too."""
    user_id = db.session.scalar(
        select(StaffSession.user_id)
        .where(StaffSession.token_hash == _token_hash(token), StaffSession.revoked_at.is_(None))
    )
    if user_id is None:
        return
    db.session.execute(
        update(StaffSession)
        .where(StaffSession.token_hash == _token_hash(token), StaffSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    record_event("auth.logout", actor_id=user_id, object_type="user", object_id=user_id,
                 details={"reason": reason})


def end_sessions(user: User, *, actor_id: int | None, reason: str,
                 keep_token: str | None = None) -> int:
    """End every session of an account (but ``keep_token``'s); logged with how many ended."""
    query = (
        update(StaffSession)
        .where(StaffSession.user_id == user.id, StaffSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if keep_token is not None:
        query = query.where(StaffSession.token_hash != _token_hash(keep_token))
    ended = _rowcount(db.session.execute(query))
    record_event("auth.sessions_ended", actor_id=actor_id, object_type="user",
                 object_id=user.id, details={"reason": reason, "count": ended})
    return ended


def list_active_sessions(user: User, *, idle: timedelta) -> list[ActiveSession]:
    """This person's live sessions, newest first, with the current browser marked."""
    now = utcnow()
    current = _token_hash(user.session_token) if user.session_token else None
    rows = db.session.execute(
        select(StaffSession.id, StaffSession.token_hash, StaffSession.created_at,
               StaffSession.last_seen_at)
        .where(StaffSession.user_id == user.id, _live(now, idle))
        .order_by(StaffSession.created_at.desc(), StaffSession.id.desc())
    ).all()
    return [ActiveSession(row.id, row.created_at, row.last_seen_at, row.token_hash == current)
            for row in rows]


# Audit and administration --------------------------------------------------------------------


def record_failed_login(user: User | None, reason: str) -> None:
    """Logged without the email typed (it may be a mistyped passphrase or someone else's)."""
    record_event(
        "auth.login_failed", actor_id=None,
        object_type="user" if user else None, object_id=user.id if user else None,
        details={"reason": reason},
    )


def set_roles(user: User, roles: list[Role], *, actor_id: int) -> None:
    """New roles; a change ends every session of the account, so it takes effect at once."""
    if not roles:
        raise AccountError("no_role")
    before = sorted(r.value for r in user.roles)
    after = sorted(r.value for r in set(roles))
    if before == after:
        return
    # Rows of kept roles stay (a new row for the same role would be inserted before the old
    # one is deleted, and break the unique constraint).
    kept = [row for row in user.role_rows if row.role in set(roles)]
    user.role_rows = kept + [UserRole(role=role) for role in sorted(set(roles) - user.roles)]
    record_event(
        "account.roles_changed", actor_id=actor_id, object_type="user", object_id=user.id,
        details={"before": before, "after": after},
    )
    end_sessions(user, actor_id=actor_id, reason="roles_changed")


def deactivate_user(user: User, *, actor_id: int | None) -> None:
    """Close the account and end every session it has."""
    if actor_id is not None and user.id == actor_id:
        raise AccountError("not_yourself")
    user.is_active = False
    record_event("account.deactivated", actor_id=actor_id, object_type="user", object_id=user.id)
    end_sessions(user, actor_id=actor_id, reason="deactivated")


def reset_second_factor(user: User, *, actor_id: int | None) -> None:
    """A new TOTP secret (to enrol again), no lock left, and every session ended."""
    user.totp_secret = pyotp.random_base32()
    user.totp_last_step = None
    user.totp_failures = 0
    user.totp_locked_until = None
    record_event("account.totp_reset", actor_id=actor_id, object_type="user", object_id=user.id)
    end_sessions(user, actor_id=actor_id, reason="totp_reset")
