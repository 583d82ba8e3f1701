"""Template helpers shared by every audience's layout."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from babel.lists import format_list
from flask import Flask
from flask_babel import get_locale
from markupsafe import Markup, escape

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
ICON_DIR = STATIC_DIR / "img" / "icons"
# Asset URLs carry a hash of the file, so browsers may keep them for a year: a child on a slow
# network downloads CSS, scripts and pictures once.
ASSET_MAX_AGE = 60 * 60 * 24 * 365
_ICON_NAME_RE = re.compile(r"^[a-z0-9-]+$")


@cache
def _icon_svg(name: str) -> str:
    if not _ICON_NAME_RE.match(name):
        raise ValueError(f"bad icon name {name!r}")
    svg = (ICON_DIR / f"{name}.svg").read_text(encoding="utf-8").strip()
    opening, rest = svg.split(">", 1)
    opening = re.sub(r'\s(?:width|height)="[^"]*"', "", opening)  # the page sets the size
    # Decorative: hidden from assistive technology, never focusable, coloured by CSS currentColor.
    attributes = 'class="icon" aria-hidden="true" focusable="false" width="24" height="24"'
    return opening.replace("<svg ", f"<svg {attributes} ", 1) + ">" + rest


def icon(name: str) -> Markup:
    """Inline one of our own UI icons (static/img/icons/NAME.svg) so it takes the text colour."""
    return Markup(_icon_svg(name))  # noqa: S704 - our own static files, never user input


@cache
def asset_url(filename: str) -> str:
    """URL of a file in static/ with a content hash, e.g. ``/static/css/app.css?v=1a2b3c4d``."""
    path = (STATIC_DIR / filename).resolve()
    if STATIC_DIR not in path.parents:
        raise ValueError(f"{filename!r} is outside static/")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
    return f"/static/{filename}?v={digest}"


# Hole punching: a fragment that is the same for every child except a few small values (a CSRF
# token, a key, which button is pressed) is rendered once with named holes, then filled per
# request with one regular-expression pass instead of a full template render.
_HOLE_NAME_RE = re.compile(r"^[a-z0-9_:-]+$")
_HOLE_RE = re.compile("\u27e6([a-z0-9_:-]+)\u27e7")


def hole(name: str) -> Markup:
    """A named hole in a cached fragment (``⟦name⟧``)."""
    if not _HOLE_NAME_RE.match(name):
        raise ValueError(f"bad hole name {name!r}")
    return Markup(f"\u27e6{name}\u27e7")  # noqa: S704 - a fixed marker


def fill_holes(fragment: str, values: dict[str, str]) -> Markup:
    """Fill every hole of ``fragment``; values must already be safe HTML (tokens, keys, flags)."""
    return Markup(_HOLE_RE.sub(lambda match: values[match.group(1)], fragment))  # noqa: S704


def listing(items: Iterable[str]) -> Markup:
    """Items as a list in words, the way the page's language joins them ("a, b and c")."""
    escaped = [escape(item) for item in items]
    if not escaped:
        return Markup("")
    # Each item is escaped; CLDR's list patterns ("{0}, {1}") carry no markup.
    return Markup(format_list(escaped, locale=str(get_locale())))  # noqa: S704


def init_app(app: Flask) -> None:
    app.jinja_env.globals["icon"] = icon
    app.jinja_env.globals["listing"] = listing
    app.jinja_env.globals["asset_url"] = asset_url
    app.jinja_env.globals["hole"] = hole
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = ASSET_MAX_AGE
