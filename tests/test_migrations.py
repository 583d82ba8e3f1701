"""The migrations and the models describe the same schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import MetaData, create_engine, func, make_url, select, text
from sqlalchemy.exc import IntegrityError

from participation import create_app
from participation.accounts.models import Role
from participation.accounts.services import create_user
from participation.db import db, utcnow
from participation.feedback.models import Reaction, ReactionKind, Submission
from participation.moderation.models import Concern
from participation.plans import drafts
from participation.plans.content import PlanContent, markup_to_html
from participation.plans.drafts import draft_data
from participation.plans.models import Plan, PlanRevision, SectionText
from participation.plans.publishing import low_scores, publish_draft
from participation.plans.source import data_to_content
from participation.screening.services import Priority


def test_models_match_migrations(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


COMMITTEES_PARENT = "7692a7e4f8be"  # the revision before committees (concerns: a submission)
REVISIONS_PARENT = "3b7e1f0c9d21"  # the revision before plan revisions and drafts


def insert_plan_rows(content: PlanContent) -> int:
    """Store a plan as ``load_plan`` did before revisions existed, with the tables as they are
    in the database (today's models have columns an older schema lacks)."""
    tables = MetaData()
    tables.reflect(bind=db.engine, only=["plans", "plan_translations", "sections",
                                         "section_texts", "glossary_terms"])
    t = tables.tables
    now = utcnow()
    plan_id = db.session.execute(t["plans"].insert().values(
        slug=content.slug, version=content.version, default_locale=content.default_locale,
        created_at=now, updated_at=now).returning(t["plans"].c.id)).scalar_one()
    for locale, texts in content.locales.items():
        db.session.execute(t["plan_translations"].insert().values(
            plan_id=plan_id, locale=locale, title=texts.title, organisation=texts.organisation,
            intro_html=markup_to_html(texts.intro, texts.glossary), created_at=now,
            updated_at=now))
        for entry in texts.glossary.values():
            db.session.execute(t["glossary_terms"].insert().values(
                plan_id=plan_id, locale=locale, key=entry.key, term=entry.term,
                definition=entry.definition, created_at=now, updated_at=now))
    for position, spec in enumerate(content.sections, start=1):
        section_id = db.session.execute(t["sections"].insert().values(
            plan_id=plan_id, slug=spec.slug, position=position, icon=spec.icon,
            created_at=now, updated_at=now).returning(t["sections"].c.id)).scalar_one()
        for locale, texts in content.locales.items():
            part = texts.sections[spec.slug]
            db.session.execute(t["section_texts"].insert().values(
                section_id=section_id, locale=locale, title=part.title, summary=part.summary,
                simple_html=markup_to_html(part.simple, texts.glossary),
                official_html=markup_to_html(part.official, texts.glossary),
                reading_ease=80.0, official_reading_ease=40.0, created_at=now, updated_at=now))
    return int(plan_id)


@pytest.fixture
def upgrade_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A database of its own (an SQLite file, or a PostgreSQL database named after the test
    database) for upgrading with data."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'upgrade.sqlite3'}"
        return
    url = make_url(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"{url.database}_upgrade"
    server = create_engine(url, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


def test_the_committees_migration_keeps_every_idea_and_concern(
    upgrade_url: str, demo_content: PlanContent
) -> None:
    """A database with children's ideas, reactions and a concern, at the revision before
    committees, upgrades without losing or changing a row; the new rule then holds."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": upgrade_url,
                      "SECRET_KEY": "test-secret-key", "ARGON2_TIME_COST": 1,
                      "ARGON2_MEMORY_COST": 8, "ARGON2_PARALLELISM": 1})
    with app.app_context():
        upgrade(revision=COMMITTEES_PARENT)
        insert_plan_rows(demo_content)
        lead_id = create_user("lead@example.org", "a long and calm passphrase",
                              [Role.SAFEGUARDING_LEAD], actor_id=None, with_totp=False).id
        db.session.commit()
        tables = MetaData()
        tables.reflect(bind=db.engine, only=["submissions", "concerns", "sections"])
        submissions, concerns = tables.tables["submissions"], tables.tables["concerns"]
        assert "submitted_by_id" not in submissions.c  # really the schema before committees
        plan_id = db.session.scalar(select(Plan.id))
        section_id = db.session.scalar(select(tables.tables["sections"].c.id))
        now = utcnow()
        words = ["Plus de parcs, s'il vous plaît !", "I want to vote at school.",
                 "Mi padrastro me pega.", None, "Je ne sais pas trop.", "Mon nom est Léa Martin."]
        lanes = [0, 0, 3, 0, 2, 1]  # the lanes then: 3 urgent, 2 escalated, 1 personal
        for index, body in enumerate(words):
            db.session.execute(submissions.insert().values(
                public_id=f"{index:032x}", plan_id=plan_id, section_id=section_id,
                source="child", locale="fr", body=body, status="pending",
                priority=lanes[index], child_token_hash=f"{index:064x}",
                created_at=now, updated_at=now))
        urgent_id = db.session.scalar(select(submissions.c.id).where(
            submissions.c.public_id == f"{2:032x}"))
        db.session.execute(concerns.insert().values(
            submission_id=urgent_id, opened_by_id=lead_id, opened_at=now))
        tables.reflect(bind=db.engine, only=["reactions"])
        db.session.execute(tables.tables["reactions"].insert().values(
            section_id=section_id, child_token_hash="a" * 64, kind=ReactionKind.AGREE.value,
            locale="fr", created_at=now, updated_at=now))
        db.session.commit()
        before = {row.public_id: (row.body, row.status, row.priority)
                  for row in db.session.execute(select(submissions))}
        db.session.remove()

        upgrade()

        after = {item.public_id: (item.body, item.status, item.priority)
                 for item in db.session.scalars(select(Submission))}
        # Lanes renumbered for "check soon" (3b7e1f0c9d21): urgent 3 -> 4, escalated 2 -> 3.
        renumbered = {3: Priority.URGENT, 2: Priority.ESCALATED}
        assert after == {public_id: (body, status, renumbered.get(lane, lane))
                         for public_id, (body, status, lane) in before.items()}
        assert all(item.submitted_by_id is None for item in db.session.scalars(
            select(Submission)))
        concern = db.session.scalars(select(Concern)).one()
        assert (concern.submission_id, concern.committee_session_id) == (urgent_id, None)
        assert db.session.scalar(select(func.count()).select_from(Reaction)) == 1
        # Exactly one subject: a concern about nothing is refused by the database itself.
        with pytest.raises(IntegrityError):
            db.session.execute(concerns.insert().values(opened_by_id=lead_id, opened_at=now))
        db.session.rollback()
        db.engine.dispose()


def test_the_revisions_migration_moves_the_live_plan_without_loss(
    upgrade_url: str, demo_content: PlanContent
) -> None:
    """A database with a plan, children's ideas and reactions, before revisions: the plan
    becomes revision 1 with its exact source and a draft equal to it, every idea and reaction
    points at that revision, and publishing that draft unchanged gives the same pages."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": upgrade_url,
                      "SECRET_KEY": "test-secret-key"})
    with app.app_context():
        upgrade(revision=REVISIONS_PARENT)
        plan_id = insert_plan_rows(demo_content)
        tables = MetaData()
        tables.reflect(bind=db.engine, only=["submissions", "sections", "reactions",
                                             "section_texts"])
        submissions, sections = tables.tables["submissions"], tables.tables["sections"]
        assert "revision_id" not in submissions.c  # really the schema before revisions
        section_id = db.session.scalar(select(sections.c.id).where(
            sections.c.plan_id == plan_id).limit(1))
        now = utcnow()
        for index, body in enumerate(["Plus de parcs !", "More trees.", None]):
            db.session.execute(submissions.insert().values(
                public_id=f"{index:032x}", plan_id=plan_id, section_id=section_id,
                source="child", locale="fr", body=body, status="pending", priority=0,
                child_token_hash=f"{index:064x}", created_at=now, updated_at=now))
        db.session.execute(tables.tables["reactions"].insert().values(
            section_id=section_id, child_token_hash="b" * 64, kind="agree", locale="en",
            created_at=now, updated_at=now))
        texts = tables.tables["section_texts"]
        pages_before = sorted(db.session.execute(select(
            texts.c.locale, texts.c.title, texts.c.simple_html, texts.c.official_html)).all())
        db.session.commit()
        db.session.remove()

        upgrade()

        plan = db.session.get(Plan, plan_id)
        assert plan is not None and plan.shown
        revision = db.session.scalars(select(PlanRevision)).one()
        assert (revision.number, revision.source) == (demo_content.version, "migrated")
        # The source came back: the same words, words to know and pages as the files it was
        # loaded from (markup may differ in form only: "[[ngo|ONG]]" when ONG is the word).
        migrated = data_to_content(revision.content)
        assert migrated.sections == demo_content.sections
        for locale, original in demo_content.locales.items():
            back = migrated.locales[locale]
            assert back.glossary == original.glossary
            assert (back.title, back.organisation) == (original.title, original.organisation)
            assert markup_to_html(back.intro, back.glossary) == markup_to_html(
                original.intro, original.glossary)
            for slug, part in original.sections.items():
                again = back.sections[slug]
                assert (again.title, again.summary) == (part.title, part.summary)
                for field in ("simple", "official"):
                    assert markup_to_html(getattr(again, field), back.glossary) == \
                        markup_to_html(getattr(part, field), original.glossary), (slug, field)
        assert {s.revision_id for s in db.session.scalars(select(Submission))} == {revision.id}
        assert db.session.scalars(select(Reaction)).one().revision_id == revision.id
        assert drafts.complete_locales(plan_id, ("fr", "en", "es")) == ["fr", "en", "es"]
        def by_key(texts_: dict) -> dict:  # type: ignore[type-arg]
            return {**texts_, "glossary": sorted(texts_["glossary"], key=lambda e: e["key"])}

        drafted = draft_data(plan, ("fr", "en", "es"))["locales"]
        assert {k: by_key(v) for k, v in drafted.items()} == {
            k: by_key(v) for k, v in revision.content["locales"].items()}
        # Publishing the migrated draft as it is changes no page children read.
        publish_draft(plan, ["fr", "en", "es"], reasons={
            (low.part, low.locale): "as loaded" for low in low_scores(
                draft_data(plan, ("fr", "en", "es")))},
            all_locales=("fr", "en", "es"), actor_id=None)  # type: ignore[arg-type]
        db.session.commit()
        pages_after = sorted((t.locale, t.title, t.simple_html, t.official_html)
                             for t in db.session.scalars(select(SectionText)))
        assert pages_after == [tuple(row) for row in pages_before]
        assert plan.version == demo_content.version + 1
        db.engine.dispose()
