"""Reads for children's pages that would otherwise hit the database on every part page."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from flask import current_app, render_template
from sqlalchemy.exc import SQLAlchemyError

from participation.db import reset_session
from participation.feedback.services import approved_ideas
from participation.plans.queries import STALE_RETRY_SECONDS


@dataclass(frozen=True)
class SharedIdea:
    text: str
    age_band: str | None


class SharedIdeasCache:
    """Approved ideas under each part, as rendered HTML, kept per worker for
    ``PLAN_CACHE_SECONDS``: an approval shows within that delay, and part pages stop querying
    and rendering them on every request."""

    def __init__(self) -> None:
        self._entries: dict[tuple[int, int | None, str], tuple[float, str]] = {}
        self._lock = threading.Lock()

    def html(self, plan_id: int, section_id: int | None, locale: str) -> str:
        ttl = float(current_app.config["PLAN_CACHE_SECONDS"])
        now = time.monotonic()
        key = (plan_id, section_id, locale)
        entry = self._entries.get(key)
        if entry is not None and now - entry[0] < ttl:
            return entry[1]
        try:
            ideas = [
                SharedIdea(item.published_body or "",
                           item.age_band.value if item.age_band else None)
                for item in approved_ideas(section_id, plan_id)
            ]
        except SQLAlchemyError:  # the database is down: keep showing what we had
            reset_session()
            stale = entry[1] if entry is not None else ""
            with self._lock:  # look again in a few seconds, not on every request
                self._entries[key] = (now - ttl + STALE_RETRY_SECONDS, stale)
            return stale
        html = render_template("feedback/_shared_ideas.html", ideas=ideas)
        with self._lock:
            self._entries[key] = (now, html)
        return html

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def shared_ideas_html(plan_id: int, section_id: int | None, locale: str) -> str:
    cache: SharedIdeasCache = current_app.extensions["shared_ideas"]
    return cache.html(plan_id, section_id, locale)
