"""Forms children fill in. Labels and messages are short and kind; nothing asks who they are."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from participation.feedback.models import AgeBand, ReactionKind
from participation.feedback.services import MAX_IDEA_LENGTH

AGE_BAND_CHOICES = [
    SelectChoice(AgeBand.AGE_8_10.value, _l("8 to 10")),
    SelectChoice(AgeBand.AGE_11_13.value, _l("11 to 13")),
    SelectChoice(AgeBand.AGE_14_17.value, _l("14 to 17")),
    # Translators: the age question's "prefer not to say" answer.
    SelectChoice("none", _l("I'd rather not say")),
]

REACTION_LABELS = {
    ReactionKind.AGREE: _l("I agree"),
    ReactionKind.UNSURE: _l("I'm not sure"),
    ReactionKind.DISAGREE: _l("I disagree"),
    ReactionKind.CONFUSED: _l("I don't understand"),
}


class IdeaForm(FlaskForm):  # type: ignore[misc]
    """An idea about one part (or about something missing). Validation of the text itself is
    done by the service, so the same kind messages apply however the text arrives."""

    body = TextAreaField(_l("Your idea"), render_kw={"maxlength": MAX_IDEA_LENGTH, "rows": 5})
    age_band = RadioField(_l("How old are you?"), choices=AGE_BAND_CHOICES, validators=[Optional()])
    idempotency_key = HiddenField()

    def chosen_age_band(self) -> AgeBand | None:
        value = self.age_band.data
        return AgeBand(value) if value in {band.value for band in AgeBand} else None


class ReactionForm(FlaskForm):  # type: ignore[misc]
    reaction = RadioField(
        choices=[SelectChoice(kind.value, label) for kind, label in REACTION_LABELS.items()]
    )


class ConfirmForm(FlaskForm):  # type: ignore[misc]
    """A button-only form (withdraw, I'm finished): CSRF protection and nothing else."""
