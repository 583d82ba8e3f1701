"""Reading progress, kept only on the device in a cookie: the server stores nothing about it.

The cookie lists the slugs of parts already opened; "I'm finished" on a shared tablet clears it.
"""

from __future__ import annotations

from collections.abc import Iterable

from blinker import Namespace
from flask import Request, Response, current_app

PROGRESS_COOKIE = "read_parts"
# Sent when this device opens a part for the first time, with ``section_id``. Domains built on
# plans listen (a classroom session counts parts opened); plans does not know them.
part_opened = Namespace().signal("part-opened")
PROGRESS_MAX_AGE = 60 * 60 * 24 * 30


def read_slugs(request: Request, known: Iterable[str]) -> frozenset[str]:
    """Slugs of parts this device has opened, limited to parts that exist."""
    raw = request.cookies.get(PROGRESS_COOKIE, "")
    return frozenset(raw.split(".")) & frozenset(known)


def mark_read(response: Response, already: frozenset[str], slug: str, known: list[str]) -> None:
    """Add ``slug`` to the progress cookie, keeping the plan's reading order."""
    if slug in already:
        return
    wanted = already | {slug}
    response.set_cookie(
        PROGRESS_COOKIE,
        ".".join(s for s in known if s in wanted),
        max_age=PROGRESS_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
