"""Staff account operations: create, authenticate (passphrase then TOTP), manage roles.

Passphrases are hashed with argon2id. A TOTP code is accepted once: the step it belongs to is
stored, and any code from that step or an earlier one is refused afterwards.
"""

from __future__ import annotations

import time

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select

from participation.accounts.models import Role, User, UserRole
from participation.audit.services import record_event
from participation.db import db, utcnow

MIN_PASSPHRASE_LENGTH = 15
TOTP_ISSUER = "participation"
_hasher = PasswordHasher()
# Verified against when the email is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash("not a real passphrase, only here to spend the same time")


class AccountError(Exception):
    """A refused account operation; ``code`` picks the message shown to staff."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(code)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def check_passphrase_strength(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise AccountError("passphrase_too_short")


def create_user(
    email: str, passphrase: str, roles: list[Role], *, actor_id: int | None, with_totp: bool
) -> User:
    """A new staff account; with ``with_totp`` a TOTP secret is generated for enrolment."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise AccountError("bad_email")
    if not roles:
        raise AccountError("no_role")
    check_passphrase_strength(passphrase)
    if db.session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise AccountError("email_taken")
    user = User(email=email, password_hash=_hasher.hash(passphrase))
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
    user = find_user(email)
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, passphrase)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.is_active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(passphrase)
    return user


def check_totp(user: User, code: str, *, now: float | None = None) -> bool:
    """Accept a 6-digit code from the current step (or one step either side), once only."""
    if user.totp_secret is None:
        return False
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return False
    totp = pyotp.TOTP(user.totp_secret)
    now = time.time() if now is None else now
    current = int(now) // totp.interval
    for step in (current - 1, current, current + 1):
        if totp.at(step * totp.interval) == code:
            if user.totp_last_step is not None and step <= user.totp_last_step:
                return False  # already used (or older than one used): a replayed code
            user.totp_last_step = step
            return True
    return False


def record_login(user: User) -> None:
    user.last_login_at = utcnow()
    record_event("auth.login", actor_id=user.id, object_type="user", object_id=user.id)


def record_failed_login(user: User | None, reason: str) -> None:
    """Logged without the email typed (it may be a mistyped passphrase or someone else's)."""
    record_event(
        "auth.login_failed", actor_id=None,
        object_type="user" if user else None, object_id=user.id if user else None,
        details={"reason": reason},
    )


def set_roles(user: User, roles: list[Role], *, actor_id: int) -> None:
    if not roles:
        raise AccountError("no_role")
    before = sorted(r.value for r in user.roles)
    user.role_rows = [UserRole(role=role) for role in sorted(set(roles))]
    record_event(
        "account.roles_changed", actor_id=actor_id, object_type="user", object_id=user.id,
        details={"before": before, "after": sorted(r.value for r in set(roles))},
    )


def deactivate_user(user: User, *, actor_id: int) -> None:
    """Close the account and end every session it has."""
    user.is_active = False
    user.session_version += 1
    record_event("account.deactivated", actor_id=actor_id, object_type="user", object_id=user.id)


def reset_second_factor(user: User, *, actor_id: int) -> None:
    """A new TOTP secret (to enrol again) and every session ended."""
    user.totp_secret = pyotp.random_base32()
    user.totp_last_step = None
    user.session_version += 1
    record_event("account.totp_reset", actor_id=actor_id, object_type="user", object_id=user.id)
