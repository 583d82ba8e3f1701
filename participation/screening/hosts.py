"""Each app host reports the screening data it runs; a host that differs is shown and logged.

Rules are files on each host. A rule added on one host only would make the same words urgent
there and ordinary on another, silently. Every worker writes its host name and
:func:`~participation.screening.rules.data_version` to ``screening_hosts`` on its first request
and then hourly; staff pages show a warning while hosts seen in the last day disagree.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask, current_app, request
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from participation.db import db, reset_session, utcnow
from participation.screening.models import ScreeningHost
from participation.screening.rules import data_version

REPORT_EVERY_SECONDS = 3600
RETRY_AFTER_FAILURE_SECONDS = 60
SEEN_WITHIN = timedelta(days=1)
STAFF_CHECK_SECONDS = 60


def host_name() -> str:
    """This machine's name (HOST_NAME overrides it, e.g. in containers that share one)."""
    return (os.environ.get("HOST_NAME") or socket.gethostname())[:255]


@dataclass(frozen=True)
class HostVersion:
    host: str
    version: str


def report_host(host: str, version: str) -> None:
    """Record (or refresh) which screening data ``host`` runs. The caller commits."""
    row = db.session.get(ScreeningHost, host)
    if row is None:
        db.session.add(ScreeningHost(host=host, version=version, seen_at=utcnow()))
    else:
        row.version, row.seen_at = version, utcnow()


def hosts_in_use() -> list[HostVersion]:
    """Hosts seen in the last day, with their screening data version."""
    since = utcnow() - SEEN_WITHIN
    rows = db.session.execute(
        select(ScreeningHost.host, ScreeningHost.version)
        .where(ScreeningHost.seen_at >= since).order_by(ScreeningHost.host)
    ).all()
    return [HostVersion(host, version) for host, version in rows]


def disagreement(hosts: list[HostVersion]) -> list[HostVersion]:
    """All hosts, when they do not all run the same data; otherwise nothing."""
    return hosts if len({h.version for h in hosts}) > 1 else []


class HostReporter:
    """Per process: report at most hourly, and cache the staff warning for a minute."""

    def __init__(self) -> None:
        self._next_report = 0.0
        self._next_check = 0.0
        self._differing: list[HostVersion] = []
        self._lock = threading.Lock()

    def report_now_and_then(self) -> None:
        now = time.monotonic()
        with self._lock:
            if now < self._next_report:
                return
            self._next_report = now + RETRY_AFTER_FAILURE_SECONDS
        version, host = data_version(), host_name()
        try:
            report_host(host, version)
            db.session.commit()
            differing = disagreement(hosts_in_use())
        except SQLAlchemyError:
            reset_session()  # the database is down: try again in a minute
            return
        with self._lock:
            self._next_report = now + REPORT_EVERY_SECONDS
        if differing:
            current_app.logger.warning(
                "Screening data differs between app hosts (this host %s runs %s): %s", host,
                version, ", ".join(f"{h.host}={h.version}" for h in differing))

    def differing_hosts(self) -> list[HostVersion]:
        now = time.monotonic()
        if now >= self._next_check:
            try:
                self._differing = disagreement(hosts_in_use())
            except SQLAlchemyError:
                reset_session()
            self._next_check = now + STAFF_CHECK_SECONDS
        return self._differing


def init_app(app: Flask) -> None:
    reporter = app.extensions["screening_hosts"] = HostReporter()
    app.before_request(reporter.report_now_and_then)

    @app.context_processor
    def screening_hosts_warning() -> dict[str, Any]:
        """On staff pages only: the hosts, when their screening data differ."""
        if not request.path.startswith("/staff/"):
            return {}
        return {"screening_hosts_differ": reporter.differing_hosts()}
