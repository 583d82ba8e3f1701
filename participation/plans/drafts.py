"""The draft organisers write in the browser: parts, texts per language, words to know.

One draft per plan, edited part by part and language by language. Every text row carries a
version: a save names the version it started from and is a conditional UPDATE on it, so when two
organisers edit the same part the second save finds the first one's words instead of erasing
them (:class:`Conflict`). Every change is in the audit log.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import CursorResult, delete, select, update

from participation.audit.services import record_event
from participation.db import db, utcnow
from participation.plans.content import ICONS, SLUG_RE, SUMMARY_MAX, TERM_RE
from participation.plans.models import DraftPart, DraftTerm, DraftText, Plan
from participation.plans.source import Data

PLAN_TEXTS = ""  # the ``part`` of the plan's own texts (title, organisation, welcome)
# A part's simple or official text may not be longer than this (a long text on a tablet is a
# wall; a 100,000-character paste is a mistake): the form says so, nothing is cut silently.
TEXT_MAX = 20_000


class Status(enum.StrEnum):
    """How far a part is in one language."""

    MISSING = "missing"  # nothing written yet
    DRAFT = "draft"  # started, or not marked ready, or missing a text
    READY = "ready"  # every field written and marked ready by its writer


class DraftError(Exception):
    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(code)


@dataclass(frozen=True)
class Conflict:
    """A save based on an older version: what the other organiser saved meanwhile."""

    theirs: DraftText


def replace_draft(plan: Plan, data: Data, *, actor_id: int | None) -> None:
    """Make the draft exactly ``data`` (a revision's or an import's source). The caller
    commits. Versions keep growing, so a form opened before this is a conflict."""
    versions = {(t.part, t.locale): t.version for t in db.session.scalars(
        select(DraftText).where(DraftText.plan_id == plan.id))}
    for model in (DraftPart, DraftText, DraftTerm):
        db.session.execute(delete(model).where(model.plan_id == plan.id))
    for position, part in enumerate(data["sections"], start=1):
        db.session.add(DraftPart(plan_id=plan.id, slug=part["slug"], position=position,
                                 icon=part["icon"]))
    now = utcnow()
    for locale, texts in data["locales"].items():
        rows = [(PLAN_TEXTS, texts["title"], texts["organisation"], texts["intro"], "")]
        rows += [(slug, p["title"], p["summary"], p["simple"], p["official"])
                 for slug, p in texts["sections"].items()]
        for part, title, summary, simple, official in rows:
            db.session.add(DraftText(
                plan_id=plan.id, part=part, locale=locale, title=title, summary=summary,
                simple=simple, official=official, ready=True, updated_at=now,
                updated_by_id=actor_id, version=versions.get((part, locale), 0) + 1))
        for entry in texts.get("glossary") or []:
            db.session.add(DraftTerm(plan_id=plan.id, locale=locale, key=entry["key"],
                                     term=entry["term"], definition=entry["definition"]))
    db.session.flush()


def parts(plan_id: int) -> list[DraftPart]:
    return list(db.session.scalars(
        select(DraftPart).where(DraftPart.plan_id == plan_id).order_by(DraftPart.position)))


def text_of(plan_id: int, part: str, locale: str) -> DraftText | None:
    return db.session.scalar(select(DraftText).where(
        DraftText.plan_id == plan_id, DraftText.part == part, DraftText.locale == locale))


def terms_of(plan_id: int, locale: str) -> list[DraftTerm]:
    return list(db.session.scalars(
        select(DraftTerm).where(DraftTerm.plan_id == plan_id, DraftTerm.locale == locale)
        .order_by(DraftTerm.term)))


def titles(plan: Plan, locale: str, locales: tuple[str, ...]) -> dict[str, str]:
    """Every part's title ("" the plan's), in ``locale`` or else the first language that has
    one (one query, for pages that list the parts)."""
    order = [locale, plan.default_locale, *locales]
    found: dict[str, tuple[int, str]] = {}
    for text in db.session.scalars(select(DraftText).where(DraftText.plan_id == plan.id)):
        rank = order.index(text.locale) if text.locale in order else len(order)
        if text.title and (text.part not in found or rank < found[text.part][0]):
            found[text.part] = (rank, text.title)
    return {part: title for part, (_rank, title) in found.items()}


def status_of(text: DraftText | None, part: str) -> Status:
    if text is None or not (text.title or text.summary or text.simple or text.official):
        return Status.MISSING
    needed = (text.title, text.summary, text.simple) if part == PLAN_TEXTS else (
        text.title, text.summary, text.simple, text.official)
    return Status.READY if text.ready and all(v.strip() for v in needed) else Status.DRAFT


def status_grid(plan_id: int, locales: tuple[str, ...]) -> dict[str, dict[str, Status]]:
    """part ("" for the plan's own texts) -> locale -> status, in reading order."""
    rows = {(t.part, t.locale): t for t in db.session.scalars(
        select(DraftText).where(DraftText.plan_id == plan_id))}
    order = [PLAN_TEXTS, *(p.slug for p in parts(plan_id))]
    return {part: {locale: status_of(rows.get((part, locale)), part) for locale in locales}
            for part in order}


def complete_locales(plan_id: int, locales: tuple[str, ...]) -> list[str]:
    """Languages in which every part has its simple and official text and is marked ready, the
    plan its own texts, and every word to know its definition: the languages that can be
    published."""
    grid = status_grid(plan_id, locales)  # READY: every field written, and marked ready
    undefined = {t.locale for t in db.session.scalars(
        select(DraftTerm).where(DraftTerm.plan_id == plan_id, DraftTerm.definition == ""))}
    return [locale for locale in locales if locale not in undefined and all(
        statuses[locale] == Status.READY for statuses in grid.values())]


def save_text(plan_id: int, part: str, locale: str, *, title: str, summary: str, simple: str,
              official: str, ready: bool, based_on: int, actor_id: int) -> DraftText | Conflict:
    """Save one part in one language, if nobody saved it since version ``based_on`` (0: it did
    not exist). Line breaks are stored as "\n" (browsers send "\r\n"). The caller commits."""
    title, summary, simple, official = (_lines(v) for v in (title, summary, simple, official))
    for value, limit in ((title, 200), (summary, SUMMARY_MAX if part else 200),
                         (simple, TEXT_MAX), (official, TEXT_MAX)):
        if len(value) > limit:
            raise DraftError("too_long")
    values = {"title": title, "summary": summary, "simple": simple, "official": official,
              "ready": ready, "updated_at": utcnow(), "updated_by_id": actor_id}
    current = text_of(plan_id, part, locale)
    if current is None:
        if based_on != 0:
            raise DraftError("gone")
        saved = DraftText(plan_id=plan_id, part=part, locale=locale, version=1, **values)
        db.session.add(saved)
        db.session.flush()
    else:
        result = db.session.execute(
            update(DraftText)
            .where(DraftText.id == current.id, DraftText.version == based_on)
            .values(version=DraftText.version + 1, **values)
            .execution_options(synchronize_session=False))
        db.session.refresh(current)
        if not (isinstance(result, CursorResult) and result.rowcount == 1):
            return Conflict(current)
        saved = current
    record_event("plan.text_saved", actor_id=actor_id, object_type="plan", object_id=plan_id,
                 details={"part": part, "locale": locale, "version": saved.version,
                          "ready": ready})
    return saved


def _lines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def unknown_terms(markup: str, known: Collection[str]) -> list[str]:
    """Glossary keys a text links to that are not among the ``known`` words to know."""
    return [key for key in dict.fromkeys(m.group(1) for m in TERM_RE.finditer(markup))
            if key not in known]


def term_usage(plan_id: int, locale: str) -> dict[str, list[str]]:
    """For each word to know, the parts (in reading order) whose texts link to it."""
    order = {p.slug: p.position for p in parts(plan_id)}
    used: dict[str, list[str]] = {}
    texts = db.session.scalars(select(DraftText).where(
        DraftText.plan_id == plan_id, DraftText.locale == locale))
    for text in sorted(texts, key=lambda t: order.get(t.part, 0)):
        for key in dict.fromkeys(m.group(1) for m in TERM_RE.finditer(
                f"{text.simple}\n{text.official}")):
            used.setdefault(key, []).append(text.part)
    return used


def term_key(word: str) -> str:
    """A glossary key from a word: "Société civile" -> "societe-civile"."""
    plain = unicodedata.normalize("NFKD", word.casefold())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:80] or "word"


def save_term(plan_id: int, locale: str, *, term: str, definition: str,
              key: str | None, actor_id: int) -> DraftTerm:
    """Add or change a word to know; the caller commits."""
    term, definition = _lines(term), _lines(definition)
    if not term or not definition or len(term) > 200 or len(definition) > 1000:
        raise DraftError("term_fields")
    key = key or term_key(term)
    if not SLUG_RE.match(key):
        raise DraftError("term_key")
    found = db.session.scalar(select(DraftTerm).where(
        DraftTerm.plan_id == plan_id, DraftTerm.locale == locale, DraftTerm.key == key))
    if found is None:
        found = DraftTerm(plan_id=plan_id, locale=locale, key=key, term=term,
                          definition=definition)
        db.session.add(found)
    else:
        found.term, found.definition = term, definition
    db.session.flush()
    record_event("plan.term_saved", actor_id=actor_id, object_type="plan", object_id=plan_id,
                 details={"locale": locale, "key": key})
    return found


def add_term(plan_id: int, locale: str, term: str, *, actor_id: int) -> str:
    """One click on a rare word: it joins the words to know, its definition to be written
    (until then the language cannot be published). Returns its key; the caller commits."""
    term = _lines(term)
    key = term_key(term)
    if key not in {t.key for t in terms_of(plan_id, locale)}:
        db.session.add(DraftTerm(plan_id=plan_id, locale=locale, key=key, term=term,
                                 definition=""))
        record_event("plan.term_saved", actor_id=actor_id, object_type="plan",
                     object_id=plan_id, details={"locale": locale, "key": key})
    return key


def delete_term(plan_id: int, locale: str, key: str, *, actor_id: int) -> None:
    db.session.execute(delete(DraftTerm).where(
        DraftTerm.plan_id == plan_id, DraftTerm.locale == locale, DraftTerm.key == key))
    record_event("plan.term_deleted", actor_id=actor_id, object_type="plan", object_id=plan_id,
                 details={"locale": locale, "key": key})


def add_part(plan_id: int, slug: str, icon: str, *, actor_id: int) -> DraftPart:
    if not SLUG_RE.match(slug) or len(slug) > 80:
        raise DraftError("slug")
    if icon not in ICONS:
        raise DraftError("icon")
    if any(p.slug == slug for p in parts(plan_id)):
        raise DraftError("slug_taken")
    part = DraftPart(plan_id=plan_id, slug=slug, icon=icon, position=len(parts(plan_id)) + 1)
    db.session.add(part)
    db.session.flush()
    record_event("plan.part_added", actor_id=actor_id, object_type="plan", object_id=plan_id,
                 details={"part": slug, "icon": icon})
    return part


def change_part(plan_id: int, slug: str, *, icon: str, move: int, actor_id: int) -> None:
    """A part's picture, and its place (``move`` -1: earlier, +1: later, 0: stays)."""
    if icon not in ICONS:
        raise DraftError("icon")
    ordered = parts(plan_id)
    index = next((i for i, p in enumerate(ordered) if p.slug == slug), None)
    if index is None:
        raise DraftError("gone")
    ordered[index].icon = icon
    target = index + move
    if move and 0 <= target < len(ordered):
        ordered[index], ordered[target] = ordered[target], ordered[index]
        for position, part in enumerate(ordered, start=1):
            part.position = position
    db.session.flush()
    record_event("plan.part_changed", actor_id=actor_id, object_type="plan", object_id=plan_id,
                 details={"part": slug, "icon": icon, "move": move})


def draft_data(plan: Plan, locales: list[str] | tuple[str, ...]) -> Data:
    """The draft as plan data, for ``locales`` (publishing, preview, export)."""
    rows = {(t.part, t.locale): t for t in db.session.scalars(
        select(DraftText).where(DraftText.plan_id == plan.id))}
    ordered = parts(plan.id)
    data: Data = {
        "slug": plan.slug, "version": plan.version + 1, "default_locale": plan.default_locale,
        "sections": [{"slug": p.slug, "icon": p.icon} for p in ordered], "locales": {},
    }
    for locale in locales:
        own = rows.get((PLAN_TEXTS, locale))
        data["locales"][locale] = {
            "title": own.title if own else "", "organisation": own.summary if own else "",
            "intro": own.simple if own else "",
            "sections": {
                p.slug: {
                    "title": t.title if t else "", "summary": t.summary if t else "",
                    "simple": t.simple if t else "", "official": t.official if t else "",
                }
                for p in ordered for t in [rows.get((p.slug, locale))]
            },
            "glossary": [{"key": t.key, "term": t.term, "definition": t.definition}
                         for t in terms_of(plan.id, locale)],
        }
    return data
