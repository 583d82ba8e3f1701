"""Forms of the session recorder: one per action. None of them asks for a child's name, and
the help texts say so where a facilitator might be tempted to write one."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from participation.committees.labels import (
    METHOD_LABELS,
    POSITION_LABELS,
    SHARE_LABELS,
    STATEMENT_KIND_LABELS,
    VOICE_LABELS,
    as_text,
)
from participation.committees.sessions import (
    ACCOUNT_MAX,
    CASE_REFERENCE_MAX,
    HARD_WORDS_MAX,
    KEPT_AT_MAX,
    MAX_CHILDREN,
    NOTE_MAX,
)
from participation.feedback.services import MAX_IDEA_LENGTH
from participation.forms import Form
from participation.i18n import NATIVE_NAMES


def options(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms' choices."""
    return [SelectChoice(value, str(label)) for value, label in pairs]


def yes_no() -> list[SelectChoice]:
    return [SelectChoice("yes", str(_l("Yes"))), SelectChoice("no", str(_l("No")))]
SOMETHING_MISSING = "missing"  # the part choice for "something missing"


def method_labels() -> dict[str, str]:
    return as_text(METHOD_LABELS)


def position_labels() -> dict[str, str]:
    return as_text(POSITION_LABELS)


def kind_labels() -> dict[str, str]:
    return as_text(STATEMENT_KIND_LABELS)


def voice_labels() -> dict[str, str]:
    return as_text(VOICE_LABELS)


def share_labels() -> dict[str, str]:
    return as_text(SHARE_LABELS)


class MultiCheckboxField(SelectMultipleField):  # type: ignore[misc]
    """Several choices as checkboxes (parts, methods)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class StartSessionForm(Form):
    held_on = DateField(_l("Date of the session"), validators=[InputRequired()])
    locale = SelectField(_l("Language of the session"))

    def set_choices(self, locales: list[str]) -> None:
        self.locale.choices = options((code, NATIVE_NAMES.get(code, code)) for code in locales)


class PrepareForm(Form):
    parts = MultiCheckboxField(_l("Parts of the plan to discuss"), coerce=int,
                               validators=[DataRequired(_l("Choose at least one part."))])
    locale = SelectField(_l("Language of the session"))
    methods = MultiCheckboxField(_l("Methods"),
                                 validators=[DataRequired(_l("Choose at least one method."))])

    def set_choices(self, sections: list[tuple[int, str]], locales: list[str]) -> None:
        self.parts.choices = options(sections)
        self.locale.choices = options((code, NATIVE_NAMES.get(code, code)) for code in locales)
        self.methods.choices = options(method_labels().items())


def _count(label: object, description: object = "") -> IntegerField:
    return IntegerField(label, description=description,
                        validators=[InputRequired(), NumberRange(min=0, max=MAX_CHILDREN)],
                        render_kw={"min": 0, "max": MAX_CHILDREN, "inputmode": "numeric"})


class ConsentForm(Form):
    children_present = IntegerField(
        _l("Children taking part"),
        description=_l("Count only the children who said yes after hearing the text below. "
                       "Numbers only: never a name."),
        validators=[InputRequired(), NumberRange(min=1, max=MAX_CHILDREN)],
        render_kw={"min": 1, "max": MAX_CHILDREN, "inputmode": "numeric"})
    aged_8_10 = _count(_l("Aged 8 to 10"))
    aged_11_13 = _count(_l("Aged 11 to 13"))
    aged_14_17 = _count(_l("Aged 14 to 17"))
    guardian_consents = _count(
        _l("Guardian consent forms received"),
        _l("Count the signed paper forms. Do not copy any name from them."))
    child_assents = _count(_l("Children who agreed (assent)"),
                           _l("After you read the text aloud. It must equal the children "
                              "taking part."))
    may_quote = RadioField(_l("May the children's own words be quoted?"),
                           validators=[InputRequired()])
    may_photograph_work = RadioField(_l("May photos of their work be taken?"),
                                     validators=[InputRequired()],
                                     description=_l("Their work only: never a face."))
    paper_forms_kept_at = StringField(
        _l("Where the paper forms are kept"),
        description=_l("For example \u201clocked cabinet, regional office\u201d. Never a "
                       "child's name or address."),
        validators=[DataRequired(), Length(max=KEPT_AT_MAX)])
    paper_forms_kept_until = DateField(_l("Kept until"), validators=[InputRequired()],
                                       description=_l("A date in the future, after which "
                                                      "the forms are destroyed."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.may_quote.choices = yes_no()
        self.may_photograph_work.choices = yes_no()


class PartForm(Form):
    group_position = RadioField(_l("Where the group stands"), validators=[Optional()])
    votes_agree = IntegerField(_l("Votes for"), validators=[Optional(), NumberRange(min=0)],
                               render_kw={"min": 0, "inputmode": "numeric"})
    votes_disagree = IntegerField(_l("Votes against"),
                                  validators=[Optional(), NumberRange(min=0)],
                                  render_kw={"min": 0, "inputmode": "numeric"})
    votes_abstain = IntegerField(_l("Abstentions"), validators=[Optional(), NumberRange(min=0)],
                                 render_kw={"min": 0, "inputmode": "numeric"})
    rank = IntegerField(_l("The group's priority (1 = most important)"),
                        validators=[Optional(), NumberRange(min=1)],
                        render_kw={"min": 1, "inputmode": "numeric"})
    hard_words = StringField(_l("Words the children found hard"),
                             description=_l("As they said them, separated by commas."),
                             validators=[Optional(), Length(max=HARD_WORDS_MAX)])

    def set_choices(self) -> None:
        self.group_position.choices = options(position_labels().items())


class StatementForm(Form):
    section = SelectField(_l("Part of the plan"))
    kind = RadioField(_l("Kind"), validators=[InputRequired()])
    voice = RadioField(_l("Whose words"), validators=[InputRequired()])
    share = SelectField(_l("How many held this view"),
                        description=_l("Needed for a minority view. In words, never a "
                                       "number."),
                        validators=[Optional()])
    body = TextAreaField(_l("What the group said"),
                         description=_l("Never a child's name, nor anything that shows who "
                                        "said it."),
                         validators=[DataRequired(), Length(max=MAX_IDEA_LENGTH)],
                         render_kw={"rows": 3, "maxlength": MAX_IDEA_LENGTH})

    def set_choices(self, parts: list[tuple[int, str]], something_missing: str) -> None:
        self.section.choices = options(
            [(str(sid), title) for sid, title in parts] + [(SOMETHING_MISSING, something_missing)])
        self.kind.choices = options(kind_labels().items())
        self.voice.choices = options(voice_labels().items())
        self.share.choices = options([("", _l("Not said")), *share_labels().items()])


class PhotoForm(Form):
    photo = FileField(_l("Photo of the children's work"),
                      description=_l("A drawing, a board, a poster: never a face, a name or "
                                     "anything that shows who made it. Blur it first if "
                                     "needed."),
                      validators=[FileRequired(_l("Choose a photo."))],
                      render_kw={"accept": "image/jpeg,image/png,image/webp"})
    section = SelectField(_l("Part of the plan"))
    caption = TextAreaField(_l("The children's caption"),
                            description=_l("In their words. Never a name."),
                            validators=[DataRequired(), Length(max=MAX_IDEA_LENGTH)],
                            render_kw={"rows": 2, "maxlength": MAX_IDEA_LENGTH})
    no_faces_or_names = BooleanField(_l("I checked: it shows no face and no name."))

    def set_choices(self, parts: list[tuple[int, str]], something_missing: str) -> None:
        self.section.choices = options(
            [(str(sid), title) for sid, title in parts] + [(SOMETHING_MISSING, something_missing)])


class ReadBackForm(Form):
    corrected = BooleanField(_l("We corrected some things with the children first"))


class AttestForm(Form):
    account = TextAreaField(
        _l("How the session went"),
        description=_l("A few sentences in your own words. Never a child's name."),
        validators=[DataRequired(), Length(max=ACCOUNT_MAX)],
        render_kw={"rows": 4, "maxlength": ACCOUNT_MAX})
    all_could_speak = RadioField(_l("Could every child speak?"),
                                 validators=[InputRequired()])
    not_told_what_to_say = BooleanField(
        _l("I confirm the children were not told what to say."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.all_could_speak.choices = yes_no()


class RoomConcernForm(Form):
    case_reference = StringField(
        _l("Case reference"),
        description=_l("The reference your organisation holds for this child. Do not write "
                       "any child's name."),
        validators=[DataRequired(), Length(max=CASE_REFERENCE_MAX)],
        render_kw={"maxlength": CASE_REFERENCE_MAX, "autocomplete": "off"})
    note = TextAreaField(
        _l("What happened (for the safeguarding lead)"),
        description=_l("Do not write any child's name. Say what you saw and heard and what "
                       "you did."),
        validators=[DataRequired(), Length(max=NOTE_MAX)],
        render_kw={"rows": 4, "maxlength": NOTE_MAX})


class ButtonForm(Form):
    """A button-only form: CSRF protection and nothing else (submit, withdraw, delete)."""
