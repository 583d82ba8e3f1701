"""The declarative base and the Flask-SQLAlchemy handle every domain's models share."""

from __future__ import annotations

import enum
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import cache
from typing import Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, Dialect, Engine, Enum, MetaData, event
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


# Every wait on the database ends well before gunicorn's 30-second worker timeout, so a locked
# table, a frozen server or a full connection pool gives children the kind "try again" page
# (with their words) instead of a killed worker.
CONNECT_TIMEOUT_SECONDS = 4
POOL_TIMEOUT_SECONDS = 5
LOCK_TIMEOUT_MS = 4_000
STATEMENT_TIMEOUT_MS = 8_000
IDLE_IN_TRANSACTION_TIMEOUT_MS = 30_000
# Client side: longer than the server's statement timeout, for a server that stopped answering.
CLIENT_WAIT_SECONDS = 10.0
# All the waits of one request together (a frozen server would otherwise cost each statement
# its own CLIENT_WAIT_SECONDS): the request answers well inside gunicorn's 30 seconds.
REQUEST_WAIT_BUDGET_SECONDS = 18.0
SQLITE_BUSY_TIMEOUT_SECONDS = 5


def engine_options(url: str) -> dict[str, Any]:
    """Pool and timeout settings for the database behind ``url``.

    ``pool_pre_ping`` replaces a connection that died (a restarted server) before a request
    uses it. Statement parameters are never written into error messages: they are children's
    words, concern notes and typed e-mail addresses.
    """
    options: dict[str, Any] = {"hide_parameters": True, "pool_pre_ping": True}
    if url.startswith("postgresql"):
        server = (
            f"-c lock_timeout={LOCK_TIMEOUT_MS} -c statement_timeout={STATEMENT_TIMEOUT_MS} "
            f"-c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_TIMEOUT_MS}"
        )
        options["connect_args"] = {
            "connect_timeout": CONNECT_TIMEOUT_SECONDS,
            "options": server,
            "application_name": "participation",
        }
        options["pool_timeout"] = POOL_TIMEOUT_SECONDS
    elif url.startswith("sqlite"):
        options["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
    return options


_LONG_STATEMENTS: ContextVar[bool] = ContextVar("long_statements", default=False)
_WAIT_DEADLINE: ContextVar[float | None] = ContextVar("database_wait_deadline", default=None)


def start_request_budget() -> None:
    """Before each request: its database waits may add up to REQUEST_WAIT_BUDGET_SECONDS."""
    _WAIT_DEADLINE.set(time.monotonic() + REQUEST_WAIT_BUDGET_SECONDS)


def end_request_budget(*args: Any) -> None:
    _WAIT_DEADLINE.set(None)


def _wait_limit() -> float | None:
    """How long the next wait for the server may last (None: as long as it takes)."""
    if _LONG_STATEMENTS.get():
        return None
    deadline = _WAIT_DEADLINE.get()
    if deadline is None:
        return CLIENT_WAIT_SECONDS
    return min(CLIENT_WAIT_SECONDS, deadline - time.monotonic())


@contextmanager
def long_statements() -> Iterator[None]:
    """Maintenance work (bulk loads, large purges) may wait on the server as long as it needs.

    Lifts the client-side bound in this block; on PostgreSQL also run
    ``SET LOCAL statement_timeout = 0`` in each transaction that needs it.
    """
    token = _LONG_STATEMENTS.set(True)
    try:
        yield
    finally:
        _LONG_STATEMENTS.reset(token)


@cache
def bounded_connection_class() -> Any:
    """psycopg's Connection, giving up on a server that stops answering.

    The server's statement timeout covers slow queries, but not a server (or a network path)
    that froze: the client would wait forever. After CLIENT_WAIT_SECONDS the connection is
    closed, so SQLAlchemy sees a disconnect and never hands it out again. Built on first use:
    an app on SQLite never imports psycopg.
    """
    import psycopg

    class BoundedWaitConnection(psycopg.Connection[Any]):
        def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
            if timeout is None:
                timeout = _wait_limit()
                if timeout is not None and timeout <= 0:
                    self.pgconn.finish()  # the request already waited all it may
                    raise psycopg.OperationalError("no time left to wait for the database")
            try:
                return super().wait(gen, interval, timeout)
            except psycopg.errors._WaitTimeout:  # psycopg's own "no answer in time" signal
                self.pgconn.finish()
                raise psycopg.OperationalError("the database did not answer in time") from None

    return BoundedWaitConnection


@event.listens_for(Engine, "do_connect")
def _bounded_postgres_connection(
    dialect: Dialect, conn_rec: Any, cargs: tuple[Any, ...], cparams: dict[str, Any]
) -> Any:
    """PostgreSQL connections bound their waits; other databases connect as usual."""
    if dialect.name != "postgresql":
        return None
    return bounded_connection_class().connect(*cargs, **cparams)


def insert_unless_exists(model: Any, values: dict[str, Any], *,
                         unique: list[str] | None) -> int | None:
    """``INSERT ... ON CONFLICT (unique) DO NOTHING RETURNING id`` in the caller's transaction:
    the new row's id, or None when a row with the same unique values exists (a race lost).
    ``unique=None``: a conflict on any unique column or constraint.

    One statement instead of a savepoint around an INSERT: cheaper, and on SQLite the driver
    commits a savepoint opened before any other write, which would break "one commit per
    request" (the row would be stored even if the rest of the request failed). The statement
    is built once per table and columns; each call only binds its values.
    """
    dialect = db.session.get_bind().dialect.name
    statement = _insert_statement(model.__table__, dialect,
                                  tuple(unique) if unique is not None else None)
    new_id: int | None = db.session.execute(statement, values).scalar()
    return new_id


@cache
def _insert_statement(table: Any, dialect: str, unique: tuple[str, ...] | None) -> Any:
    from sqlalchemy.dialects import postgresql, sqlite  # on first use

    make_insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    elements = list(unique) if unique is not None else None
    return make_insert(table).on_conflict_do_nothing(index_elements=elements).returning(
        table.c.id
    )


def reset_session() -> None:
    """Roll back after a failed statement; close instead if the connection itself is gone."""
    try:
        db.session.rollback()
    except Exception:  # a dead connection must not hide the first error
        db.session.close()


def render_migration_type(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Alembic hook: migrations spell UTCDateTime as plain sa.DateTime(timezone=True)."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False
