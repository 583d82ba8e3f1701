"""The base of every form: Flask-WTF (CSRF on), with WTForms' own messages in the page's
language from a catalogue parsed once per language and process.

Flask-WTF parses WTForms' catalogue again on every request that builds a form (about half a
millisecond of each idea sent); the catalogue never changes while the app runs.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from babel import support
from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms.i18n import messages_path


@cache
def wtforms_translations(locale: str) -> support.NullTranslations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class Form(FlaskForm):  # type: ignore[misc]
    class Meta(FlaskForm.Meta):  # type: ignore[misc]
        def get_translations(self, form: Any) -> support.NullTranslations:
            return wtforms_translations(str(get_locale()))
