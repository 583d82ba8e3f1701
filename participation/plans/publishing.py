"""Publishing: the draft (or an earlier revision) becomes the plan children read.

Each publication is an immutable :class:`PlanRevision` holding the whole plan's source; the live
tables children read are updated from it by the same ``load_plan`` that ``flask load-plan``
uses, so parts keep their ids and every idea, reaction and committee statement stays tied to the
part it was about (and, through ``revision_id``, to the revision the child was reading). Every
worker sees the new revision within ``PLAN_CACHE_SECONDS``: the plan cache checks the plan's
version and update time.

A language is published only when every part has its simple and official text. A part whose
simple text reads below the reading-ease floor needs a reason, kept with the revision and in the
audit log.
"""

from __future__ import annotations

import difflib
import html
import re
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup
from sqlalchemy import func, select, update

from participation.audit.services import record_event
from participation.db import db
from participation.plans.content import PlanContent, markup_to_plain
from participation.plans.drafts import DraftError, complete_locales, draft_data, replace_draft
from participation.plans.models import DraftText, Plan, PlanRevision
from participation.plans.readability import TARGET_READING_EASE, reading_ease
from participation.plans.services import LoadReport, load_plan
from participation.plans.source import Data, content_to_data, data_to_content


@dataclass(frozen=True)
class LowScore:
    part: str
    locale: str
    score: float


def latest_revision(plan_id: int) -> PlanRevision | None:
    return db.session.scalar(select(PlanRevision).where(PlanRevision.plan_id == plan_id)
                             .order_by(PlanRevision.number.desc()).limit(1))


def revisions(plan_id: int) -> list[PlanRevision]:
    return list(db.session.scalars(select(PlanRevision).where(PlanRevision.plan_id == plan_id)
                                   .order_by(PlanRevision.number.desc())))


def _next_number(plan_id: int) -> int:
    found = db.session.scalar(select(func.max(PlanRevision.number))
                              .where(PlanRevision.plan_id == plan_id))
    return (found or 0) + 1


def low_scores(data: Data) -> list[LowScore]:
    """Parts whose simple text reads below the floor, per language."""
    content = data_to_content(data)
    found = []
    for locale, texts in content.locales.items():
        for slug, part in texts.sections.items():
            score = reading_ease(markup_to_plain(part.simple, texts.glossary), locale)
            if score < TARGET_READING_EASE:
                found.append(LowScore(slug, locale, score))
    return found


def with_carried_languages(plan: Plan, data: Data) -> Data:
    """Languages published before but not now keep their last published words, when those
    still cover every part (otherwise they are left out, and the publish page says so)."""
    previous = latest_revision(plan.id)
    if previous is None:
        return data
    wanted = [s["slug"] for s in data["sections"]]
    locales = dict(data["locales"])
    for locale, texts in previous.content["locales"].items():
        if locale not in locales and all(slug in texts["sections"] for slug in wanted):
            locales[locale] = {**texts, "sections": {s: texts["sections"][s] for s in wanted}}
    return {**data, "locales": locales}


def _record(plan: Plan, data: Data, *, source: str, note: str | None,
            actor_id: int | None) -> PlanRevision:
    number = _next_number(plan.id)
    content = data_to_content({**data, "version": number})
    load_plan(content, allow_downgrade=True)
    revision = PlanRevision(plan_id=plan.id, number=number, content=content_to_data(content),
                            source=source, note=note, published_by_id=actor_id)
    db.session.add(revision)
    db.session.flush()
    record_event("plan.published", actor_id=actor_id, object_type="plan", object_id=plan.id,
                 details={"revision": number, "source": source,
                          "locales": sorted(content.locales), "note": note})
    return revision


def publish_draft(plan: Plan, locales: list[str], *, reasons: dict[tuple[str, str], str],
                  all_locales: tuple[str, ...], actor_id: int) -> PlanRevision:
    """Publish the draft in ``locales``; ``reasons`` explains each part published below the
    reading-ease floor. Raises DraftError ("no_locale", "incomplete", "low_score") or
    ContentError (a broken glossary link...). The caller commits."""
    if not locales:
        raise DraftError("no_locale")
    ready = set(complete_locales(plan.id, all_locales))
    if not set(locales) <= ready:
        raise DraftError("incomplete")
    data = draft_data(plan, locales)
    unexplained = [low for low in low_scores(data)
                   if not reasons.get((low.part, low.locale), "").strip()]
    if unexplained:
        raise DraftError("low_score")
    note = "\n".join(f"{part} ({locale}): {reason.strip()}"
                     for (part, locale), reason in sorted(reasons.items()) if reason.strip())
    return _record(plan, with_carried_languages(plan, data), source="editor",
                   note=note or None, actor_id=actor_id)


def republish(plan: Plan, revision: PlanRevision, *, actor_id: int) -> PlanRevision:
    """Publish an earlier revision again, as a new revision with the same words."""
    return _record(plan, revision.content, source="republished",
                   note=f"#{revision.number}", actor_id=actor_id)


def load_plan_file(content: PlanContent, *, allow_downgrade: bool = False) -> LoadReport:
    """``flask load-plan``: load validated content from YAML files, and keep it as a revision
    (the same door as the editor's). The caller commits."""
    report = load_plan(content, allow_downgrade=allow_downgrade)
    data = content_to_data(content)
    latest = latest_revision(report.plan.id)
    if latest is not None and {**latest.content, "version": 0} == {**data, "version": 0}:
        report.plan.version = latest.number  # the same words again: no new revision
        return report
    record_file_load(report.plan, data, actor_id=None)
    return report


def record_file_load(plan: Plan, data: Data, *, actor_id: int | None) -> PlanRevision:
    """``flask load-plan`` loaded a file: keep it as a revision, and as the draft if there was
    none yet (an organiser's unpublished draft is never overwritten by a file)."""
    number = _next_number(plan.id)
    revision = PlanRevision(plan_id=plan.id, number=number, content={**data, "version": number},
                            source="file", published_by_id=actor_id)
    db.session.add(revision)
    db.session.flush()
    plan.version = revision.number
    if not db.session.scalar(select(func.count()).select_from(DraftText)
                             .where(DraftText.plan_id == plan.id)):
        replace_draft(plan, data, actor_id=actor_id)
    record_event("plan.published", actor_id=actor_id, object_type="plan", object_id=plan.id,
                 details={"revision": revision.number, "source": "file",
                          "locales": sorted(data["locales"])})
    return revision


def show_plan(plan: Plan, *, actor_id: int | None) -> None:
    """Children see this plan from now on (every worker within PLAN_CACHE_SECONDS)."""
    db.session.execute(update(Plan).values(shown=Plan.id == plan.id)
                       .execution_options(synchronize_session=False))
    db.session.refresh(plan)
    record_event("plan.shown", actor_id=actor_id, object_type="plan", object_id=plan.id)


@dataclass(frozen=True)
class Change:
    part: str  # "" for the plan's own texts
    locale: str
    field: str
    diff: Markup  # escaped words, removed ones in <del>, added ones in <ins>


_TOKEN_RE = re.compile(r"[^ \n]+|\n")


def _word_diff(before: str, after: str) -> Markup:
    """Words removed in <del>, added in <ins>; line breaks kept (as <br>)."""
    old, new = _TOKEN_RE.findall(before), _TOKEN_RE.findall(after)

    def words(tokens: list[str]) -> str:
        return " ".join("<br>" if t == "\n" else html.escape(t) for t in tokens)

    out: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new).get_opcodes():
        if tag in ("replace", "delete"):
            out.append(f"<del>{words(old[i1:i2])}</del>")
        if tag in ("replace", "insert"):
            out.append(f"<ins>{words(new[j1:j2])}</ins>")
        if tag == "equal":
            out.append(words(old[i1:i2]))
    return Markup(" ".join(out))  # noqa: S704 - every word went through html.escape


def compare(older: Data, newer: Data) -> list[Change]:
    """What changed between two revisions, per part, language and field."""
    changes: list[Change] = []
    for locale in sorted(set(older["locales"]) | set(newer["locales"])):
        a: dict[str, Any] = older["locales"].get(locale) or {"sections": {}}
        b: dict[str, Any] = newer["locales"].get(locale) or {"sections": {}}
        for field in ("title", "organisation", "intro"):
            if a.get(field, "") != b.get(field, ""):
                changes.append(Change("", locale, field, _word_diff(a.get(field, ""),
                                                                    b.get(field, ""))))
        slugs = [s["slug"] for s in newer["sections"]]
        slugs += [s["slug"] for s in older["sections"] if s["slug"] not in slugs]
        for slug in slugs:
            pa, pb = a["sections"].get(slug) or {}, b["sections"].get(slug) or {}
            for field in ("title", "summary", "simple", "official"):
                if pa.get(field, "") != pb.get(field, ""):
                    changes.append(Change(slug, locale, field,
                                          _word_diff(pa.get(field, ""), pb.get(field, ""))))
    return changes
