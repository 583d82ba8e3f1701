"""Reads of children's feedback for children's pages: the ideas shared under each part (cached
per worker) and the organisation's answer to one idea (given by a higher domain).

Only children's own ideas (``source = child``) are read here: a committee's statements are the
group's voice, shown in their own region and never counted with individual children's ideas.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app, render_template
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from participation.db import db, reset_session
from participation.feedback.models import Submission, SubmissionSource, SubmissionStatus
from participation.plans.queries import STALE_RETRY_SECONDS

# What one answer source gives for an idea and the page's language: HTML, or None.
AnswerSource = Callable[[Submission, str], Markup | None]
ANSWER_SOURCES = "idea_answers"
_NOT_WORDS_RE = re.compile(r"[\W_]+")


def approved_ideas(plan_id: int, section_id: int | None, *, locale: str | None = None,
                   other_than: str | None = None, limit: int = 20) -> list[Submission]:
    """Children's ideas an adult approved under a part (or "something missing?"), newest first,
    in one language or all but one; only ``published_body`` is ever shown. Never a committee's
    statement or caption: group input has its own region."""
    query = select(Submission).where(
        Submission.plan_id == plan_id,
        Submission.source == SubmissionSource.CHILD,
        Submission.status == SubmissionStatus.APPROVED,
        Submission.published_body.is_not(None),
        Submission.section_id == section_id if section_id is not None
        else Submission.section_id.is_(None),
    )
    if locale is not None:
        query = query.where(Submission.locale == locale)
    if other_than is not None:
        query = query.where(Submission.locale != other_than)
    return list(db.session.scalars(
        query.order_by(Submission.decided_at.desc(), Submission.id.desc()).limit(limit)))


def same_idea_key(text: str) -> str:
    """Two shared ideas are the same when they differ only in case, spaces and punctuation."""
    return _NOT_WORDS_RE.sub("", text.casefold()) or text


@dataclass(frozen=True)
class SharedIdea:
    text: str
    age_band: str | None
    locale: str


@dataclass(frozen=True)
class SharedIdeas:
    """The ideas under a part: in the page's language first, the others one tap away."""

    here: list[SharedIdea]
    elsewhere: list[SharedIdea]

    @property
    def other_locales(self) -> list[str]:
        """The languages of the other ideas, in the app's order of languages."""
        present = {idea.locale for idea in self.elsewhere}
        return [code for code in current_app.config["LANGUAGES"] if code in present]


def shared_ideas(plan_id: int, section_id: int | None, locale: str,
                 limit: int = 20) -> SharedIdeas:
    """The newest approved ideas of a part, each text once (the page's language wins)."""
    seen: set[str] = set()

    def unique(items: list[Submission]) -> list[SharedIdea]:
        kept = []
        for item in items:
            key = same_idea_key(item.published_body or "")
            if key in seen:
                continue
            seen.add(key)
            kept.append(SharedIdea(item.published_body or "",
                                   item.age_band.value if item.age_band else None, item.locale))
        return kept[:limit]

    # Twice the limit, so a few repeats do not leave the list short.
    here = unique(approved_ideas(plan_id, section_id, locale=locale, limit=2 * limit))
    elsewhere = unique(approved_ideas(plan_id, section_id, other_than=locale, limit=2 * limit))
    return SharedIdeas(here, elsewhere)


# Renders the HTML of one part's fragment: (plan id, part id or None, language) -> HTML.
PartRenderer = Callable[[int, int | None, str], str]


class PartFragmentCache:
    """HTML rendered from the database for each part (and language), kept per worker for
    ``PLAN_CACHE_SECONDS``: a change shows within that delay, and part pages stop querying and
    rendering it on every request. While the database is down the last copy is served."""

    def __init__(self, render: PartRenderer) -> None:
        self._render = render
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
            html = self._render(plan_id, section_id, locale)
        except SQLAlchemyError:  # the database is down: keep showing what we had
            reset_session()
            stale = entry[1] if entry is not None else ""
            with self._lock:  # look again in a few seconds, not on every request
                self._entries[key] = (now - ttl + STALE_RETRY_SECONDS, stale)
            return stale
        with self._lock:
            self._entries[key] = (now, html)
        return html

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _render_shared_ideas(plan_id: int, section_id: int | None, locale: str) -> str:
    ideas = shared_ideas(plan_id, section_id, locale)
    return render_template("feedback/_shared_ideas.html", ideas=ideas)


class SharedIdeasCache(PartFragmentCache):
    """Approved children's ideas under each part, as rendered HTML (see PartFragmentCache)."""

    def __init__(self) -> None:
        super().__init__(_render_shared_ideas)


def shared_ideas_html(plan_id: int, section_id: int | None, locale: str) -> str:
    cache: SharedIdeasCache = current_app.extensions["shared_ideas"]
    return cache.html(plan_id, section_id, locale)


def register_answer_source(app: Flask, source: AnswerSource) -> None:
    """Let a higher domain (the organisation's answers) put its answer to an idea on the
    child's "check my idea" page; feedback never imports that domain."""
    app.extensions.setdefault(ANSWER_SOURCES, []).append(source)


def organisation_answer(submission: Submission, locale: str) -> Markup | None:
    """The organisation's answer to this idea, in ``locale``, if one was published."""
    sources: list[AnswerSource] = current_app.extensions.get(ANSWER_SOURCES, [])
    for source in sources:
        answer = source(submission, locale)
        if answer:
            return answer
    return None
