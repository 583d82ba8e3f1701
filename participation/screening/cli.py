"""`flask screen`: try the screening rules from a terminal (for the people who maintain them)."""

from __future__ import annotations

import json
import sys

import click

from participation.config import SUPPORTED_LOCALES
from participation.screening.services import screen_text


@click.command("screen")
@click.option("--locale", type=click.Choice(SUPPORTED_LOCALES), required=True)
@click.argument("text", required=False)
def screen_command(locale: str, text: str | None) -> None:
    """Screen TEXT, or each line of standard input, and print one JSON object per text."""
    texts = [text] if text is not None else (line.rstrip("\n") for line in sys.stdin)
    for item in texts:
        click.echo(json.dumps(screen_text(item, locale).as_dict(), ensure_ascii=False))


commands = [screen_command]
