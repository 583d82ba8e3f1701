"""Staff accounts. Children never have one."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.db import TimestampMixin, Undeletable, UTCDateTime, db, string_enum, utcnow


class Role(enum.StrEnum):
    FACILITATOR = "facilitator"  # reviews ordinary and personal-details items
    SAFEGUARDING_LEAD = "safeguarding_lead"  # also urgent items and concerns
    ORGANISER = "organiser"  # reads approved feedback, exports
    ADMIN = "admin"  # accounts, settings, the audit log


class User(Undeletable, TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """A staff member. Never deleted (deactivated instead), so audit entries keep their author."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    # Base32 TOTP secret; None until the second factor is set up.
    totp_secret: Mapped[str | None] = mapped_column(String(64), default=None)
    # The last accepted TOTP time step: a code is never accepted twice.
    totp_last_step: Mapped[int | None] = mapped_column(Integer, default=None)
    # Wrong codes since the last right one; at the cap the second step locks for a while.
    totp_failures: Mapped[int] = mapped_column(Integer, default=0)
    totp_locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(row.role for row in self.role_rows)

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    # Flask-Login
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def attach_session(self, token: str) -> None:
        """Remember the staff session this request runs in (only its hash is ever stored)."""
        self._session_token = token

    @property
    def session_token(self) -> str | None:
        """The token of the staff session this request runs in, if any."""
        token: str | None = getattr(self, "_session_token", None)
        return token

    def get_id(self) -> str:
        """What Flask-Login keeps in the cookie: the session token, never the account id."""
        if self.session_token is None:
            raise RuntimeError("sign in through start_staff_session: no session token attached")
        return self.session_token

    def __repr__(self) -> str:
        return f"<User {self.id} {sorted(self.roles)}>"


class UserRole(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(string_enum(Role, length=32))

    user: Mapped[User] = relationship(back_populates="role_rows")

    def __repr__(self) -> str:
        return f"<UserRole {self.user_id} {self.role}>"


class StaffSession(db.Model):  # type: ignore[name-defined,misc]
    """A signed-in browser. The cookie holds a random token; this row holds its hash, so signing
    out (or an admin) ends the session on the server, and a copied cookie dies with it."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The absolute end, however active the person is.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    def __repr__(self) -> str:
        return f"<StaffSession {self.id} user={self.user_id}>"
