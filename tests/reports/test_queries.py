"""The summaries' figures: distinct children, committees apart, every group listed, signals,
ideas by status and participation per week, counted in SQL."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from flask import Flask
from sqlalchemy import select

from participation.accounts.models import Role
from participation.committees.models import (
    CommitteeSession,
    GroupPosition,
    SessionPart,
    SessionStatus,
)
from participation.db import db
from participation.feedback.models import (
    AgeBand,
    Reaction,
    ReactionKind,
    Submission,
    SubmissionSource,
    SubmissionStatus,
)
from participation.plans.content import PlanContent
from participation.plans.models import Plan, Section, SectionText
from participation.reports import queries
from participation.screening.services import Priority
from tests.committees.builders import make_committee, make_session
from tests.conftest import make_staff

MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # ISO week 2026-W10


def plan_and_parts() -> tuple[int, list[int]]:
    plan = db.session.scalars(select(Plan)).one()
    parts = list(db.session.scalars(
        select(Section.id).where(Section.plan_id == plan.id, Section.retired_at.is_(None))
        .order_by(Section.position)))
    return plan.id, parts


def react(section_id: int, kind: ReactionKind, n: int, *, locale: str = "en",
          age_band: AgeBand | None = None, when: datetime = MONDAY,
          children: list[str] | None = None) -> list[str]:
    """``n`` reactions by ``n`` children (new ones, unless ``children`` names them)."""
    tokens = children or [uuid.uuid4().hex for _ in range(n)]
    for token in tokens[:n]:
        db.session.add(Reaction(section_id=section_id, child_token_hash=token, kind=kind,
                                locale=locale, age_band=age_band, created_at=when))
    return tokens[:n]


def idea(plan_id: int, section_id: int | None, status: SubmissionStatus, *,
         source: SubmissionSource = SubmissionSource.CHILD, priority: int = 0,
         locale: str = "en", when: datetime = MONDAY, child: str | None = None) -> None:
    db.session.add(Submission(
        public_id=uuid.uuid4().hex, plan_id=plan_id, section_id=section_id, source=source,
        locale=locale, body="x", status=status, priority=priority, created_at=when,
        child_token_hash=child or uuid.uuid4().hex))


def row(summary: queries.ReactionSummary, section_id: int | None,
        group: str | None) -> queries.ReactionRow:
    return next(r for r in summary.rows
                if (r.part.section_id if r.part else None) == section_id
                and (r.part is None) == (section_id is None) and r.group == group)


def test_children_are_counted_once_per_part_and_once_in_the_whole_plan(
        app: Flask, demo_plan: PlanContent) -> None:
    with app.app_context():
        plan_id, parts = plan_and_parts()
        same = react(parts[0], ReactionKind.AGREE, 12, locale="fr")
        react(parts[1], ReactionKind.CONFUSED, 12, locale="en", children=same)
        react(parts[1], ReactionKind.AGREE, 3, locale="es")
        db.session.commit()

        summary = queries.reaction_summary(plan_id, by="locale", locale="en")
        assert row(summary, parts[0], None).children.raw == 12
        assert row(summary, parts[1], None).children.raw == 15
        assert row(summary, parts[1], "en").counts["confused"].raw == 12
        # The same twelve children reacted to two parts: twelve children, not twenty-four.
        assert row(summary, None, None).children.raw == 15
        assert row(summary, None, "fr").children.raw == 12
        assert row(summary, None, None).counts["agree"].raw == 15
        assert summary.threshold == 10 and not summary.frozen


def test_every_language_and_age_band_is_listed_even_when_empty(
        app: Flask, demo_plan: PlanContent) -> None:
    with app.app_context():
        plan_id, parts = plan_and_parts()
        react(parts[0], ReactionKind.AGREE, 2, age_band=AgeBand.AGE_8_10)
        react(parts[0], ReactionKind.AGREE, 4)  # age not given
        db.session.commit()

        by_locale = queries.reaction_summary(plan_id, by="locale")
        assert [r.group for r in by_locale.for_part(parts[2])] == [None, *app.config["LANGUAGES"]]
        assert len(by_locale.groups) == 3
        by_age = queries.reaction_summary(plan_id, by="age_band")
        assert by_age.groups == ("8-10", "11-13", "14-17", "not_given")
        assert row(by_age, parts[0], "not_given").children.raw == 4
        assert row(by_age, parts[0], "14-17").children.raw == 0
        assert row(by_age, parts[0], "8-10").children.protected(10).below
        # No table crosses two dimensions: a row has one part and one group.
        assert all(r.group in (None, *by_age.groups) for r in by_age.rows)


def test_committee_statements_are_never_children(app: Flask, demo_plan: PlanContent) -> None:
    with app.app_context():
        plan_id, parts = plan_and_parts()
        idea(plan_id, parts[0], SubmissionStatus.APPROVED)
        for _ in range(5):
            idea(plan_id, parts[0], SubmissionStatus.APPROVED, source=SubmissionSource.COMMITTEE)
        db.session.commit()
        ideas = queries.idea_summary(plan_id, by=None)
        first = next(r for r in ideas.rows if r.part and r.part.section_id == parts[0])
        assert first.statuses["shared"].raw == 1
        weekly = queries.weekly_participation(plan_id)
        assert [w.children.raw for w in weekly.rows] == [1]


def test_ideas_by_status_with_urgent_inside_not_shared(
        app: Flask, demo_plan: PlanContent) -> None:
    with app.app_context():
        plan_id, parts = plan_and_parts()
        idea(plan_id, parts[0], SubmissionStatus.PENDING)
        idea(plan_id, parts[0], SubmissionStatus.PENDING, priority=Priority.PERSONAL)
        idea(plan_id, parts[0], SubmissionStatus.PENDING, priority=Priority.URGENT)
        idea(plan_id, parts[0], SubmissionStatus.SAFEGUARDED, priority=Priority.URGENT)
        idea(plan_id, parts[0], SubmissionStatus.REJECTED, locale="fr")
        idea(plan_id, parts[0], SubmissionStatus.APPROVED, locale="es")
        idea(plan_id, parts[0], SubmissionStatus.WITHDRAWN)
        idea(plan_id, None, SubmissionStatus.APPROVED)
        db.session.commit()
        ideas = queries.idea_summary(plan_id, by="locale")
        first = next(r for r in ideas.rows
                     if r.part and r.part.section_id == parts[0] and r.group is None)
        assert {k: c.raw for k, c in first.statuses.items()} == {
            "waiting": 2, "shared": 1, "not_shared": 3, "withdrawn": 1}
        assert first.urgent.raw == 2 and first.total.raw == 7
        fr = next(r for r in ideas.rows
                  if r.part and r.part.section_id == parts[0] and r.group == "fr")
        assert fr.statuses["not_shared"].raw == 1 and fr.urgent.raw == 0
        missing = next(r for r in ideas.rows
                       if r.part and r.part.is_missing and r.group is None)
        assert missing.statuses["shared"].raw == 1
        whole = next(r for r in ideas.rows if r.part is None and r.group is None)
        assert whole.total.raw == 8
        assert [r.group for r in ideas.rows if r.part is None] == [None, *ideas.groups]


@pytest.mark.parametrize(("counts", "hard", "majority"), [
    ({"agree": 40, "unsure": 20, "disagree": 20, "confused": 20}, True, ""),  # 20% confused
    ({"agree": 70, "unsure": 15, "disagree": 0, "confused": 15}, True, "agree"),  # 30% together
    ({"agree": 60, "unsure": 10, "disagree": 20, "confused": 10}, False, "agree"),
    ({"agree": 30, "unsure": 18, "disagree": 41, "confused": 11}, False, ""),  # 29%
])
def test_signals_follow_the_thresholds(app: Flask, demo_plan: PlanContent,
                                       counts: dict[str, int], hard: bool,
                                       majority: str) -> None:
    with app.app_context():
        plan_id, parts = plan_and_parts()
        for kind, n in counts.items():
            react(parts[0], ReactionKind(kind), n)
        db.session.commit()
        signals = row(queries.reaction_summary(plan_id, by=None), parts[0], None).signals(10)
        assert signals.shown
        assert signals.hard_to_understand is hard
        assert signals.clear_majority == majority


def test_signals_stay_hidden_while_shares_cannot_be_published(
        app: Flask, demo_plan: PlanContent) -> None:
    with app.app_context():
        plan_id, parts = plan_and_parts()
        react(parts[0], ReactionKind.CONFUSED, 8)  # all of them, but fewer than ten
        react(parts[1], ReactionKind.AGREE, 40)
        react(parts[1], ReactionKind.CONFUSED, 5)  # 11% but a small group
        db.session.commit()
        summary = queries.reaction_summary(plan_id, by=None)
        assert row(summary, parts[0], None).signals(10) == queries.Signals(None, None, False)
        assert not row(summary, parts[1], None).signals(10).shown


def test_reading_ease_is_that_languages_measure(app: Flask, demo_plan: PlanContent) -> None:
    with app.app_context():
        plan_id, parts = plan_and_parts()
        fr = db.session.scalars(select(SectionText).where(
            SectionText.section_id == parts[0], SectionText.locale == "fr")).one()
        summary = queries.reaction_summary(plan_id, by="locale")
        assert row(summary, parts[0], "fr").reading_ease() == fr.reading_ease
        assert row(summary, parts[0], None).reading_ease() is None


def test_participation_per_iso_week_counts_children_who_reacted_or_wrote(
        app: Flask, demo_plan: PlanContent) -> None:
    with app.app_context():
        plan_id, parts = plan_and_parts()
        sunday = datetime(2026, 3, 8, 23, 0, tzinfo=UTC)  # still week 10
        two_weeks_on = datetime(2026, 3, 18, 9, 0, tzinfo=UTC)  # week 12
        children = react(parts[0], ReactionKind.AGREE, 3)
        react(parts[1], ReactionKind.AGREE, 3, when=sunday, children=children)
        idea(plan_id, parts[0], SubmissionStatus.PENDING, child=children[0], when=sunday)
        react(parts[0], ReactionKind.AGREE, 2, when=two_weeks_on)
        db.session.commit()
        weekly = queries.weekly_participation(plan_id)
        assert [(w.label, w.children.raw, w.reactions.raw, w.ideas.raw)
                for w in weekly.rows] == [
            ("2026-W10", 3, 6, 1), ("2026-W11", 0, 0, 0), ("2026-W12", 2, 2, 0)]
        assert weekly.rows[0].week == date(2026, 3, 2)


def test_committee_positions_and_coverage(app: Flask, demo_plan: PlanContent) -> None:
    facilitator = make_staff(app, "fac@example.org", Role.FACILITATOR)
    committee = make_committee(app, facilitator_ids=(facilitator.id,))
    sent = make_session(app, committee, facilitator.id, status=SessionStatus.ACCEPTED)
    draft = make_session(app, committee, facilitator.id)
    with app.app_context():
        plan_id, parts = plan_and_parts()
        for public_id, children in ((sent, 14), (draft, 9)):
            session = db.session.scalars(select(CommitteeSession).where(
                CommitteeSession.public_id == public_id)).one()
            session.children_present = children
            db.session.add(SessionPart(session_id=session.id, section_id=parts[0], position=1,
                                       group_position=GroupPosition.AGREE))
        db.session.commit()
        positions = queries.committee_positions(plan_id)
        first = positions.rows[0]
        assert (first.sessions.raw, first.children.raw) == (1, 14)  # the draft does not count
        assert first.positions["agree"].raw == 1 and first.positions["mixed"].raw == 0
        coverage = queries.committee_coverage(plan_id)
        assert coverage.parts_covered == 1 and coverage.parts_total == len(parts)
        # Children's figures are untouched by the committee's fourteen children.
        reactions = queries.reaction_summary(plan_id, by=None)
        assert row(reactions, None, None).children.raw == 0


def test_a_slow_summary_is_kept_until_new_activity_or_its_time_is_up(
        app: Flask, demo_plan: PlanContent, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queries, "SLOW_SUMMARY_SECONDS", 0.0)  # as if counting took long
    with app.app_context():
        app.extensions.pop("report_summaries", None)
        plan_id, parts = plan_and_parts()
        react(parts[0], ReactionKind.AGREE, 12)
        db.session.commit()
        first = queries.reaction_summary(plan_id, by=None, threshold=10)
        # A change to an existing row waits for the cache's time (REPORT_CACHE_SECONDS)...
        reaction = db.session.scalars(select(Reaction)).first()
        assert reaction is not None
        reaction.kind = ReactionKind.CONFUSED
        db.session.commit()
        kept = queries.reaction_summary(plan_id, by=None, threshold=15)
        assert kept.rows == first.rows and kept.threshold == 15
        # ...a new reaction is counted at once.
        react(parts[1], ReactionKind.AGREE, 1)
        db.session.commit()
        fresh = queries.reaction_summary(plan_id, by=None)
        assert row(fresh, parts[0], None).counts["confused"].raw == 1
        assert row(fresh, None, None).children.raw == 13
        monkeypatch.setitem(app.config, "REPORT_CACHE_SECONDS", 0)
        reaction.kind = ReactionKind.AGREE
        db.session.commit()
        assert row(queries.reaction_summary(plan_id, by=None), parts[0],
                   None).counts["confused"].raw == 0
        app.extensions.pop("report_summaries", None)
