"""A fictional children's committee for the local demo, recorded through the real services.

One session was sent (one statement already shared under its part, the others waiting for a
reviewer other than its facilitator) and one is a draft the demo facilitator can resume, so the
committee pages, the recorder, the review queues and the children's "From children's
committees" panel all show something on a fresh install. Every word is invented.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from participation.accounts.models import User
from participation.accounts.services import find_user
from participation.audit.models import AuditEvent
from participation.audit.services import record_event
from participation.committees.models import (
    CommitteeKind,
    GroupPosition,
    Method,
    ShareOfGroup,
    StatementKind,
    StatementVoice,
)
from participation.committees.registry import CommitteeDetails, create_committee
from participation.committees.review import move_session_on
from participation.committees.sessions import (
    ConsentRecord,
    StatementInput,
    add_statement,
    prepare_session,
    record_attestation,
    record_consent,
    record_part,
    record_read_back,
    start_session,
)
from participation.committees.submit import submit_session
from participation.db import db, utcnow
from participation.feedback.models import Submission, SubmissionStatus
from participation.feedback.services import change_submission
from participation.plans.models import Plan, Section

SEEDED = "demo.committee_seeded"
FACILITATOR, LEAD, ADMIN = ("facilitator@demo.invalid", "safeguarding_lead@demo.invalid",
                            "admin@demo.invalid")
# (part slug, the group's position, statements: (kind, share, words))
SENT_PARTS = (
    ("priority-1", GroupPosition.AGREE, (
        (StatementKind.RECOMMENDATION, None,
         "Que chaque école ait un conseil des enfants qui vote vraiment sur des projets."),
        (StatementKind.MINORITY_VIEW, ShareOfGroup.SOME,
         "Quelques-uns pensent que les adultes demandent notre avis mais n'écoutent pas."),
    )),
    ("priority-2", GroupPosition.MIXED, (
        (StatementKind.QUESTION, None,
         "Comment protégez-vous les jeunes qui parlent de leurs droits à la radio ?"),
    )),
)
MISSING = "Parler aussi des enfants qui travaillent au marché au lieu d'aller à l'école."


def _people() -> tuple[User, User, User] | None:
    people = [find_user(email) for email in (FACILITATOR, LEAD, ADMIN)]
    if any(person is None for person in people):
        return None
    facilitator, lead, admin = people
    assert facilitator is not None and lead is not None and admin is not None
    return facilitator, lead, admin


def seed_demo_committee(echo: Any) -> int:
    """Record the demo committee and its two sessions once; returns the statements sent."""
    if db.session.scalar(select(func.count()).select_from(AuditEvent)
                         .where(AuditEvent.action == SEEDED)):
        echo("Demo committee: already there.")
        return 0
    people = _people()
    if people is None:
        echo("Demo committee: skipped (create the demo staff accounts first: make db).")
        return 0
    facilitator, lead, admin = people
    plan_id = db.session.scalar(select(Plan.id).order_by(
        Plan.shown.desc(), Plan.updated_at.desc()).limit(1))
    parts = dict(db.session.execute(
        select(Section.slug, Section.id).where(Section.plan_id == plan_id)).all())
    today = date.today()
    committee = create_committee(CommitteeDetails(
        name="Comité national des enfants (démo)", name_is_public=True,
        kind=CommitteeKind.NATIONAL, region="Afrique de l'Ouest", locales=("fr", "en"),
        supporting_organisation="Réseau fictif pour les droits de l'enfant",
        mandate_starts_on=date(today.year, 1, 1),
    ), actor=admin, facilitator_ids=[facilitator.id], lead_id=lead.id)

    session = start_session(committee, facilitator, held_on=today - timedelta(days=3),
                            locale="fr")
    prepare_session(session, facilitator, section_ids=[parts[slug] for slug, *_ in SENT_PARTS],
                    locale="fr", methods=[Method.DISCUSSION, Method.SHOW_OF_HANDS])
    record_consent(session, facilitator, ConsentRecord(
        children_present=12, aged_8_10=3, aged_11_13=5, aged_14_17=4, guardian_consents=12,
        child_assents=12, may_quote=True, may_photograph_work=False,
        paper_forms_kept_at="Bureau du réseau (armoire fermée)",
        paper_forms_kept_until=today + timedelta(days=365)), today=today)
    for part in session.parts:
        slug = next(slug for slug, section_id in parts.items() if section_id == part.section_id)
        _, position, statements = next(entry for entry in SENT_PARTS if entry[0] == slug)
        record_part(session, facilitator, part, group_position=position,
                    votes={"agree": 7, "disagree": 3, "abstain": 2}, rank=part.position,
                    hard_words="plaidoyer" if slug == "priority-1" else None)
        for kind, share, words in statements:
            add_statement(session, facilitator, StatementInput(
                part.section_id, kind, StatementVoice.OWN_WORDS, share, words))
    add_statement(session, facilitator, StatementInput(
        None, StatementKind.RECOMMENDATION, StatementVoice.PARAPHRASE, None, MISSING))
    record_read_back(session, facilitator, corrected=False)
    record_attestation(session, facilitator, account=(
        "Séance calme d'une heure. Chaque enfant a pu parler en petit groupe, puis devant tous."),
        all_could_speak=True, not_told_what_to_say=True)
    sent = submit_session(session, facilitator)
    db.session.flush()

    # An adult other than its facilitator shared the first recommendation with children.
    first = session.statements[0].submission_id
    submission = db.session.get(Submission, first)
    assert submission is not None
    change_submission(submission, status=SubmissionStatus.APPROVED,
                      published_body=submission.body, decided_at=utcnow(),
                      decided_by_id=admin.id)
    move_session_on(session.id, actor_id=admin.id)

    draft = start_session(committee, facilitator, held_on=today, locale="en")
    prepare_session(draft, facilitator, section_ids=[parts["vision"], parts["values"]],
                    locale="en", methods=[Method.DRAWING, Method.DOT_VOTING])
    record_event(SEEDED, actor_id=None, details={"statements": sent})
    echo(f"Demo committee: one session sent ({sent} statements: 1 shared with children, "
         f"{sent - 1} waiting for review) and one draft for {FACILITATOR} to resume.")
    return sent
