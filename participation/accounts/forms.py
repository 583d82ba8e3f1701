"""Staff forms: sign-in, and one form per admin action on accounts."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, Field, PasswordField, SelectChoice, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from participation.accounts.models import Role
from participation.accounts.services import has_forbidden_characters
from participation.forms import Form

ROLE_LABELS = {
    Role.FACILITATOR: _l("Facilitator"),
    Role.SAFEGUARDING_LEAD: _l("Safeguarding lead"),
    Role.ORGANISER: _l("Organiser"),
    Role.ADMIN: _l("Admin"),
}


def no_nul(form: Form, field: Field) -> None:
    """NUL can be typed by no keyboard and stored by no database: refuse it clearly."""
    if "\x00" in (field.data or ""):
        raise ValidationError(_l("This contains an invisible character that cannot be used. "
                                 "Please type it again."))


def no_control_characters(form: Form, field: Field) -> None:
    if has_forbidden_characters(field.data or ""):
        raise ValidationError(_l("An email address cannot contain a line break or another "
                                 "invisible character."))


class LoginForm(Form):
    # No syntax check here: whoever has an account signs in with the address it has.
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254), no_nul])
    passphrase = PasswordField(_l("Passphrase"),
                               validators=[DataRequired(), Length(max=1024), no_nul])


class CodeForm(Form):
    code = StringField(
        _l("6-digit code from your authenticator app"),
        validators=[DataRequired(), Length(min=6, max=8), no_nul],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code"},
    )


class RoleChoices(SelectMultipleField):  # type: ignore[misc]
    """Roles as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("choices", [SelectChoice(role.value, ROLE_LABELS[role]) for role in Role])
        super().__init__(*args, **kwargs)

    @property
    def roles(self) -> list[Role]:
        return [Role(value) for value in self.data or []]


class InviteForm(Form):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254),
                                                no_control_characters])
    passphrase = PasswordField(
        _l("First passphrase (15 characters or more, share it safely)"),
        validators=[DataRequired(), Length(max=1024), no_nul],
    )
    roles = RoleChoices(_l("Roles"))


class RolesForm(Form):
    """One per account on the accounts page (prefixed with the account, so ids stay unique)."""

    roles = RoleChoices(_l("Roles"))


class ConfirmForm(Form):
    """A button that changes something: deactivate, reset the second factor, sign out others."""
