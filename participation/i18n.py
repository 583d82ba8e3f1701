"""Which language a page speaks: the URL decides, then the `lang` cookie, then Accept-Language.

Child pages live under ``/<lang_code>/`` so a link always opens in the language it was shared in;
visiting such a page remembers the choice in a cookie for the next visit to ``/``.
"""

from __future__ import annotations

import re
from typing import Any

from babel import Locale
from babel.support import NullTranslations
from flask import Flask, Response, current_app, g, request, url_for
from flask_babel import get_translations

LANG_COOKIE = "lang"
LANG_COOKIE_MAX_AGE = 60 * 60 * 24 * 365

# Language names as their speakers write them: the switcher shows each in its own language.
NATIVE_NAMES = {"fr": "Français", "en": "English", "es": "Español"}


# French typography: a narrow no-break space before ? ! ; and a no-break space before : and
# inside « », so the mark never starts a line on a narrow phone. Plain spaces typed by a
# writer are replaced; a mark with no space before it (a URL's "https:") is left alone.
_FR_BEFORE_NARROW = re.compile(r"[ \t\u00a0]+([?!;»])")
_FR_BEFORE_COLON = re.compile(r"[ \t\u202f]+:")
_FR_AFTER_GUILLEMET = re.compile(r"«[ \t\u202f]+")


def typeset(text: str, locale: str) -> str:
    """``text`` with the spacing rules of ``locale`` (only French has any here)."""
    if locale != "fr":
        return text
    text = _FR_BEFORE_NARROW.sub(lambda m: ("\u00a0" if m.group(1) == "»" else "\u202f")
                                 + m.group(1), text)
    text = _FR_BEFORE_COLON.sub("\u00a0:", text)
    return _FR_AFTER_GUILLEMET.sub("«\u00a0", text)


def supported_locales() -> tuple[str, ...]:
    return tuple(current_app.config["LANGUAGES"])


def preferred_locale() -> str:
    """The locale for a request whose URL does not name one (e.g. ``/`` or an unknown URL)."""
    locales = supported_locales()
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in locales:
        return cookie
    return (
        request.accept_languages.best_match(locales) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def select_locale() -> str:
    """Flask-Babel's locale selector. An unmatched URL still speaks the language it starts with."""
    code = g.get("lang_code") or request.path.strip("/").split("/", 1)[0]
    if code in supported_locales():
        return str(code)
    return preferred_locale()


def text_direction(code: str) -> str:
    """``ltr`` or ``rtl`` for the ``dir`` attribute of ``<html>``."""
    return "rtl" if Locale.parse(code).character_order == "right-to-left" else "ltr"


def _note_lang_code(endpoint: str | None, values: dict[str, Any] | None) -> None:
    if values and "lang_code" in values:
        g.lang_code = values["lang_code"]


def _add_lang_code(endpoint: str, values: dict[str, Any]) -> None:
    if "lang_code" in values or not g.get("lang_code"):
        return
    if current_app.url_map.is_endpoint_expecting(endpoint, "lang_code"):
        values["lang_code"] = g.lang_code


def _remember_locale(response: Response) -> Response:
    code = g.get("lang_code")
    if code in supported_locales() and request.cookies.get(LANG_COOKIE) != code:
        response.set_cookie(
            LANG_COOKIE,
            code,
            max_age=LANG_COOKIE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    return response


def language_url(code: str) -> str:
    """The current page in another language, or that language's home page.

    Every localised URL starts with ``/<lang_code>/``, so swapping that segment is enough
    (and far cheaper than rebuilding the URL, which the layout does for every language).
    """
    current = g.get("lang_code")
    if current and not g.get("error_page"):
        return f"{request.script_root}/{code}{request.path[len(current) + 1 :]}"
    return url_for("plans.home", lang_code=code)


def _request_translations() -> NullTranslations:
    """The request's catalogue, looked up once per request rather than once per string."""
    translations: NullTranslations | None = g.get("_translations")
    if translations is None:
        translations = g._translations = get_translations()
    return translations


def _template_gettext(message: str) -> str:
    return _request_translations().ugettext(message)


def _template_ngettext(singular: str, plural: str, number: int) -> str:
    return _request_translations().ungettext(singular, plural, number)


def init_app(app: Flask) -> None:
    """Wire the URL prefix, the cookie and the template helpers into the app."""
    # Flask-Babel resolves the locale and catalogue on every call; a page has dozens of strings.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        _template_gettext, _template_ngettext, newstyle=True
    )
    app.url_value_preprocessor(_note_lang_code)
    app.url_defaults(_add_lang_code)
    app.after_request(_remember_locale)

    @app.context_processor
    def locale_context() -> dict[str, Any]:
        code = select_locale()
        return {
            "current_locale": code,
            "text_dir": text_direction(code),
            "locales": supported_locales(),
            "native_names": NATIVE_NAMES,
            "language_url": language_url,
        }
