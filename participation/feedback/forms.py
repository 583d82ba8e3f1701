"""Forms children fill in. Labels and messages are short and kind; nothing asks who they are."""

from __future__ import annotations

from dataclasses import dataclass

from flask_wtf.csrf import generate_csrf
from wtforms import Field, HiddenField, RadioField, StringField, TextAreaField, ValidationError
from wtforms.validators import Optional

from participation.feedback.codes import MAX_TYPED_LENGTH
from participation.feedback.models import AgeBand, ReactionKind
from participation.feedback.services import (
    IDEMPOTENCY_KEY_RE,
    MAX_IDEA_LENGTH,
    new_idempotency_key,
)
from participation.forms import Form
from participation.templating import hole

# Values only: the labels are written in templates/macros/feedback.html, where translation is
# cheap (lazy strings cost a full Flask-Babel lookup each time a page renders them).
AGE_BAND_VALUES = [band.value for band in AgeBand] + ["none"]  # "none": I'd rather not say
REACTION_VALUES = [kind.value for kind in ReactionKind]


@dataclass(frozen=True)
class IdeaValues:
    """What the idea form shows: the child's words, their age answer and the send's key."""

    body: str
    age_band: str | None
    key: str

    @property
    def csrf(self) -> str:
        return str(generate_csrf())

    def checked(self, age_band: str) -> str:
        return " checked" if self.age_band == age_band else ""


class IdeaHoles(IdeaValues):
    """The same form rendered once for every child, with holes for the per-request values."""

    def __init__(self) -> None:
        super().__init__("", None, hole("key"))

    @property
    def csrf(self) -> str:
        return hole("csrf")

    def checked(self, age_band: str) -> str:
        return hole(f"checked:{age_band}")


class ChildForm(Form):
    """Children's forms are plain HTML (rendered once for every child, see IdeaHoles); the
    app-wide CSRFProtect checks their token before any view runs, so the form does not check
    it a second time."""

    class Meta:
        csrf = False


class IdeaForm(ChildForm):
    """An idea about one part (or about something missing). Validation of the text itself is
    done by the service, so the same kind messages apply however the text arrives."""

    body = TextAreaField(render_kw={"maxlength": MAX_IDEA_LENGTH})
    age_band = RadioField(choices=AGE_BAND_VALUES, validators=[Optional()])
    idempotency_key = HiddenField()

    def validate_body(self, field: Field) -> None:
        """Words only: a file sent in place of the text is refused kindly (not a crash)."""
        if not isinstance(field.data, str):
            raise ValidationError("not text")

    def chosen_age_band(self) -> AgeBand | None:
        value = self.age_band.data
        return AgeBand(value) if value in {band.value for band in AgeBand} else None

    def values(self) -> IdeaValues:
        """The posted words, to show them back whatever went wrong, with the same key, so
        pressing Send again can only ever store them once."""
        body = self.body.data if isinstance(self.body.data, str) else ""
        key = self.idempotency_key.data
        if not (isinstance(key, str) and IDEMPOTENCY_KEY_RE.match(key)):
            key = new_idempotency_key()
        age_band = self.age_band.data if self.age_band.data in AGE_BAND_VALUES else None
        return IdeaValues(body, age_band, key)


class ReactionForm(ChildForm):
    reaction = RadioField(choices=REACTION_VALUES)


class CheckForm(ChildForm):
    """ "Check my idea": the idea code, typed however the child wrote it down."""

    code = StringField(render_kw={"maxlength": MAX_TYPED_LENGTH})

    def typed(self) -> str:
        """The typed code, or "" for anything that is not text."""
        return self.code.data if isinstance(self.code.data, str) else ""


class ConfirmForm(Form):
    """A button-only form (withdraw, I'm finished): CSRF protection and nothing else."""
