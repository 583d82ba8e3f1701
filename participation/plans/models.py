"""Plan content as stored: a plan, its sections in order, their texts per locale, a glossary.

Three layers:

* the **live** plan children read (``plans``, ``sections``, ``section_texts``, ``glossary_terms``,
  ``plan_translations``): HTML produced by :mod:`participation.plans.content`, sanitised again
  by the one allowlist when rendered;
* **revisions** (``plan_revisions``): each publication, immutable, holding the whole plan as its
  source (the same data as the YAML files); ideas, reactions and committee input point at the
  revision children were reading;
* the **draft** organisers edit in the browser (``draft_parts``, ``draft_texts``,
  ``draft_terms``): plan markup, one row per part and language with a version number, so two
  organisers never overwrite each other silently.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.db import AppendOnly, TimestampMixin, UTCDateTime, db, utcnow


class Plan(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    version: Mapped[int] = mapped_column(Integer)  # the number of the published revision
    default_locale: Mapped[str] = mapped_column(String(8))
    # The plan children see (an organiser chooses; one at a time). PLAN_SLUG, when set, wins.
    shown: Mapped[bool] = mapped_column(Boolean, default=False)

    translations: Mapped[list[PlanTranslation]] = relationship(
        back_populates="plan", cascade="all, delete-orphan"
    )
    sections: Mapped[list[Section]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="Section.position"
    )
    glossary_terms: Mapped[list[GlossaryTerm]] = relationship(
        back_populates="plan", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Plan {self.slug} v{self.version}>"


class PlanTranslation(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """The plan's own words in one locale: its title for children and the home-page welcome."""

    __tablename__ = "plan_translations"
    __table_args__ = (UniqueConstraint("plan_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    locale: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(200))
    intro_html: Mapped[str] = mapped_column(Text)

    plan: Mapped[Plan] = relationship(back_populates="translations")

    def __repr__(self) -> str:
        return f"<PlanTranslation plan={self.plan_id} {self.locale}>"


class Section(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """One part of the plan. Feedback will point at sections, so they are updated, never replaced;
    a section dropped from the content file is retired (kept, hidden) rather than deleted."""

    __tablename__ = "sections"
    __table_args__ = (UniqueConstraint("plan_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer)
    icon: Mapped[str] = mapped_column(String(40))
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    plan: Mapped[Plan] = relationship(back_populates="sections")
    texts: Mapped[list[SectionText]] = relationship(
        back_populates="section", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Section {self.slug} #{self.position}>"


class SectionText(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "section_texts"
    __table_args__ = (UniqueConstraint("section_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(
        ForeignKey("sections.id", ondelete="CASCADE"), index=True
    )
    locale: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(300))
    simple_html: Mapped[str] = mapped_column(Text)
    official_html: Mapped[str] = mapped_column(Text)
    # Reading ease of the simplified text (Flesch with the locale's constants; Fernandez-Huerta
    # for Spanish), computed when the content is loaded so organisers can keep texts simple.
    reading_ease: Mapped[float] = mapped_column(Float)
    official_reading_ease: Mapped[float] = mapped_column(Float)

    section: Mapped[Section] = relationship(back_populates="texts")

    def __repr__(self) -> str:
        return f"<SectionText section={self.section_id} {self.locale}>"


class GlossaryTerm(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "glossary_terms"
    __table_args__ = (UniqueConstraint("plan_id", "locale", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    locale: Mapped[str] = mapped_column(String(8))
    key: Mapped[str] = mapped_column(String(80))
    term: Mapped[str] = mapped_column(String(200))
    definition: Mapped[str] = mapped_column(Text)

    plan: Mapped[Plan] = relationship(back_populates="glossary_terms")

    def __repr__(self) -> str:
        return f"<GlossaryTerm {self.locale}:{self.key}>"


class PlanRevision(AppendOnly, db.Model):  # type: ignore[name-defined,misc]
    """One publication of a plan: the whole plan as its source, never changed afterwards.

    ``content`` is the data of the YAML files: ``{"slug", "version", "default_locale",
    "sections": [{"slug", "icon"}], "locales": {locale: {"title", "organisation", "intro",
    "sections": {slug: {"title", "summary", "simple", "official"}}, "glossary": [...]}}}``.
    """

    __tablename__ = "plan_revisions"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    # How it came: "file" (flask load-plan), "editor", "republished" (of an earlier one),
    # "migrated" (what was live when revisions began).
    source: Mapped[str] = mapped_column(String(20))
    # Parts published below the reading-ease floor, with the organiser's reason.
    note: Mapped[str | None] = mapped_column(Text, default=None)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )

    def __repr__(self) -> str:
        return f"<PlanRevision plan={self.plan_id} #{self.number}>"


class DraftPart(db.Model):  # type: ignore[name-defined,misc]
    """A part of the plan being written: its place and its picture."""

    __tablename__ = "draft_parts"
    __table_args__ = (UniqueConstraint("plan_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer)
    icon: Mapped[str] = mapped_column(String(40))


class DraftText(db.Model):  # type: ignore[name-defined,misc]
    """One part's words in one language, as plan markup (``part`` "" holds the plan's own
    texts: ``title``, ``summary`` = the organisation, ``simple`` = the welcome).

    ``version`` grows by one at each save; a save names the version it was based on, and one
    based on an older version is a conflict, never a silent overwrite.
    """

    __tablename__ = "draft_texts"
    __table_args__ = (UniqueConstraint("plan_id", "part", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    part: Mapped[str] = mapped_column(String(80))
    locale: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(String(200), default="")
    simple: Mapped[str] = mapped_column(Text, default="")
    official: Mapped[str] = mapped_column(Text, default="")
    ready: Mapped[bool] = mapped_column(Boolean, default=False)  # the writer says it is done
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )


class DraftTerm(db.Model):  # type: ignore[name-defined,misc]
    """A word to know in one language: the word and a child's definition."""

    __tablename__ = "draft_terms"
    __table_args__ = (UniqueConstraint("plan_id", "locale", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    locale: Mapped[str] = mapped_column(String(8))
    key: Mapped[str] = mapped_column(String(80))
    term: Mapped[str] = mapped_column(String(200))
    definition: Mapped[str] = mapped_column(Text)
