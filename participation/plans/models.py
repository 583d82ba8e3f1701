"""Plan content as stored: a plan, its sections in order, their texts per locale, a glossary.

Texts are stored as HTML produced by :mod:`participation.plans.content` from versioned content
files, and are sanitised again by the one allowlist when rendered.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.db import TimestampMixin, UTCDateTime, db


class Plan(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    version: Mapped[int] = mapped_column(Integer)
    default_locale: Mapped[str] = mapped_column(String(8))

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
