"""Retention: delete the words of rejected and withdrawn ideas after a set number of days."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from participation.db import db
from participation.feedback.services import purge_expired_texts


@click.command("purge-feedback")
@click.option("--days", type=int, default=None, help="Default: FEEDBACK_RETENTION_DAYS (90).")
@with_appcontext
def purge_feedback_command(days: int | None) -> None:
    """Delete the texts of rejected and withdrawn ideas older than DAYS (run it daily)."""
    days = current_app.config["FEEDBACK_RETENTION_DAYS"] if days is None else days
    if days < 0:
        raise click.BadParameter("must be 0 or more", param_hint="--days")
    count = purge_expired_texts(days)
    db.session.commit()
    click.echo(f"Deleted the text of {count} idea(s) older than {days} day(s).")


commands = [purge_feedback_command]
