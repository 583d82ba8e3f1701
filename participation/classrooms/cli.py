"""`flask classroom start|end`: classroom sessions from a terminal (load tests, rehearsals)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from participation.accounts.services import find_user
from participation.classrooms.services import (
    ClassroomError,
    end_classroom,
    find_classroom,
    format_code,
    start_classroom,
)
from participation.db import db

classroom_group = AppGroup("classroom", help="Start and end classroom sessions.")


@classroom_group.command("start")
@click.option("--name", required=True, help="The group's name (staff pages only).")
@click.option("--expected", type=click.IntRange(1, 200), required=True,
              help="How many children are expected.")
@click.option("--minutes", type=click.IntRange(15, 480), default=60, show_default=True)
@click.option("--locale", default="en", show_default=True)
@click.option("--by", "email", required=True, help="Email of the staff member starting it.")
def start_command(name: str, expected: int, minutes: int, locale: str, email: str) -> None:
    """Start a session now and print its code (ABCD-EFGH) alone on standard output."""
    user = find_user(email)
    if user is None or not user.is_active:
        raise click.ClickException(f"No active staff account for {email}.")
    try:
        classroom = start_classroom(name=name, expected_children=expected, minutes=minutes,
                                    locale=locale, user=user)
        db.session.commit()
    except ClassroomError as exc:
        db.session.rollback()
        raise click.ClickException(f"Could not start the session: {exc.code}.") from exc
    click.echo(format_code(classroom.code))


@classroom_group.command("end")
@click.argument("code")
def end_command(code: str) -> None:
    """End the session with CODE now (ending a closed session changes nothing)."""
    classroom = find_classroom(code)
    if classroom is None:
        raise click.ClickException("No session has this code.")
    ended = end_classroom(classroom, None)
    db.session.commit()
    click.echo("Ended." if ended else "It had already ended.")


commands = [classroom_group]
