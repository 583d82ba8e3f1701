"""Operations that change plan content. Only `load_plan` writes plans, in one transaction."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from participation.db import db, utcnow
from participation.plans.content import PlanContent, markup_to_html, markup_to_plain
from participation.plans.models import GlossaryTerm, Plan, PlanTranslation, Section, SectionText
from participation.plans.readability import reading_ease


class PlanVersionError(Exception):
    """The content file is older than what is already loaded."""


@dataclass(frozen=True)
class ReadingScore:
    section: str
    locale: str
    simple: float
    official: float


@dataclass(frozen=True)
class LoadReport:
    plan: Plan
    created: bool
    scores: list[ReadingScore]


def load_plan(content: PlanContent, *, allow_downgrade: bool = False) -> LoadReport:
    """Create or update a plan from validated content. The caller commits (or rolls back).

    Sections are matched by slug and updated in place, so anything that refers to a section
    keeps pointing at it; sections no longer in the file are retired, not deleted.
    """
    plan = db.session.scalar(select(Plan).where(Plan.slug == content.slug))
    created = plan is None
    if plan is None:
        plan = Plan(
            slug=content.slug, version=content.version, default_locale=content.default_locale
        )
        db.session.add(plan)
    elif content.version < plan.version and not allow_downgrade:
        raise PlanVersionError(
            f"plan '{content.slug}' is at version {plan.version}; the file has {content.version}"
        )
    plan.version = content.version
    plan.default_locale = content.default_locale
    plan.updated_at = utcnow()  # bumps the content revision even when only texts changed

    translations = {t.locale: t for t in plan.translations}
    for locale, texts in content.locales.items():
        translation = translations.get(locale)
        if translation is None:
            translation = PlanTranslation(locale=locale)
            plan.translations.append(translation)
        translation.title = texts.title
        translation.organisation = texts.organisation
        translation.intro_html = markup_to_html(texts.intro, texts.glossary)

    existing = {section.slug: section for section in plan.sections}
    scores: list[ReadingScore] = []
    for position, spec in enumerate(content.sections, start=1):
        section = existing.pop(spec.slug, None)
        if section is None:
            section = Section(slug=spec.slug, position=position, icon=spec.icon)
            plan.sections.append(section)
        section.position, section.icon, section.retired_at = position, spec.icon, None
        section_texts = {t.locale: t for t in section.texts}
        for locale, texts in content.locales.items():
            source = texts.sections[spec.slug]
            text = section_texts.get(locale)
            if text is None:
                text = SectionText(locale=locale)
                section.texts.append(text)
            simple_score = reading_ease(markup_to_plain(source.simple, texts.glossary), locale)
            official_score = reading_ease(markup_to_plain(source.official, texts.glossary), locale)
            text.title = source.title
            text.summary = source.summary
            text.simple_html = markup_to_html(source.simple, texts.glossary)
            text.official_html = markup_to_html(source.official, texts.glossary)
            text.reading_ease = simple_score
            text.official_reading_ease = official_score
            scores.append(ReadingScore(spec.slug, locale, simple_score, official_score))
    for retired in existing.values():
        retired.retired_at = retired.retired_at or utcnow()

    terms = {(t.locale, t.key): t for t in plan.glossary_terms}
    wanted = set()
    for locale, texts in content.locales.items():
        for entry in texts.glossary.values():
            wanted.add((locale, entry.key))
            term = terms.get((locale, entry.key))
            if term is None:
                term = GlossaryTerm(locale=locale, key=entry.key)
                plan.glossary_terms.append(term)
            term.term, term.definition = entry.term, entry.definition
    for key, term in terms.items():
        if key not in wanted:
            plan.glossary_terms.remove(term)
    db.session.flush()
    return LoadReport(plan=plan, created=created, scores=scores)
