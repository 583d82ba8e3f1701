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
from participation.plans.content import PlanContent
from participation.plans.models import Plan
from participation.plans.services import load_plan
from participation.screening.services import Priority


def test_models_match_migrations(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


COMMITTEES_PARENT = "7692a7e4f8be"  # the revision before committees (concerns: a submission)


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
        load_plan(demo_content)
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
        db.session.add(Reaction(section_id=section_id, child_token_hash="a" * 64,
                                kind=ReactionKind.AGREE, locale="fr"))
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
