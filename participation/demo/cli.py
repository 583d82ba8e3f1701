"""`flask seed-demo`: fictional ideas and a fictional children's committee, so every panel and
queue of a fresh demo shows something."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import click
import yaml
from flask.cli import with_appcontext
from sqlalchemy import func, select

from participation.audit.models import AuditEvent
from participation.audit.services import record_event
from participation.db import db, utcnow
from participation.demo.committees import seed_demo_committee
from participation.feedback.identity import token_hash
from participation.feedback.models import Submission, SubmissionStatus
from participation.feedback.services import change_submission, submit_idea
from participation.plans.models import Plan, Section
from participation.screening.services import Priority

IDEAS_FILE = Path(__file__).resolve().parent / "ideas.yaml"
SEEDED = "demo.seeded"


def _plan_and_parts() -> tuple[int, dict[str, int]]:
    plan_id = db.session.scalar(select(Plan.id).order_by(
        Plan.shown.desc(), Plan.updated_at.desc()).limit(1))
    if plan_id is None:
        raise click.ClickException("Load a plan first: flask load-plan content/plans/...")
    parts = dict(db.session.execute(
        select(Section.slug, Section.id).where(Section.plan_id == plan_id)).all())
    return plan_id, parts


def _send(plan_id: int, parts: dict[str, int], locale: str, part: str, text: str) -> int:
    """The demo child of ``locale`` sends an idea, screened like any other."""
    result = submit_idea(
        plan_id=plan_id, section_id=parts.get(part), locale=locale, text=text, age_band=None,
        child_hash=token_hash(f"demo-child-{locale}"), idempotency_key=uuid.uuid4().hex,
    )
    return result.submission_id


def seed_demo(echo: Any = click.echo) -> int:
    """Add the fictional ideas once; returns how many were added (0 if already seeded)."""
    if db.session.scalar(select(func.count()).select_from(AuditEvent)
                         .where(AuditEvent.action == SEEDED)):
        echo("Demo ideas: already there.")
        return 0
    plan_id, parts = _plan_and_parts()
    data = yaml.safe_load(IDEAS_FILE.read_text(encoding="utf-8"))
    added = 0
    for locale, ideas in data.items():
        for part, texts in ideas.get("approved", {}).items():
            for text in texts:
                submission = db.session.get(Submission, _send(plan_id, parts, locale, part, text))
                assert submission is not None
                change_submission(submission, status=SubmissionStatus.APPROVED,
                                  published_body=submission.body, decided_at=utcnow())
                added += 1
        for waiting in ideas.get("waiting", []):
            submission_id = _send(plan_id, parts, locale, waiting["part"], waiting["text"])
            submission = db.session.get(Submission, submission_id)
            assert submission is not None
            if waiting.get("escalate"):
                change_submission(submission, priority=Priority.ESCALATED,
                                  escalated_at=utcnow(),
                                  escalation_note="Demo: a reviewer was not sure about this one.")
            added += 1
        echo(f"Demo ideas in {locale}: {sum(len(t) for t in ideas.get('approved', {}).values())}"
             f" shared, {len(ideas.get('waiting', []))} waiting for review.")
    record_event(SEEDED, actor_id=None, details={"ideas": added})
    return added


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Add clearly fictional ideas (shared and waiting) and a children's committee with a sent
    and a draft session, for the local demo; once only."""
    added = seed_demo()
    db.session.commit()
    seed_demo_committee(click.echo)
    db.session.commit()
    if added:
        click.echo(f"Added {added} fictional ideas: every part shows shared ideas, and the "
                   "review queues (ordinary, personal details, check soon, escalated, urgent) "
                   "have items.")


commands = [seed_demo_command]
