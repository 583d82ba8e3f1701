"""`flask create-user`: set up staff accounts from a terminal."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from participation.accounts.models import Role
from participation.accounts.services import AccountError, create_user, find_user, totp_uri
from participation.db import db

MESSAGES = {
    "passphrase_too_short": "The passphrase must have at least 15 characters (a few words).",
    "email_taken": "An account with this email already exists.",
    "bad_email": "That does not look like an email address.",
    "email_control": "An email address cannot contain a line break or another invisible "
                     "(control) character.",
    "no_role": "Give at least one --role.",
}


@click.command("create-user")
@click.argument("email")
@click.option("--role", "roles", multiple=True, required=True,
              type=click.Choice([role.value for role in Role]))
@click.option("--if-missing", is_flag=True, help="Do nothing if the account already exists.")
@with_appcontext
def create_user_command(email: str, roles: tuple[str, ...], if_missing: bool) -> None:
    """Create a staff account; the passphrase is read from standard input (or prompted for)."""
    if if_missing and find_user(email) is not None:
        click.echo(f"{email} already exists.")
        return
    if sys.stdin.isatty():
        passphrase = click.prompt("Passphrase", hide_input=True, confirmation_prompt=True)
    else:
        passphrase = sys.stdin.readline().rstrip("\n")
    with_totp = bool(current_app.config["STAFF_TOTP_REQUIRED"])
    try:
        user = create_user(email, passphrase, [Role(r) for r in roles], actor_id=None,
                           with_totp=with_totp)
        db.session.commit()
    except AccountError as exc:
        db.session.rollback()
        raise click.ClickException(MESSAGES[exc.code]) from exc
    click.echo(f"Created {user.email} ({', '.join(sorted(roles))}).")
    if with_totp:
        click.echo("Add this to an authenticator app (it is shown once):")
        click.echo(totp_uri(user))


commands = [create_user_command]
