"""Review forms: one per staff action, each posted to its own route (CSRF from Flask-WTF).

Every decision on an item can be saved alone (back to the queues) or saved and followed by the
next item of the same queue: the "Save and next" button sends ``then_next``.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, Length, Optional
from wtforms.widgets import HiddenInput

from participation.feedback.models import RejectionReason
from participation.forms import Form
from participation.moderation.models import EntryKind
from participation.screening.services import Priority

# The longest edited version a reviewer may share (the child's own limit is lower).
PUBLISHED_MAX = 5000
REASON_LABELS = {
    RejectionReason.PERSONAL_DETAILS: _l("It shows who the child is"),
    RejectionReason.OFF_TOPIC: _l("Not about the plan"),
    RejectionReason.UNKIND: _l("Unkind to others"),
    RejectionReason.REPEATED: _l("Already shared by someone else"),
    RejectionReason.NOT_UNDERSTOOD: _l("Cannot be understood"),
}
ENTRY_LABELS = {
    EntryKind.NOTE: _l("Note"),
    EntryKind.REFERRAL: _l("Referral made"),
    EntryKind.ACTION: _l("Action taken"),
    EntryKind.CLOSED: _l("Closed, outcome"),
}


class DecisionForm(Form):
    """A decision on one item; ``then_next`` is set by the "Save and next" button."""

    then_next = BooleanField()


class ApproveForm(DecisionForm):
    """Share the idea exactly as the child wrote it."""


class ApproveEditedForm(DecisionForm):
    published_text = TextAreaField(
        _l("Edited version to share (personal details removed):"),
        validators=[DataRequired(), Length(max=PUBLISHED_MAX)],
    )


class RejectForm(DecisionForm):
    reason = SelectField(
        _l("Reason shown to the child:"),
        choices=[SelectChoice(reason.value, label) for reason, label in REASON_LABELS.items()],
    )

    @property
    def rejection_reason(self) -> RejectionReason:
        return RejectionReason(self.reason.data)


class EscalateForm(DecisionForm):
    escalation_note = TextAreaField(
        _l("Note for the safeguarding lead (optional):"),
        validators=[Optional(), Length(max=2000)],
    )


class ConcernForm(DecisionForm):
    note = TextAreaField(
        _l("What you see and first decision (restricted record):"),
        validators=[DataRequired(), Length(max=5000)],
    )


class KeepForm(DecisionForm):
    """Not shared, no concern: the child reads that a helping adult has read it."""


class SendBackForm(DecisionForm):
    reason_text = TextAreaField(
        _l("Why this is not a concern (kept in the audit log):"),
        validators=[DataRequired(), Length(max=500)],
    )


class NextForm(Form):
    """ "Review next" on one queue (or on all of them, without ``priority``)."""

    priority = IntegerField(widget=HiddenInput(), validators=[
        Optional(), AnyOf([int(priority) for priority in Priority])])


class BulkForm(Form):
    """The items that were previewed and left ticked."""

    item = SelectMultipleField(validate_choice=False)


class EntryForm(Form):
    """A note, a referral or an action appended to a concern."""

    kind = SelectField(
        _l("Add"),
        choices=[SelectChoice(kind.value, ENTRY_LABELS[kind]) for kind in EntryKind
                 if kind is not EntryKind.CLOSED],
    )
    text = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=5000)])

    @property
    def entry_kind(self) -> EntryKind:
        return EntryKind(self.kind.data)


class CloseConcernForm(Form):
    outcome = TextAreaField(_l("Outcome"), validators=[DataRequired(), Length(max=5000)])
