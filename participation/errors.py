"""App-wide error pages, and failure logs that never hold what a child or a staff member typed.

Every error a child can meet is a short, kind, translated page. A domain can answer some
failures better (feedback shows a child's own words back, ready to resend) by registering a
responder; the factory's handlers ask the responders first.

Staff have their own error pages, in the staff layout: a page under /staff/ never carries the
children's layout, whose idle timer would send "I'm finished" and end the staff session. When
the server failed (500, 503) the database may be what failed, so the staff page is rendered
without asking it anything (who is signed in, the urgent badge).

Logs: SQL parameters are hidden by the engine (``hide_parameters``), and PostgreSQL's DETAIL
lines ("Failing row contains (...)", "Key (...)=(...)") are cut from every traceback, since
they quote the row, which may be a child's words. A failure that repeats (a database outage
fails every request) logs its traceback once per ``TRACEBACK_EVERY_SECONDS`` and one line
otherwise, so 30 seconds of outage is a few dozen lines, not 80,000.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from flask import Flask, g, render_template, request
from flask_login import AnonymousUserMixin
from sqlalchemy.exc import DataError, DBAPIError, DisconnectionError, InterfaceError
from sqlalchemy.exc import OperationalError as DatabaseOperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException, NotFound, SecurityError
from werkzeug.wrappers import Response

from participation.db import reset_session
from participation.i18n import select_locale, text_direction

# (error, status) -> a response, or None to let the next responder (or the plain page) answer.
Responder = Callable[[Exception, int], Response | None]
TRACEBACK_EVERY_SECONDS = 600
RETRY_AFTER_SECONDS = "30"
# Lines of a database error that quote data: PostgreSQL's DETAIL/HINT/CONTEXT/WHERE lines and
# SQLAlchemy's parameter dump (hidden by the engine anyway).
_DATA_LINE_RE = re.compile(r"^\s*(DETAIL|HINT|CONTEXT|WHERE|\[parameters):?", re.IGNORECASE)
_FAILING_ROW_RE = re.compile(r"(Failing row contains|Key \().*", re.IGNORECASE)
_PACKAGE_DIR = str(Path(__file__).resolve().parent)
# The database cannot be reached or did not answer in time: try again soon (503).
UNAVAILABLE_ERRORS = (DatabaseOperationalError, InterfaceError, DisconnectionError,
                      PoolTimeoutError)


def scrub(text: str) -> str:
    """Remove the lines (and tails of lines) of an error text that quote stored data."""
    kept = [_FAILING_ROW_RE.sub("[data hidden]", line) for line in text.splitlines()
            if not _DATA_LINE_RE.match(line)]
    return "\n".join(kept)


def describe(error: BaseException) -> str:
    """One line about an error: its class and, for a database error, its SQLSTATE."""
    if isinstance(error, DBAPIError) and error.orig is not None:
        original = error.orig
        state = getattr(original, "sqlstate", None) or getattr(original, "sqlite_errorname", "")
        first = scrub(str(original)).strip().splitlines()[:1]
        message = first[0][:160] if first else ""
        return f"{type(error).__name__} ({type(original).__name__} {state}): {message}"
    lines = scrub(str(error)).strip().splitlines()[:1]
    return f"{type(error).__name__}: {lines[0][:160] if lines else ''}"


class FailureLog:
    """Full tracebacks for new failures, one line for repeats (per place in our code)."""

    def __init__(self, logger: logging.Logger, every: float = TRACEBACK_EVERY_SECONDS) -> None:
        self.logger = logger
        self.every = every
        self._last: dict[tuple[str, str], tuple[float, int]] = {}
        self._lock = threading.Lock()

    def failure(self, error: BaseException, context: str) -> None:
        key = (type(error).__name__, _where(error))
        now = time.monotonic()
        with self._lock:
            last, repeats = self._last.get(key, (float("-inf"), 0))
            full = now - last >= self.every
            self._last[key] = (now, 0) if full else (last, repeats + 1)
        if full:
            lines = traceback.format_exception(type(error), error, error.__traceback__)
            suffix = f" ({repeats} more since the last traceback)" if repeats else ""
            self.logger.error("%s: %s%s\n%s", context, describe(error), suffix,
                              scrub("".join(lines)).rstrip())
        else:
            self.logger.error("%s: %s (again; traceback above)", context, describe(error))


def _where(error: BaseException) -> str:
    """The innermost frame in our own package (or the innermost frame at all)."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [frame for frame in frames if frame.filename.startswith(_PACKAGE_DIR)]
    chosen = ours or list(frames)
    return f"{chosen[-1].filename}:{chosen[-1].lineno}" if chosen else "?"


def error_responders(app: Flask) -> list[Responder]:
    responders: list[Responder] = app.extensions.setdefault("error_responders", [])
    return responders


def _respond(app: Flask, error: Exception, status: int) -> Response:
    for responder in error_responders(app):
        response = responder(error, status)
        if response is not None:
            return response
    g.error_page = True
    if is_staff_path():
        html = _staff_page(app, status)
    else:
        template = "errors/404.html" if status == 404 else "errors/error.html"
        if status == 429:
            template = "feedback/wait.html"
        html = render_template(template, status=status)
    response = app.make_response((html, status))
    if status == 503:
        response.headers["Retry-After"] = RETRY_AFTER_SECONDS
    elif status == 429:
        response.headers["Retry-After"] = "60"
    return response


def is_staff_path() -> bool:
    """A request for a staff page (signed in or not): staff error pages answer it."""
    return request.path == "/staff" or request.path.startswith("/staff/")


def _staff_template(status: int) -> str:
    if status == 429:
        return "accounts/wait.html"  # only signing in is rate-limited on the staff side
    if status in {403, 404}:
        return f"errors/staff_{status}.html"
    return "errors/staff_error.html"


def _staff_page(app: Flask, status: int) -> str:
    template = _staff_template(status)
    if status < 500:
        return render_template(template, status=status)
    # No context processors (they read the signed-in person and the urgent badge from the
    # database); the page shows no menu, only the way back.
    code = select_locale()
    return app.jinja_env.get_template(template).render(
        status=status, current_user=AnonymousUserMixin(), current_locale=code,
        text_dir=text_direction(code),
    )


def init_app(app: Flask) -> None:
    """Register the error pages and the failure log."""
    log = app.extensions["failure_log"] = FailureLog(app.logger)

    @app.errorhandler(NotFound)
    def not_found(error: HTTPException) -> Response:
        return _respond(app, error, 404)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        if isinstance(error, SecurityError):  # an unknown Host: no URL can be built for it
            return Response("Unknown host.\n", status=400, mimetype="text/plain")
        return _respond(app, error, error.code or 500)

    @app.errorhandler(DataError)
    def bad_data(error: DataError) -> Response:
        """Input the database cannot store (a NUL byte, say): the request was bad, not us."""
        reset_session()
        app.logger.warning("Refused input on %s %s: %s", request.method, request.path,
                           describe(error))
        return _respond(app, error, 400)

    @app.errorhandler(Exception)
    def server_error(error: Exception) -> Response:
        reset_session()
        status = 503 if isinstance(error, UNAVAILABLE_ERRORS) else 500
        log.failure(error, f"{status} on {request.method} {request.path}")
        return _respond(app, error, status)
