"""Staff-facing words for the committees' choices, defined once for every page and form.

Children's pages use their own, simpler words (public_views); these are for facilitators,
reviewers and organisers. Lazy strings: each is translated when a page shows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from participation.committees.models import (
    CommitteeKind,
    CommitteeStatus,
    GroupPosition,
    Method,
    SessionStatus,
    ShareOfGroup,
    StatementKind,
    StatementVoice,
)

KIND_LABELS = {
    CommitteeKind.NATIONAL: _l("National"),
    CommitteeKind.LOCAL: _l("Local"),
    CommitteeKind.ORGANISATION: _l("A member organisation's own"),
}
STATUS_LABELS = {
    CommitteeStatus.ACTIVE: lazy_pgettext("committee status", "Active"),
    CommitteeStatus.PAUSED: lazy_pgettext("committee status", "Paused"),
    CommitteeStatus.CLOSED: lazy_pgettext("committee status", "Closed"),
}
SESSION_STATUS_LABELS = {
    SessionStatus.DRAFT: _l("Being recorded"),
    SessionStatus.CHECKED: _l("Checked with the children"),
    SessionStatus.SUBMITTED: _l("Sent, waiting for review"),
    SessionStatus.IN_REVIEW: _l("In review"),
    SessionStatus.ACCEPTED: _l("Accepted: answer due"),
    SessionStatus.ANSWERED: _l("Answered"),
    SessionStatus.CLOSED: lazy_pgettext("session status", "Closed"),
    SessionStatus.WITHDRAWN: _l("Withdrawn"),
}
METHOD_LABELS = {
    Method.DISCUSSION: _l("Discussion"),
    Method.SHOW_OF_HANDS: _l("Show of hands"),
    Method.SECRET_VOTE: _l("Secret vote"),
    Method.DOT_VOTING: _l("Dot voting"),
    Method.RANKING: _l("Ranking"),
    Method.DRAWING: _l("Drawing"),
    Method.ROLE_PLAY: _l("Role play"),
}
POSITION_LABELS = {
    GroupPosition.AGREE: _l("Agree"),
    GroupPosition.MIXED: _l("Mixed views"),
    GroupPosition.DISAGREE: _l("Disagree"),
    GroupPosition.NOT_UNDERSTOOD: _l("Did not understand"),
}
STATEMENT_KIND_LABELS = {
    StatementKind.RECOMMENDATION: _l("Recommendation"),
    StatementKind.QUESTION: _l("Question"),
    StatementKind.MINORITY_VIEW: _l("Minority view"),
}
VOICE_LABELS = {
    StatementVoice.OWN_WORDS: _l("The children's own words"),
    StatementVoice.PARAPHRASE: _l("The facilitator's paraphrase"),
    StatementVoice.TRANSLATION: _l("The facilitator's translation"),
}
# Never a number: a count could single a child out in a small group.
SHARE_LABELS = {
    ShareOfGroup.ONE_OR_TWO: _l("One or two children"),
    ShareOfGroup.SOME: _l("Some children"),
    ShareOfGroup.ABOUT_HALF: _l("About half of the children"),
    ShareOfGroup.MOST: _l("Most of the children"),
    ShareOfGroup.ALL: _l("All the children"),
}


def as_text(labels: Mapping[Any, object]) -> dict[str, str]:
    """The labels translated now (for form choices and pages that join them into text)."""
    return {key: str(label) for key, label in labels.items()}
