"""Forms for classroom sessions: the facilitator's "Start a session" and the child's code."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from participation.classrooms.services import EXPECTED_RANGE, NAME_MAX_LENGTH
from participation.forms import Form
from participation.i18n import NATIVE_NAMES

# Durations a facilitator picks from, in minutes (the service accepts any value from 15 to 480).
DURATIONS = (15, 30, 45, 60, 90, 120, 180, 240, 360, 480)
DEFAULT_MINUTES = 60


def duration_label(minutes: int) -> str:
    """"45 minutes", "2 hours", "1 h 30 min" in the request's language."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return str(ngettext("%(num)s minute", "%(num)s minutes", rest))
    if not rest:
        return str(ngettext("%(num)s hour", "%(num)s hours", hours))
    return str(_("%(hours)s h %(minutes)s min", hours=hours, minutes=rest))


class StartClassroomForm(Form):
    name = StringField(
        _l("Name of the group"),
        description=_l("For you only, e.g. \u201cYear 6, Tuesday\u201d. Children never see it."),
        validators=[DataRequired(), Length(max=NAME_MAX_LENGTH)],
    )
    expected_children = IntegerField(
        _l("How many children?"),
        validators=[InputRequired(), NumberRange(*EXPECTED_RANGE)],
        render_kw={"min": EXPECTED_RANGE[0], "max": EXPECTED_RANGE[1]},
    )
    minutes = SelectField(_l("How long?"), coerce=int, default=DEFAULT_MINUTES)
    locale = SelectField(_l("Language of the plan"))

    def set_choices(self, locales: tuple[str, ...]) -> None:
        """Choices depend on the request's language and the deployment's locales."""
        self.minutes.choices = [(m, duration_label(m)) for m in DURATIONS]
        self.locale.choices = [(code, NATIVE_NAMES.get(code, code)) for code in locales]


class EndClassroomForm(Form):
    """A button-only form: CSRF protection and nothing else."""


class JoinForm(Form):
    code = StringField(
        _l("Your class code"),
        validators=[DataRequired(), Length(max=40)],
        render_kw={
            "inputmode": "text", "autocapitalize": "characters", "autocomplete": "off",
            "spellcheck": "false", "maxlength": 40,
        },
    )
