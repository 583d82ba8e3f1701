"""Forms for committees themselves (one per action) and the words their pages use for kinds,
statuses and group positions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    Field,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from participation.accounts.models import User
from participation.committees.labels import KIND_LABELS
from participation.committees.models import (
    CommitteeKind,
)
from participation.committees.registry import (
    NAME_MAX_LENGTH,
    ORGANISATION_MAX_LENGTH,
    REGION_MAX_LENGTH,
    CommitteeDetails,
)
from participation.forms import Form
from participation.i18n import NATIVE_NAMES


def _optional_id(value: Any) -> int | None:
    """A select's value as an account id; the empty choice is None."""
    if value in (None, "", "None"):
        return None
    return int(value)


class CheckboxesField(SelectMultipleField):  # type: ignore[misc]
    """A list of checkboxes (a multiple select is hard to use on a tablet)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def mandate_order(form: Form, field: Field) -> None:
    """A mandate cannot end before it starts."""
    starts = form.mandate_starts_on.data
    if field.data is not None and starts is not None and field.data < starts:
        raise ValidationError(_l("The mandate cannot end before it starts."))


class CommitteeForm(Form):
    """The committee's details (its people and status have forms of their own)."""

    name = StringField(
        _l("Name"), validators=[DataRequired(), Length(max=NAME_MAX_LENGTH)],
        render_kw={"maxlength": NAME_MAX_LENGTH, "autocomplete": "off"},
    )
    name_is_public = BooleanField(
        _l("The name may be shown to children and in exports"),
        description=_l("Otherwise children read \u201ca children's committee\u201d."),
    )
    kind = SelectField(_l("Kind of committee"), choices=[])
    region = StringField(
        _l("Region"),
        description=_l("Coarse on purpose: a large area such as \u201cWest Africa\u201d or "
                       "\u201cQuebec\u201d. Never a town, a school or an address: it could help "
                       "someone find the children."),
        validators=[DataRequired(), Length(max=REGION_MAX_LENGTH)],
        render_kw={"maxlength": REGION_MAX_LENGTH, "autocomplete": "off"},
    )
    locales = CheckboxesField(_l("Languages the committee works in"),
                              validators=[DataRequired(_l("Choose at least one language."))])
    supporting_organisation = StringField(
        _l("Supporting organisation"),
        description=_l("The organisation that hosts the committee and keeps its paper consent "
                       "forms."),
        validators=[DataRequired(), Length(max=ORGANISATION_MAX_LENGTH)],
        render_kw={"maxlength": ORGANISATION_MAX_LENGTH, "autocomplete": "organization"},
    )
    mandate_starts_on = DateField(_l("Mandate starts on"), validators=[InputRequired()])
    mandate_ends_on = DateField(_l("Mandate ends on (optional)"),
                                validators=[Optional(), mandate_order])

    def set_choices(self, locales: Sequence[str]) -> None:
        """Choices follow the request's language and the deployment's locales."""
        self.kind.choices = [(kind.value, str(label)) for kind, label in KIND_LABELS.items()]
        self.locales.choices = [(code, NATIVE_NAMES.get(code, code)) for code in locales]

    def details(self) -> CommitteeDetails:
        """The validated form as the service's argument."""
        return CommitteeDetails(
            name=self.name.data or "", name_is_public=bool(self.name_is_public.data),
            kind=CommitteeKind(self.kind.data), region=self.region.data or "",
            locales=tuple(self.locales.data or ()),
            supporting_organisation=self.supporting_organisation.data or "",
            mandate_starts_on=self.mandate_starts_on.data,
            mandate_ends_on=self.mandate_ends_on.data,
        )


def _people_choices(people: Sequence[User]) -> list[tuple[int, str]]:
    return [(person.id, person.email) for person in people]


class FacilitatorsForm(Form):
    """Who runs the committee."""

    facilitators = CheckboxesField(_l("Facilitators"), coerce=int)

    def set_choices(self, people: Sequence[User]) -> None:
        self.facilitators.choices = _people_choices(people)


class LeadForm(Form):
    """The committee's safeguarding lead."""

    lead = SelectField(_l("Safeguarding lead"), coerce=_optional_id)

    def set_choices(self, people: Sequence[User]) -> None:
        self.lead.choices = [("", str(_l("No lead yet"))), *_people_choices(people)]


class NewCommitteeForm(CommitteeForm):
    """A new committee with its first people, so it can start at once."""

    facilitators = CheckboxesField(_l("Facilitators"), coerce=int)
    lead = SelectField(_l("Safeguarding lead"), coerce=_optional_id)

    def set_people(self, facilitators: Sequence[User], leads: Sequence[User]) -> None:
        self.facilitators.choices = _people_choices(facilitators)
        self.lead.choices = [("", str(_l("No lead yet"))), *_people_choices(leads)]


class CommitteeStatusForm(Form):
    """A button-only form (pause, close, reactivate): CSRF protection and nothing else."""
