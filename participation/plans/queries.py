"""Read models of the plan for child pages, cached per worker.

Plan content only changes through `load-plan`, and every child page needs all of it, so each
worker keeps an immutable, already-sanitised copy per locale and checks the plan's revision
(version and update time, one indexed row) at most every ``PLAN_CACHE_SECONDS``.

When that check fails (the database is down or slow), the last good copy is served and the
check is retried after ``STALE_RETRY_SECONDS``: children keep reading during an outage.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from markupsafe import Markup
from sqlalchemy import ColumnElement, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from participation.db import db, reset_session
from participation.plans.models import GlossaryTerm, Plan, PlanRevision, Section
from participation.security import clean_html

_TERM_KEY_RE = re.compile(r'data-term="([a-z0-9-]+)"')
STALE_RETRY_SECONDS = 5.0


@dataclass(frozen=True)
class TermView:
    key: str
    term: str
    definition: str


@dataclass(frozen=True)
class SectionView:
    slug: str
    icon: str
    number: int
    title: str
    summary: str
    simple: Markup
    official: Markup
    reading_ease: float
    official_reading_ease: float
    terms: tuple[TermView, ...]


@dataclass(frozen=True)
class PlanView:
    id: int
    slug: str
    version: int
    locale: str
    title: str
    organisation: str
    intro: Markup
    sections: tuple[SectionView, ...]
    glossary: tuple[TermView, ...]
    section_ids: dict[str, int]  # slug -> database id, for domains that store per-section rows
    revision_id: int | None = None  # the published revision (ideas and reactions point at it)

    def section(self, slug: str) -> SectionView | None:
        return next((s for s in self.sections if s.slug == slug), None)

    def section_by_id(self, section_id: int | None) -> SectionView | None:
        slug = next((k for k, v in self.section_ids.items() if v == section_id), None)
        return self.section(slug) if slug else None

    def neighbours(self, slug: str) -> tuple[SectionView | None, SectionView | None]:
        """The sections before and after ``slug`` in reading order."""
        slugs = [s.slug for s in self.sections]
        index = slugs.index(slug)
        before = self.sections[index - 1] if index > 0 else None
        after = self.sections[index + 1] if index + 1 < len(self.sections) else None
        return before, after


Revision = tuple[int, int, datetime]


@dataclass
class _Entry:
    revision: Revision
    checked_at: float
    view: PlanView
    fragments: dict[str, Markup] = field(default_factory=dict)


class PlanCache:
    """Per-app, per-worker cache of :class:`PlanView` objects keyed by locale."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def fragment(self, locale: str, key: str, render: Callable[[], str]) -> Markup:
        """HTML that is the same for every child, rendered once per plan revision.

        Rendering (dozens of translated strings and URLs) costs several times more than
        serving a cached string. Call after :meth:`get` in the same request.
        """
        entry = self._entries[locale]
        html = entry.fragments.get(key)
        if html is None:
            html = entry.fragments[key] = Markup(render())  # noqa: S704 - our own templates
        return html

    def cached(self, locale: str) -> PlanView | None:
        """The last good copy, without asking the database (error pages use it)."""
        entry = self._entries.get(locale)
        return entry.view if entry else None

    def get(self, locale: str) -> PlanView | None:
        ttl = float(current_app.config["PLAN_CACHE_SECONDS"])
        now = time.monotonic()
        entry = self._entries.get(locale)
        if entry is not None and now - entry.checked_at < ttl:
            return entry.view
        try:
            revision = _current_revision()
            if revision is None:
                return None
            if entry is not None and entry.revision == revision:
                entry.checked_at = now
                return entry.view
            view = _build_plan_view(revision[0], locale)
        except SQLAlchemyError as error:
            if entry is None:
                raise
            # Serve the last good copy; look again in a few seconds, not on every request.
            entry.checked_at = now - ttl + STALE_RETRY_SECONDS
            reset_session()
            current_app.logger.warning("Plan check failed, serving the cached plan: %s",
                                       type(error).__name__)
            return entry.view
        with self._lock:
            self._entries[locale] = _Entry(revision, now, view)
        return view


def _active_plan_filter() -> list[ColumnElement[bool]]:
    slug = current_app.config["PLAN_SLUG"]
    return [Plan.slug == slug] if slug else []


def _current_revision() -> Revision | None:
    """The plan children see: PLAN_SLUG if set, else the one an organiser chose to show, else
    the most recently updated."""
    row = db.session.execute(
        select(Plan.id, Plan.version, Plan.updated_at)
        .where(*_active_plan_filter())
        .order_by(Plan.shown.desc(), Plan.updated_at.desc(), Plan.id.desc())
        .limit(1)
    ).first()
    return (row[0], row[1], row[2]) if row else None


def _build_plan_view(plan_id: int, locale: str) -> PlanView:
    plan = db.session.execute(
        select(Plan)
        .where(Plan.id == plan_id)
        .options(
            selectinload(Plan.translations),
            selectinload(Plan.sections).selectinload(Section.texts),
        )
    ).scalar_one()
    locale = locale if any(t.locale == locale for t in plan.translations) else plan.default_locale
    terms = db.session.scalars(
        select(GlossaryTerm).where(GlossaryTerm.plan_id == plan.id, GlossaryTerm.locale == locale)
    ).all()
    glossary = {t.key: TermView(t.key, t.term, t.definition) for t in terms}
    translation = next(t for t in plan.translations if t.locale == locale)

    sections: list[SectionView] = []
    section_ids: dict[str, int] = {}
    for section in plan.sections:
        if section.retired_at is not None:
            continue
        text = next((t for t in section.texts if t.locale == locale), None)
        if text is None:
            continue
        section_ids[section.slug] = section.id
        keys = dict.fromkeys(_TERM_KEY_RE.findall(text.simple_html + text.official_html))
        sections.append(
            SectionView(
                slug=section.slug,
                icon=section.icon,
                number=len(sections) + 1,
                title=text.title,
                summary=text.summary,
                simple=clean_html(text.simple_html),
                official=clean_html(text.official_html),
                reading_ease=text.reading_ease,
                official_reading_ease=text.official_reading_ease,
                terms=tuple(glossary[k] for k in keys if k in glossary),
            )
        )
    revision_id = db.session.scalar(select(PlanRevision.id).where(
        PlanRevision.plan_id == plan.id, PlanRevision.number == plan.version))
    return PlanView(
        id=plan.id,
        revision_id=revision_id,
        slug=plan.slug,
        version=plan.version,
        locale=locale,
        title=translation.title,
        organisation=translation.organisation,
        intro=clean_html(translation.intro_html),
        sections=tuple(sections),
        glossary=tuple(sorted(glossary.values(), key=lambda t: t.term.casefold())),
        section_ids=section_ids,
    )


def plan_cache() -> PlanCache:
    cache: PlanCache = current_app.extensions["plan_cache"]
    return cache


def cached_plan_view(locale: str) -> PlanView | None:
    """The plan as last read, or None; never touches the database."""
    return plan_cache().cached(locale)


def plan_view_for(plan_id: int, locale: str) -> PlanView:
    """A given plan as children read it in ``locale`` (its default language if it has no
    ``locale`` text), current or not: a committee's printed pack keeps the plan it discussed.
    Built from the database each time; children's pages use the cached current plan."""
    return _build_plan_view(plan_id, locale)


def get_plan_view(locale: str) -> PlanView | None:
    """The active plan as children read it in ``locale``, or None when no plan is loaded."""
    return plan_cache().get(locale)


def plan_view_from_data(data: dict, locale: str) -> PlanView:  # type: ignore[type-arg]
    """The plan as children would read it from source data (a draft, for the child's-eye
    preview): the same sanitised HTML as the live plan, built in memory, never stored."""
    from participation.plans.content import TERM_RE, GlossaryEntry, markup_to_html

    locale = locale if locale in data["locales"] else data["default_locale"]
    texts = data["locales"][locale]
    entries = {e["key"]: GlossaryEntry(e["key"], e["term"], e["definition"])
               for e in texts.get("glossary") or []}
    glossary = {k: TermView(k, e.term, e.definition) for k, e in entries.items()}

    def html(markup: str) -> str:
        # A link to a word that is not (yet) in the list shows as its words, not an error.
        known = TERM_RE.sub(lambda m: m.group(0) if m.group(1) in entries
                                  else (m.group(2) or m.group(1)), markup)
        return markup_to_html(known, entries)

    sections: list[SectionView] = []
    for spec in data["sections"]:
        part = texts["sections"].get(spec["slug"])
        if not part:
            continue
        simple, official = html(part["simple"]), html(part["official"])
        keys = dict.fromkeys(_TERM_KEY_RE.findall(simple + official))
        sections.append(SectionView(
            slug=spec["slug"], icon=spec["icon"], number=len(sections) + 1,
            title=part["title"], summary=part["summary"], simple=clean_html(simple),
            official=clean_html(official), reading_ease=0.0, official_reading_ease=0.0,
            terms=tuple(glossary[k] for k in keys if k in glossary)))
    return PlanView(
        id=0, slug=data["slug"], version=data.get("version", 0), locale=locale,
        title=texts["title"], organisation=texts["organisation"],
        intro=clean_html(html(texts["intro"])), sections=tuple(sections),
        glossary=tuple(sorted(glossary.values(), key=lambda t: t.term.casefold())),
        section_ids={s.slug: 0 for s in sections},
    )

