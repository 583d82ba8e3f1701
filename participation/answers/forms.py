"""Organisers' forms for answers: one per action (write, link, publish, approve, withdraw, add
and approve a progress update), and the staff words for decisions and statuses."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    Field,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from participation.answers.models import AnswerStatus, AnswerSubject, Decision
from participation.answers.services import (
    BODY_MAX_LENGTH,
    REASON_MAX_LENGTH,
    THEME_MAX_LENGTH,
    UPDATE_MAX_LENGTH,
    TextInput,
)
from participation.config import SUPPORTED_LOCALES
from participation.forms import Form

DECISION_LABELS = {
    Decision.WILL_DO: _l("We will do it"),
    Decision.ALREADY_DO: _l("We already do it"),
    Decision.PARTLY: _l("We will do part of it"),
    Decision.NOT_NOW: _l("Not now (say why)"),
    Decision.CANNOT: _l("We can't (say why)"),
    Decision.DECIDING: _l("We are still deciding"),
}
STATUS_LABELS = {
    AnswerStatus.DRAFT: _l("Draft"),
    AnswerStatus.AWAITING_APPROVAL: _l("Waiting for a second organiser"),
    AnswerStatus.PUBLISHED: _l("Published"),
    AnswerStatus.WITHDRAWN: _l("Withdrawn"),
}
SUBJECT_LABELS = {
    AnswerSubject.PART: _l("A part of the plan"),
    AnswerSubject.MISSING: _l("Something missing (a theme)"),
    AnswerSubject.COMMITTEE_SESSION: _l("A committee session"),
}


def body_name(locale: str) -> str:
    return f"body_{locale}"


def reason_name(locale: str) -> str:
    return f"reason_{locale}"


class _AnswerFields(Form):
    """The decision and, per language, the children's text and the reason."""

    decision = RadioField(_l("Decision"), choices=[SelectChoice(d.value, label)
                                                  for d, label in DECISION_LABELS.items()],
                          validators=[InputRequired()])

    def texts(self, locales: tuple[str, ...]) -> dict[str, TextInput]:
        """The text given in each language (empty ones too: they clear a draft's language)."""
        return {locale: TextInput(self[body_name(locale)].data or "",
                                  self[reason_name(locale)].data or "")
                for locale in locales}

    def language_fields(self, locale: str) -> tuple[Field, Field]:
        return self[body_name(locale)], self[reason_name(locale)]


for _locale in SUPPORTED_LOCALES:
    setattr(_AnswerFields, body_name(_locale), TextAreaField(
        _l("What children read"), validators=[Optional(), Length(max=BODY_MAX_LENGTH)],
        render_kw={"rows": 7, "maxlength": BODY_MAX_LENGTH, "lang": _locale}))
    setattr(_AnswerFields, reason_name(_locale), TextAreaField(
        _l("Why (needed for \u201cnot now\u201d and \u201ccan't\u201d)"),
        validators=[Optional(), Length(max=REASON_MAX_LENGTH)],
        render_kw={"rows": 3, "maxlength": REASON_MAX_LENGTH, "lang": _locale}))


class AnswerForm(_AnswerFields):
    """Change a draft answer."""


class NewAnswerForm(_AnswerFields):
    """Start an answer: what it is about, then the decision and the texts."""

    subject = RadioField(_l("The answer is about"),
                         choices=[SelectChoice(s.value, label)
                                  for s, label in SUBJECT_LABELS.items()],
                         default=AnswerSubject.PART.value, validators=[InputRequired()])
    section = SelectField(_l("Part of the plan"), coerce=int, validate_choice=False,
                          validators=[Optional()])
    theme = StringField(_l("Theme of the \u201csomething missing\u201d ideas"),
                        description=_l("Your words, e.g. \u201csport\u201d. Children read the "
                                       "answer, not this name."),
                        validators=[Optional(), Length(max=THEME_MAX_LENGTH)],
                        render_kw={"maxlength": THEME_MAX_LENGTH})
    session = SelectField(_l("Committee session"), validate_choice=False,
                          validators=[Optional()])

    def set_choices(self, parts: list[tuple[int, str]], sessions: list[tuple[str, str]]) -> None:
        """Parts of the current plan, and sessions an answer may be written for."""
        self.section.choices = [SelectChoice(0, str(_l("Choose a part"))),
                                *(SelectChoice(value, label) for value, label in parts)]
        self.session.choices = [SelectChoice("", str(_l("Choose a session"))),
                                *(SelectChoice(value, label) for value, label in sessions)]


class MultiCheckboxField(SelectMultipleField):  # type: ignore[misc]
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LinksForm(Form):
    """The approved ideas and statements an answer answers."""

    submissions = MultiCheckboxField(_l("Ideas and statements this answer answers"), coerce=int,
                                     validate_choice=True)

    def set_choices(self, choices: list[tuple[int, Any]]) -> None:
        self.submissions.choices = [SelectChoice(value, label) for value, label in choices]


class PublishForm(Form):
    """Publish a draft, or send it to a second organiser."""


class ApproveForm(Form):
    """A second organiser approves an answer."""


class WithdrawForm(Form):
    """Take a published answer down."""


class UpdateForm(Form):
    """A progress update in every language."""

    def texts(self, locales: tuple[str, ...]) -> dict[str, str]:
        return {locale: self[f"update_{locale}"].data or "" for locale in locales}


for _locale in SUPPORTED_LOCALES:
    setattr(UpdateForm, f"update_{_locale}", TextAreaField(
        _l("What happened since"), validators=[Optional(), Length(max=UPDATE_MAX_LENGTH)],
        render_kw={"rows": 3, "maxlength": UPDATE_MAX_LENGTH, "lang": _locale}))


class ApproveUpdateForm(Form):
    """A second organiser approves a progress update."""
