"""Forms of the organisers' summary pages: the summary's filters (a GET form), a consultation
period to open or close, and the admins' suppression threshold."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, RadioField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from participation.forms import Form
from participation.reports.periods import NAME_MAX_LENGTH
from participation.reports.privacy import MAX_THRESHOLD, MIN_THRESHOLD


class SummaryFilterForm(Form):
    """Which figures to show; read from the query string (nothing changes, so no CSRF)."""

    class Meta(Form.Meta):
        csrf = False

    plan = SelectField(_l("Plan"), coerce=int)
    period = SelectField(_l("Period"))
    revision = SelectField(_l("Revision of the plan"))
    by = RadioField(_l("Show each part by"), default="locale",
                    choices=[SelectChoice("locale", _l("Language")),
                             SelectChoice("age_band", _l("Age band"))])


class PeriodForm(Form):
    name = StringField(_l("Name of the period"), validators=[DataRequired(),
                                                             Length(max=NAME_MAX_LENGTH)])
    plan = SelectField(_l("Plan"), coerce=int)
    starts_on = DateField(_l("First day"), validators=[InputRequired()])
    ends_on = DateField(_l("Last day"), validators=[InputRequired()])


class ClosePeriodForm(Form):
    """A button-only form: CSRF protection and nothing else."""


class ThresholdForm(Form):
    threshold = IntegerField(
        _l("Smallest group shown"),
        description=_l("Counts below this number are shown as \u201cfewer than\u201d it. "
                       "Between 5 and 20."),
        validators=[InputRequired(), NumberRange(MIN_THRESHOLD, MAX_THRESHOLD)],
        render_kw={"min": MIN_THRESHOLD, "max": MAX_THRESHOLD},
    )
