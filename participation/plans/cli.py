"""Command-line tools for the people who maintain plan content."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from participation.db import db
from participation.plans.content import ContentError, read_plan_folder
from participation.plans.models import Plan, Section, SectionText
from participation.plans.publishing import load_plan_file, show_plan
from participation.plans.queries import plan_cache
from participation.plans.readability import FORMULA_NAMES, TARGET_READING_EASE
from participation.plans.services import PlanVersionError


@click.command("load-plan")
@click.argument("path", type=click.Path(file_okay=False, path_type=str))
@click.option("--allow-downgrade", is_flag=True, help="Load a file older than the stored plan.")
@with_appcontext
def load_plan_command(path: str, allow_downgrade: bool) -> None:
    """Load or update a plan from a content folder (plan.yaml + one YAML file per locale)."""
    try:
        content = read_plan_folder(path, tuple(current_app.config["LANGUAGES"]))
        report = load_plan_file(content, allow_downgrade=allow_downgrade)
        db.session.commit()
    except ContentError as exc:
        db.session.rollback()
        click.echo("The plan was not loaded; nothing was changed:", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        raise SystemExit(1) from exc
    except PlanVersionError as exc:
        db.session.rollback()
        click.echo(f"The plan was not loaded: {exc}", err=True)
        raise SystemExit(1) from exc
    plan_cache().clear()
    verb = "Created" if report.created else "Updated"
    click.echo(f"{verb} plan '{report.plan.slug}' version {report.plan.version}.")
    low = [s for s in report.scores if s.simple < TARGET_READING_EASE]
    for score in low:
        click.echo(
            f"  warning: {score.section} ({score.locale}) reads at {score.simple:.0f}, "
            f"below the target of {TARGET_READING_EASE:.0f}",
            err=True,
        )


@click.command("plan-readability")
@click.option("--plan", "plan_slug", default=None, help="Plan slug (default: all plans).")
@with_appcontext
def plan_readability_command(plan_slug: str | None) -> None:
    """Print the reading-ease score of every section in every language."""
    query = (
        select(
            Plan.slug,
            Section.slug,
            SectionText.locale,
            SectionText.reading_ease,
            SectionText.official_reading_ease,
        )
        .join(Section, Section.plan_id == Plan.id)
        .join(SectionText, SectionText.section_id == Section.id)
        .where(Section.retired_at.is_(None))
        .order_by(Plan.slug, Section.position, SectionText.locale)
    )
    if plan_slug:
        query = query.where(Plan.slug == plan_slug)
    rows = db.session.execute(query).all()
    if not rows:
        raise click.ClickException("No plan is loaded.")
    click.echo(f"{'plan':<18} {'section':<14} {'locale':<6} {'simple':>7} {'official':>8}  formula")
    for plan, section, locale, simple, official in rows:
        flag = "" if simple >= TARGET_READING_EASE else "  < target"
        click.echo(
            f"{plan:<18} {section:<14} {locale:<6} {simple:>7.1f} {official:>8.1f}  "
            f"{FORMULA_NAMES.get(locale, 'Flesch')}{flag}"
        )


@click.command("show-plan")
@click.argument("slug")
@with_appcontext
def show_plan_command(slug: str) -> None:
    """Children see this plan (as an organiser's "Show this plan to children" does)."""
    plan = db.session.scalar(select(Plan).where(Plan.slug == slug))
    if plan is None or plan.version == 0:
        click.echo(f"No published plan '{slug}': load it first with flask load-plan.", err=True)
        raise SystemExit(1)
    show_plan(plan, actor_id=None)
    db.session.commit()
    plan_cache().clear()
    click.echo(f"Children now see plan '{slug}'.")


commands = [load_plan_command, plan_readability_command, show_plan_command]
