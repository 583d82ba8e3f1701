"""Forms of the plan editor (Flask-WTF: CSRF on every one)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, Regexp
from wtforms.widgets import HiddenInput, TextArea

from participation.config import SUPPORTED_LOCALES
from participation.forms import Form
from participation.plans.content import ICONS, SLUG_RE, SUMMARY_MAX
from participation.plans.drafts import TEXT_MAX

ICON_CHOICES = sorted(ICONS)


class ConfirmForm(Form):
    """A button that changes something (publish again, show this plan, start from here)."""


class NewPlanForm(Form):
    slug = StringField(_l("Short name in web addresses (lowercase letters, digits, hyphens)"),
                       validators=[DataRequired(), Length(max=80),
                                   Regexp(SLUG_RE.pattern, message=_l(
                                       "Use lowercase letters, digits and hyphens."))])
    default_locale = SelectField(_l("Main language"), choices=list(SUPPORTED_LOCALES))


class PartTextForm(Form):
    title = StringField(_l("Title"), validators=[Length(max=200)])
    summary = StringField(_l("One-line summary"), validators=[Length(max=SUMMARY_MAX)])
    simple = StringField(_l("The simple text, for children"), widget=TextArea(),
                         validators=[Length(max=TEXT_MAX)])
    official = StringField(_l("The official text"), widget=TextArea(),
                           validators=[Length(max=TEXT_MAX)])
    ready = BooleanField(_l("Ready to publish in this language"))
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class PlanTextForm(Form):
    """The plan's own words in one language."""

    title = StringField(_l("The plan's title"), validators=[Length(max=200)])
    summary = StringField(_l("Organisation"), validators=[Length(max=200)])
    simple = StringField(_l("Welcome on the first page"), widget=TextArea(),
                         validators=[Length(max=TEXT_MAX)])
    ready = BooleanField(_l("Ready to publish in this language"))
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class NewPartForm(Form):
    slug = StringField(_l("Short name of the new part (lowercase letters, digits, hyphens)"),
                       validators=[DataRequired(), Length(max=80),
                                   Regexp(SLUG_RE.pattern, message=_l(
                                       "Use lowercase letters, digits and hyphens."))])
    icon = SelectField(_l("Picture"), choices=ICON_CHOICES)


class PartChangeForm(Form):
    icon = SelectField(_l("Picture"), choices=ICON_CHOICES)
    move = HiddenField(validators=[AnyOf(["-1", "0", "1"])], default="0")


class TermForm(Form):
    term = StringField(_l("Word"), validators=[DataRequired(), Length(max=200)])
    definition = StringField(_l("What it means, for a child"), widget=TextArea(),
                             validators=[Length(max=1000)])
    key = HiddenField()


class NewTermForm(Form):
    """One click from a rare word: the word now, its definition later."""

    locale = SelectField(choices=list(SUPPORTED_LOCALES))
    term = StringField(validators=[DataRequired(), Length(max=200)])


class AnalyseForm(Form):
    locale = SelectField(choices=list(SUPPORTED_LOCALES))
    field = StringField(validators=[Length(max=20)])
    text = StringField(validators=[Length(max=TEXT_MAX * 6)])


class ImportForm(Form):
    archive = FileField(_l("A plan exported as a zip (plan.yaml and one file per language)"),
                        validators=[FileRequired(_l("Choose a file."))])
