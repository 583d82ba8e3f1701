"""How a redacted idea reads: screening's placeholder ("[hidden]", "[caché]", "[…]") is never
shown as typed; each run of them becomes one marker that screen readers read as "some words
were hidden" and eyes see as "…"."""

from __future__ import annotations

import re
from functools import cache

from flask import current_app
from flask_babel import get_locale, gettext
from markupsafe import Markup, escape

from participation.screening.rules import RulesError, load_rules

# The rules' default placeholder, and the same typed with three dots by a reviewer.
DEFAULT_PLACEHOLDERS = ("[…]", "[...]")


def placeholders(locales: tuple[str, ...]) -> tuple[str, ...]:
    """Every placeholder a shared text may hold: a reviewer may keep any language's."""
    found = list(DEFAULT_PLACEHOLDERS)
    for locale in locales:
        try:
            found.append(load_rules(locale).placeholder)
        except RulesError:  # a language without screening rules uses the default
            continue
    return tuple(dict.fromkeys(found))


@cache
def _placeholder_re(locales: tuple[str, ...]) -> re.Pattern[str]:
    one = "|".join(re.escape(item) for item in sorted(placeholders(locales), key=len,
                                                      reverse=True))
    return re.compile(rf"(?:{one})(?:\s*(?:{one}))*", re.IGNORECASE)


def hidden_words_marker() -> Markup:
    """The marker for words an adult hid, in the page's language (even inside an idea
    written in another one)."""
    return Markup(
        '<span class="hidden-words"><span class="visually-hidden" lang="{}">{}</span>'
        '<span aria-hidden="true">…</span></span>'
    ).format(str(get_locale() or ""), gettext("some words were hidden"))


def shared_text(text: str | None) -> Markup:
    """A shared idea as HTML: the child's (escaped) words, placeholders as markers."""
    pattern = _placeholder_re(tuple(current_app.config["LANGUAGES"]))
    pieces = pattern.split(text or "")
    if len(pieces) == 1:
        return escape(pieces[0])
    marker = hidden_words_marker()
    return marker.join(escape(piece) for piece in pieces)
