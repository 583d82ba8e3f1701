"""The declarative base and the Flask-SQLAlchemy handle every domain's models share."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, Dialect, Enum, MetaData, event
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.types import TypeDecorator

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Timezone-aware UTC now; every timestamp in the database is UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every database (SQLite hands back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        stamp: datetime = value
        return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp


class RecordIsAppendOnly(Exception):
    """Raised when code tries to change or delete a record that may only grow."""


class AppendOnly:
    """Mixin: rows are inserted, never updated or deleted (audit log, concern entries)."""


class Undeletable:
    """Mixin: rows may change (a concern is closed) but are never deleted."""


@event.listens_for(Session, "before_flush")
def _refuse_rewriting_history(session: Session, flush_context: Any, instances: Any) -> None:
    for instance in session.dirty:
        if isinstance(instance, AppendOnly) and session.is_modified(instance):
            raise RecordIsAppendOnly(f"cannot change {instance!r}")
    for instance in session.deleted:
        if isinstance(instance, AppendOnly | Undeletable):
            raise RecordIsAppendOnly(f"cannot delete {instance!r}")


def string_enum(cls: type[enum.StrEnum], length: int = 16) -> Enum:
    """A Python enum stored as its string values (no database enum type: identical on SQLite
    and PostgreSQL, and new members need no migration)."""
    return Enum(
        cls,
        native_enum=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


db = SQLAlchemy(model_class=Base)


def render_migration_type(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Alembic hook: migrations spell UTCDateTime as plain sa.DateTime(timezone=True)."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False
