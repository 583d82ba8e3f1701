"""Who may see and do what with a committee: named rules used by views and templates alike.

- Organisers and admins manage every committee (create, edit, assign people) and read approved
  content; they never see a session's draft, consent details or unreviewed statements.
- A facilitator sees only the committees they run, and records and submits their sessions.
- A safeguarding lead sees any concern, including one raised from a session (moderation).
"""

from __future__ import annotations

from participation.accounts.models import Role, User
from participation.committees.models import Committee, CommitteeSession

MANAGERS = (Role.ORGANISER, Role.ADMIN)


def can_manage_committees(user: User) -> bool:
    """Create committees, edit them and choose their facilitators and lead."""
    return user.has_role(*MANAGERS)


def runs_committee(user: User, committee: Committee) -> bool:
    """A facilitator assigned to this committee (and still a facilitator)."""
    return user.has_role(Role.FACILITATOR) and any(
        person.id == user.id for person in committee.facilitators
    )


def can_see_committee(user: User, committee: Committee) -> bool:
    """Its page and the list of its sessions."""
    return can_manage_committees(user) or runs_committee(user, committee)


def can_record_session(user: User, session: CommitteeSession) -> bool:
    """Record, correct, read back, submit or withdraw the session, and see its details
    (consent counts, draft statements, photos before review): the committee's facilitators."""
    return runs_committee(user, session.committee)
