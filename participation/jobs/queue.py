"""The Huey queue behind the outbox: built from JOBS_URL, nudged after commits, never trusted.

The outbox table is the source of truth. Huey only carries "dispatch now" nudges from the web
process to the worker and runs the periodic tasks (dispatch every minute, re-alerts, retention),
so a queue store that is down or loses a nudge delays work by a minute and loses nothing.

Huey (and the Redis and PostgreSQL clients it brings) is imported when the queue is first used,
not when the app is built: every `flask` command and web worker starts a third of a second
sooner. Periodic work is registered as a :class:`Schedule` until then.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app

if TYPE_CHECKING:
    from huey import Huey

logger = logging.getLogger(__name__)

QUEUE_NAME = "participation"
# The queue store must answer quickly: a nudge runs inside a child's request.
STORE_CONNECT_TIMEOUT_SECONDS = 2
# Redis: longer than Huey's blocking read (1 s), so an idle worker does not time out.
REDIS_SOCKET_TIMEOUT_SECONDS = 5
# After a failed nudge, requests skip the queue store this long (the periodic dispatch still
# runs), so a store that does not answer costs one request a timeout, not every request.
NUDGE_PAUSE_SECONDS = 30.0

Handler = Callable[[dict[str, Any]], None]
GroupHandler = Callable[[list[dict[str, Any]]], None]


class JobsConfigError(ValueError):
    """JOBS_URL names a queue store this app does not know."""


@dataclass(frozen=True)
class Schedule:
    """When periodic work runs: huey.crontab's fields."""

    minute: str = "*"
    hour: str = "*"
    day: str = "*"
    month: str = "*"
    day_of_week: str = "*"


def crontab(**fields: str) -> Schedule:
    """Like huey.crontab (``crontab(minute="*/5")``), without importing Huey."""
    return Schedule(**fields)


def build_huey(url: str, default_path: Path) -> Huey:
    """A Huey instance for ``url``; nothing connects until the queue is first used.

    Unset: SQLite in ``default_path`` (the embedded default, no extra service). Otherwise
    ``sqlite:////path``, ``postgresql://...``, ``redis://...`` or ``memory://`` (tests).
    """
    from huey import MemoryHuey, PostgresHuey, RedisHuey, SqliteHuey
    from redis import ConnectionPool

    common: dict[str, Any] = {"results": False, "utc": True}
    if not url:
        return SqliteHuey(QUEUE_NAME, filename=str(default_path), create_tables=False, **common)
    scheme = url.split("://", 1)[0].lower()
    if scheme == "memory":
        return MemoryHuey(QUEUE_NAME, **common)
    if scheme == "sqlite":
        filename = url.split("://", 1)[1].removeprefix("/")
        return SqliteHuey(QUEUE_NAME, filename=filename, create_tables=False, **common)
    if scheme in {"postgres", "postgresql", "postgresql+psycopg"}:
        dsn = "postgresql://" + url.split("://", 1)[1]
        return PostgresHuey(QUEUE_NAME, dsn=dsn, create_tables=False,
                            connect_timeout=STORE_CONNECT_TIMEOUT_SECONDS, **common)
    if scheme in {"redis", "rediss"}:
        pool = ConnectionPool.from_url(url, socket_connect_timeout=STORE_CONNECT_TIMEOUT_SECONDS,
                                       socket_timeout=REDIS_SOCKET_TIMEOUT_SECONDS)
        return RedisHuey(QUEUE_NAME, connection_pool=pool, **common)
    raise JobsConfigError(f"JOBS_URL: unknown queue store {scheme!r} "
                          "(use postgresql://, redis://, sqlite:/// or memory://)")


@dataclass(frozen=True)
class GroupedKind:
    """A kind whose messages are handled together, at most once per ``window()``."""

    handler: GroupHandler
    window: Callable[[], timedelta]


class JobQueue:
    """The app's queue: its Huey instance, the handler of each outbox kind, the nudge."""

    def __init__(self, app: Flask, url: str, default_path: Path,
                 dispatch: Callable[[], object]) -> None:
        self.app = app
        self.url = url
        self.default_path = default_path
        self.handlers: dict[str, Handler] = {}
        self.grouped: dict[str, GroupedKind] = {}
        self.periodic: dict[str, Callable[[], None]] = {}  # name -> the work, in an app context
        self.schedules: dict[str, Schedule] = {}
        self._dispatch = self.in_app(dispatch)
        self._huey: Huey | None = None
        self._dispatch_task: Any = None
        self._store_ready = False
        self._store_failing = False
        self._paused_until = 0.0

    @property
    def huey(self) -> Huey:
        """The Huey instance, built (and given its tasks) on first use."""
        if self._huey is None:
            from huey import crontab as huey_crontab

            huey = build_huey(self.url, self.default_path)
            self._dispatch_task = huey.task(name="jobs.dispatch")(self._dispatch)
            for name, schedule in self.schedules.items():
                huey.periodic_task(huey_crontab(**asdict(schedule)), name=name)(
                    self.periodic[name])
            self._huey = huey
        return self._huey

    def in_app(self, func: Callable[[], object]) -> Callable[[], None]:
        """``func`` wrapped to run inside this app's context (Huey calls it bare)."""
        app = self.app

        def run() -> None:
            with app.app_context():
                func()

        run.__name__ = getattr(func, "__name__", "job")
        return run

    def prepare_store(self) -> None:
        """Create Huey's tables on first use (never when the app is built: `flask routes`
        and every web worker start stay free of queue connections)."""
        if self._store_ready:
            return
        from huey.storage import BaseSqlStorage, SqliteStorage

        storage = self.huey.storage
        if isinstance(storage, SqliteStorage):
            Path(storage.filename).parent.mkdir(parents=True, exist_ok=True)
        if isinstance(storage, BaseSqlStorage):
            storage.initialize_schema()
        self._store_ready = True

    def nudge(self, *, at: datetime | None = None) -> bool:
        """Ask a worker to dispatch now (or at ``at``); best effort, returns whether it worked.

        The first failure is logged once, without a traceback; the message waits in the outbox
        for the periodic dispatch, so the child's request never fails because of the queue.
        """
        if self._store_failing and time.monotonic() < self._paused_until:
            return False
        try:
            self.prepare_store()
            if at is None:
                self._dispatch_task()
            else:
                self._dispatch_task.schedule(eta=at)
        except Exception as error:
            if not self._store_failing:
                logger.warning("Job queue unreachable (%s); outbox messages wait for the "
                               "periodic dispatch", type(error).__name__)
            self._store_failing = True
            self._paused_until = time.monotonic() + NUDGE_PAUSE_SECONDS
            return False
        if self._store_failing:
            logger.warning("Job queue reachable again")
            self._store_failing = False
        return True


def job_queue(app: Flask | None = None) -> JobQueue:
    """The queue of ``app`` (default: the current app)."""
    queue: JobQueue = (app or current_app).extensions["jobs"]
    return queue


def register_handler(app: Flask, kind: str, handler: Handler) -> None:
    """Run ``handler(payload)`` for each outbox message of ``kind``, inside a transaction that
    also marks the message done. Do slow outside work (SMTP) before writing to the database:
    on SQLite a write holds the database's single write lock until the commit."""
    job_queue(app).handlers[kind] = handler


def register_grouped_handler(app: Flask, kind: str, handler: GroupHandler,
                             window: Callable[[], timedelta]) -> None:
    """Messages of ``kind`` are handled together: the first after a quiet ``window()`` at once,
    the ones that follow within the window in one call when it ends."""
    job_queue(app).grouped[kind] = GroupedKind(handler, window)


def register_periodic(app: Flask, name: str, schedule: Schedule,
                      func: Callable[[], object]) -> None:
    """Run ``func`` in the worker on ``schedule`` (see :func:`crontab`), in an app context."""
    queue = job_queue(app)
    if queue._huey is not None:
        raise RuntimeError("register periodic work while the app is built, before first use")
    queue.periodic[name] = queue.in_app(func)
    queue.schedules[name] = schedule


__all__ = [
    "JobQueue", "JobsConfigError", "Schedule", "build_huey", "crontab", "job_queue",
    "register_grouped_handler", "register_handler", "register_periodic",
]
