"""Organisers' answer services: decisions and their reasons, every language before children
see it, a second organiser who never wrote it, one outcome when two act at once, committee
sessions answered, links only to approved input of the subject, flags, protected counts, and
an audit entry for every change."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from participation.accounts.models import Role, User
from participation.answers.models import (
    Answer,
    AnswerReaction,
    AnswerStatus,
    AnswerSubject,
    AnswerText,
    Decision,
)
from participation.answers.queries import (
    answer_for_submission,
    link_choices,
    organiser_flags,
    published_answers_for_part,
    reaction_counts,
)
from participation.answers.services import (
    AnswerError,
    AnswerSubjectRef,
    TextInput,
    add_answer_update,
    approve_answer,
    approve_answer_update,
    create_answer,
    edit_answer,
    link_submissions,
    may_approve,
    publish_answer,
    score_text,
    withdraw_answer,
)
from participation.audit.models import AuditEvent
from participation.committees.models import CommitteeSession, SessionStatus
from participation.db import db, utcnow
from participation.feedback.models import Submission, SubmissionSource, SubmissionStatus
from participation.plans.models import Plan, Section
from participation.plans.readability import TARGET_READING_EASE
from tests.committees.builders import make_committee
from tests.committees.review_builders import Said, submitted_session
from tests.conftest import make_staff

EASY = {
    "fr": TextInput("Nous allons faire des parcs. Ils seront près des écoles. Merci pour vos idées."),
    "en": TextInput("We will make parks. They will be near schools. Thank you for your ideas."),
    "es": TextInput("Vamos a hacer parques. Estarán cerca de las escuelas. Gracias por sus ideas."),
}
REASONS = {
    "fr": TextInput("Pas maintenant.", "Nous n'avons pas assez d'argent cette année."),
    "en": TextInput("Not now.", "We do not have enough money this year."),
    "es": TextInput("Ahora no.", "No tenemos bastante dinero este año."),
}


@pytest.fixture
def ctx(app: Flask, demo_plan: object) -> Iterator[None]:
    with app.app_context():
        yield


def organiser(app: Flask, email: str, *roles: Role) -> User:
    account = make_staff(app, email, *(roles or (Role.ORGANISER,)), with_totp=False)
    return db.session.get_one(User, account.id)


def plan_and_part(slug: str = "values") -> tuple[int, int]:
    plan = db.session.scalars(select(Plan).order_by(Plan.id.desc())).one()
    section = db.session.scalars(
        select(Section).where(Section.plan_id == plan.id, Section.slug == slug)).one()
    return plan.id, section.id


def approved_idea(plan_id: int, section_id: int | None, text: str, *,
                  status: SubmissionStatus = SubmissionStatus.APPROVED,
                  locale: str = "en") -> Submission:
    """A child's idea an adult already decided (straight to the database)."""
    item = Submission(public_id=uuid.uuid4().hex, plan_id=plan_id, section_id=section_id,
                      locale=locale, body=text, status=status, decided_at=utcnow(),
                      published_body=text if status == SubmissionStatus.APPROVED else None)
    db.session.add(item)
    db.session.flush()
    return item


def part_draft(writer: User, texts: dict[str, TextInput] | None = None,
               decision: Decision = Decision.WILL_DO) -> Answer:
    plan_id, section_id = plan_and_part()
    answer = create_answer(plan_id=plan_id,
                           subject=AnswerSubjectRef(AnswerSubject.PART, section_id=section_id),
                           decision=decision, texts=EASY if texts is None else texts,
                           actor=writer)
    db.session.commit()
    return answer


def actions(answer_id: int) -> list[str]:
    return list(db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "answer",
                                        AuditEvent.object_id == str(answer_id))
        .order_by(AuditEvent.id)))


def test_a_draft_keeps_each_language_with_its_reading_ease(app: Flask, ctx: None) -> None:
    writer = organiser(app, "writer@example.org")
    answer = part_draft(writer)
    assert answer.status == AnswerStatus.DRAFT and answer.written_by_id == writer.id
    for locale, text in EASY.items():
        stored = answer.text_in(locale)
        assert stored is not None and stored.body == text.body
        assert stored.reading_ease == score_text(text.body, locale)
        assert stored.reading_ease >= TARGET_READING_EASE
    assert actions(answer.id) == ["answer.created"]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "answer.created")).one()
    # The audit keeps facts, never the words children will read.
    assert "parks" not in str(event.details) and event.actor_id == writer.id


def test_a_hard_text_is_scored_low_but_still_saved(app: Flask, ctx: None) -> None:
    writer = organiser(app, "writer@example.org")
    hard = dict(EASY, en=TextInput(
        "Notwithstanding considerable budgetary constraints, the organisation's infrastructural "
        "reconfiguration necessitates comprehensive intergovernmental consultations."))
    answer = part_draft(writer, hard)
    stored = answer.text_in("en")
    assert stored is not None and stored.reading_ease is not None
    assert stored.reading_ease < TARGET_READING_EASE  # a warning on the page, not a refusal
    assert publish_answer(answer, actor=writer) == AnswerStatus.PUBLISHED


def test_every_language_is_needed_before_children_see_it(app: Flask, ctx: None) -> None:
    writer = organiser(app, "writer@example.org")
    answer = part_draft(writer, {"fr": EASY["fr"], "en": EASY["en"]})
    with pytest.raises(AnswerError) as refused:
        publish_answer(answer, actor=writer)
    assert refused.value.code == "missing_text" and refused.value.locales == ("es",)
    db.session.rollback()
    assert db.session.get_one(Answer, answer.id).status == AnswerStatus.DRAFT


@pytest.mark.parametrize("decision", [Decision.NOT_NOW, Decision.CANNOT])
def test_not_now_and_cannot_need_a_reason_in_every_language(
        app: Flask, ctx: None, decision: Decision) -> None:
    writer = organiser(app, "writer@example.org")
    answer = part_draft(writer, dict(REASONS, es=TextInput("Ahora no.")), decision)
    with pytest.raises(AnswerError) as refused:
        publish_answer(answer, actor=writer)
    assert refused.value.code == "missing_reason" and refused.value.locales == ("es",)
    db.session.rollback()
    answer = db.session.get_one(Answer, answer.id)
    edit_answer(answer, decision=decision, texts=REASONS, actor=writer)
    db.session.commit()
    assert publish_answer(answer, actor=writer) == AnswerStatus.PUBLISHED


@pytest.mark.parametrize("decision", [d for d in Decision if not d.needs_reason])
def test_other_decisions_need_no_reason(app: Flask, ctx: None, decision: Decision) -> None:
    writer = organiser(app, "writer@example.org")
    answer = part_draft(writer, decision=decision)
    assert publish_answer(answer, actor=writer) == AnswerStatus.PUBLISHED


def test_only_organisers_and_admins_write_answers(app: Flask, ctx: None) -> None:
    facilitator = organiser(app, "fac@example.org", Role.FACILITATOR)
    with pytest.raises(AnswerError) as refused:
        part_draft(facilitator)
    assert refused.value.code == "forbidden"
    db.session.rollback()
    admin = organiser(app, "admin@example.org", Role.ADMIN)
    assert part_draft(admin).written_by_id == admin.id


def test_texts_too_long_and_unknown_subjects_are_refused(app: Flask, ctx: None) -> None:
    writer = organiser(app, "writer@example.org")
    with pytest.raises(AnswerError) as refused:
        part_draft(writer, dict(EASY, fr=TextInput("mot " * 400)))
    assert refused.value.code == "body_too_long" and refused.value.locales == ("fr",)
    db.session.rollback()
    plan_id, _ = plan_and_part()
    for ref, code in [
        (AnswerSubjectRef(AnswerSubject.PART, section_id=999999), "bad_part"),
        (AnswerSubjectRef(AnswerSubject.MISSING, theme="   "), "bad_theme"),
        (AnswerSubjectRef(AnswerSubject.COMMITTEE_SESSION, committee_session_id=999999),
         "bad_session"),
    ]:
        with pytest.raises(AnswerError) as refused:
            create_answer(plan_id=plan_id, subject=ref, decision=Decision.WILL_DO, texts=EASY,
                          actor=writer)
        assert refused.value.code == code
        db.session.rollback()


def test_a_missing_theme_answer(app: Flask, ctx: None) -> None:
    writer = organiser(app, "writer@example.org")
    plan_id, _ = plan_and_part()
    answer = create_answer(plan_id=plan_id,
                           subject=AnswerSubjectRef(AnswerSubject.MISSING, theme="  sport  "),
                           decision=Decision.DECIDING, texts=EASY, actor=writer)
    db.session.commit()
    assert answer.theme == "sport" and answer.section_id is None


def test_with_a_second_organiser_the_writer_submits_and_another_approves(
        app: Flask, ctx: None) -> None:
    app.config["ANSWERS_NEED_SECOND_ORGANISER"] = True
    try:
        writer = organiser(app, "writer@example.org")
        other = organiser(app, "other@example.org")
        answer = part_draft(writer)
        assert publish_answer(answer, actor=writer) == AnswerStatus.AWAITING_APPROVAL
        db.session.commit()
        plan_id, section_id = plan_and_part()
        assert published_answers_for_part(plan_id, section_id, "en") == []
        assert not may_approve(answer, writer) and may_approve(answer, other)
        with pytest.raises(AnswerError) as refused:
            approve_answer(answer, actor=writer)
        assert refused.value.code == "own_answer"
        db.session.rollback()
        approve_answer(answer, actor=other)
        db.session.commit()
        answer = db.session.get_one(Answer, answer.id)
        assert answer.status == AnswerStatus.PUBLISHED and answer.approved_by_id == other.id
        assert answer.published_at is not None
        shown = published_answers_for_part(plan_id, section_id, "es")
        assert [view.body for view in shown] == [EASY["es"].body]
        assert actions(answer.id) == ["answer.created", "answer.submitted", "answer.approved"]
    finally:
        app.config["ANSWERS_NEED_SECOND_ORGANISER"] = False


def test_someone_who_changed_the_answer_cannot_approve_it_either(app: Flask, ctx: None) -> None:
    app.config["ANSWERS_NEED_SECOND_ORGANISER"] = True
    try:
        writer = organiser(app, "writer@example.org")
        editor = organiser(app, "editor@example.org")
        third = organiser(app, "third@example.org")
        answer = part_draft(writer)
        publish_answer(answer, actor=writer)
        db.session.commit()
        # Changing an answer that waits sends it back to draft: the approver reads it again.
        edit_answer(answer, decision=Decision.PARTLY, texts=EASY, actor=editor)
        db.session.commit()
        assert answer.status == AnswerStatus.DRAFT
        publish_answer(answer, actor=editor)
        db.session.commit()
        for someone in (writer, editor):
            with pytest.raises(AnswerError) as refused:
                approve_answer(answer, actor=someone)
            assert refused.value.code == "own_answer"
            db.session.rollback()
        approve_answer(answer, actor=third)
        db.session.commit()
        assert answer.status == AnswerStatus.PUBLISHED
    finally:
        app.config["ANSWERS_NEED_SECOND_ORGANISER"] = False


def test_two_organisers_approving_at_once_one_wins(app: Flask, ctx: None) -> None:
    app.config["ANSWERS_NEED_SECOND_ORGANISER"] = True
    try:
        writer = organiser(app, "writer@example.org")
        first = organiser(app, "first@example.org")
        second = organiser(app, "second@example.org")
        answer = part_draft(writer)
        publish_answer(answer, actor=writer)
        db.session.commit()
        answer_id, approver_ids = answer.id, (first.id, second.id)
        db.session.remove()
        results: list[str] = []
        barrier = threading.Barrier(2)

        def approve_as(user_id: int) -> None:
            with app.app_context():
                user = db.session.get_one(User, user_id)
                loaded = db.session.get_one(Answer, answer_id)
                assert loaded.status == AnswerStatus.AWAITING_APPROVAL
                barrier.wait()
                try:
                    approve_answer(loaded, actor=user)
                    db.session.commit()
                    results.append("approved")
                except AnswerError as error:
                    db.session.rollback()
                    results.append(error.code)
                except Exception as error:  # SQLite: the loser is told the database is busy
                    db.session.rollback()
                    results.append(type(error).__name__)

        threads = [threading.Thread(target=approve_as, args=(uid,)) for uid in approver_ids]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert results.count("approved") == 1, results
        answer = db.session.get_one(Answer, answer_id)
        assert answer.approved_by_id in approver_ids
        assert actions(answer_id).count("answer.approved") == 1
    finally:
        app.config["ANSWERS_NEED_SECOND_ORGANISER"] = False


def test_a_published_answer_cannot_be_published_or_edited_again(app: Flask, ctx: None) -> None:
    writer = organiser(app, "writer@example.org")
    answer = part_draft(writer)
    publish_answer(answer, actor=writer)
    db.session.commit()
    for act in (lambda: publish_answer(answer, actor=writer),
                lambda: edit_answer(answer, decision=Decision.CANNOT, texts=EASY, actor=writer)):
        with pytest.raises(AnswerError) as refused:
            act()
        assert refused.value.code == "status_changed"
        db.session.rollback()
    assert db.session.get_one(Answer, answer.id).decision == Decision.WILL_DO


def accepted_session(app: Flask, *, due: date | None = None) -> tuple[int, list[int]]:
    """A committee session whose statements were all approved (accepted, answer due)."""
    facilitator = make_staff(app, "facilitator@example.org", Role.FACILITATOR, with_totp=False)
    committee = make_committee(app, facilitator_ids=(facilitator.id,))
    sent = submitted_session(app, committee, facilitator.id, said=(
        Said("Des parcs plus près des écoles."), Said("Plus de bus le soir.", part="values")))
    with app.app_context():
        ids = []
        for public_id in sent.statements:
            item = db.session.scalars(
                select(Submission).where(Submission.public_id == public_id)).one()
            item.status, item.published_body = SubmissionStatus.APPROVED, item.body
            item.decided_at = utcnow()
            ids.append(item.id)
        session = db.session.get_one(CommitteeSession, sent.session_id)
        session.status, session.accepted_at = SessionStatus.ACCEPTED, utcnow()
        session.answer_due_on = due or date.today() + timedelta(days=60)
        db.session.commit()
    return sent.session_id, ids


def test_publishing_a_committee_answer_marks_the_session_answered(app: Flask, ctx: None) -> None:
    session_id, statement_ids = accepted_session(app)
    writer = organiser(app, "writer@example.org")
    plan_id, _ = plan_and_part()
    answer = create_answer(
        plan_id=plan_id,
        subject=AnswerSubjectRef(AnswerSubject.COMMITTEE_SESSION, committee_session_id=session_id),
        decision=Decision.PARTLY, texts=EASY, actor=writer)
    link_submissions(answer, statement_ids, actor=writer)
    db.session.commit()
    assert {c.id for c in link_choices(answer) if c.linked} == set(statement_ids)
    publish_answer(answer, actor=writer)
    db.session.commit()
    session = db.session.get_one(CommitteeSession, session_id)
    db.session.refresh(session)
    assert session.status == SessionStatus.ANSWERED
    statement = db.session.get_one(Submission, statement_ids[0])
    assert answer_for_submission(statement) == answer
    assert db.session.scalar(select(AuditEvent.id).where(
        AuditEvent.action == "committee.session_answered")) is not None
    # Withdrawn, and no other answer published: the session waits for one again.
    withdraw_answer(answer, actor=writer)
    db.session.commit()
    db.session.refresh(session)
    assert session.status == SessionStatus.ACCEPTED
    assert answer_for_submission(statement) is None


def test_a_draft_session_cannot_be_answered(app: Flask, ctx: None) -> None:
    session_id, _ = accepted_session(app)
    db.session.get_one(CommitteeSession, session_id).status = SessionStatus.SUBMITTED
    db.session.commit()
    writer = organiser(app, "writer@example.org")
    plan_id, _ = plan_and_part()
    with pytest.raises(AnswerError) as refused:
        create_answer(plan_id=plan_id, subject=AnswerSubjectRef(
            AnswerSubject.COMMITTEE_SESSION, committee_session_id=session_id),
            decision=Decision.WILL_DO, texts=EASY, actor=writer)
    assert refused.value.code == "bad_session"


def test_links_only_to_approved_input_of_the_subject(app: Flask, ctx: None) -> None:
    writer = organiser(app, "writer@example.org")
    plan_id, section_id = plan_and_part()
    _, other_section = plan_and_part("vision")
    mine = approved_idea(plan_id, section_id, "More parks near schools")
    elsewhere = approved_idea(plan_id, other_section, "More doctors")
    pending = approved_idea(plan_id, section_id, "Waiting", status=SubmissionStatus.PENDING)
    rejected = approved_idea(plan_id, section_id, "No", status=SubmissionStatus.REJECTED)
    answer = part_draft(writer)
    assert [c.id for c in link_choices(answer)] == [mine.id]
    for wrong in (elsewhere, pending, rejected):
        with pytest.raises(AnswerError) as refused:
            link_submissions(answer, [mine.id, wrong.id], actor=writer)
        assert refused.value.code == "bad_link"
        db.session.rollback()
    assert link_submissions(answer, [mine.id], actor=writer) == 1
    db.session.commit()
    assert actions(answer.id) == ["answer.created", "answer.linked"]
    # Unchanged links record nothing new; removing one does.
    link_submissions(answer, [mine.id], actor=writer)
    link_submissions(answer, [], actor=writer)
    db.session.commit()
    assert actions(answer.id) == ["answer.created", "answer.linked", "answer.linked"]


def test_an_idea_hears_back_through_its_link_or_its_part(app: Flask, ctx: None) -> None:
    writer = organiser(app, "writer@example.org")
    plan_id, section_id = plan_and_part()
    idea = approved_idea(plan_id, section_id, "More parks")
    missing = approved_idea(plan_id, None, "Sport for everyone")
    theme = create_answer(plan_id=plan_id,
                          subject=AnswerSubjectRef(AnswerSubject.MISSING, theme="sport"),
                          decision=Decision.WILL_DO, texts=EASY, actor=writer)
    part = part_draft(writer)
    db.session.commit()
    assert answer_for_submission(idea) is None  # drafts say nothing
    publish_answer(part, actor=writer)
    db.session.commit()
    assert answer_for_submission(idea) == part
    assert answer_for_submission(missing) is None  # a theme answers only the ideas it links
    link_submissions(theme, [missing.id], actor=writer)
    publish_answer(theme, actor=writer)
    db.session.commit()
    assert answer_for_submission(missing) == theme


def test_progress_updates_need_every_language_and_a_second_organiser_when_set(
        app: Flask, ctx: None) -> None:
    writer = organiser(app, "writer@example.org")
    other = organiser(app, "other@example.org")
    answer = part_draft(writer)
    texts = {"fr": "Le premier parc est ouvert.", "en": "The first park is open.",
             "es": "El primer parque está abierto."}
    with pytest.raises(AnswerError) as refused:
        add_answer_update(answer, texts, actor=writer)
    assert refused.value.code == "not_published"
    db.session.rollback()
    publish_answer(answer, actor=writer)
    db.session.commit()
    with pytest.raises(AnswerError) as refused:
        add_answer_update(answer, dict(texts, es=""), actor=writer)
    assert refused.value.code == "missing_text" and refused.value.locales == ("es",)
    db.session.rollback()
    item = add_answer_update(answer, texts, actor=writer)
    db.session.commit()
    assert item.published_at is not None
    plan_id, section_id = plan_and_part()
    [view] = published_answers_for_part(plan_id, section_id, "fr")
    assert [u.body for u in view.updates] == [texts["fr"]]
    app.config["ANSWERS_NEED_SECOND_ORGANISER"] = True
    try:
        later = add_answer_update(answer, texts, actor=writer)
        db.session.commit()
        assert later.published_at is None
        with pytest.raises(AnswerError) as refused:
            approve_answer_update(later, actor=writer)
        assert refused.value.code == "own_answer"
        db.session.rollback()
        approve_answer_update(later, actor=other)
        db.session.commit()
        with pytest.raises(AnswerError):
            approve_answer_update(later, actor=other)
        db.session.rollback()
    finally:
        app.config["ANSWERS_NEED_SECOND_ORGANISER"] = False
    [view] = published_answers_for_part(plan_id, section_id, "en")
    assert len(view.updates) == 2
    assert actions(answer.id) == ["answer.created", "answer.published", "answer.update_added",
                                  "answer.update_added", "answer.update_approved"]


def test_flags_late_sessions_and_parts_with_many_ideas(app: Flask, ctx: None) -> None:
    session_id, _ = accepted_session(app, due=date.today() - timedelta(days=1))
    writer = organiser(app, "writer@example.org")
    plan_id, section_id = plan_and_part()
    needed = app.config["ANSWER_NEEDED_AFTER_IDEAS"]
    for n in range(needed):
        approved_idea(plan_id, section_id, f"Idea {n}")
    _, health = plan_and_part("vision")
    for n in range(needed - 1):  # one short: not flagged
        approved_idea(plan_id, health, f"Idea {n}")
    db.session.commit()
    flags = organiser_flags(plan_id, locale="en")
    assert [s.public_id for s in flags.overdue_sessions] == [
        db.session.get_one(CommitteeSession, session_id).public_id]
    assert [p.section_id for p in flags.parts_waiting] == [section_id]
    assert flags.parts_waiting[0].ideas.value == needed  # protected: rounded, never below 10
    publish_answer(part_draft(writer), actor=writer)
    answer = create_answer(plan_id=plan_id, subject=AnswerSubjectRef(
        AnswerSubject.COMMITTEE_SESSION, committee_session_id=session_id),
        decision=Decision.WILL_DO, texts=EASY, actor=writer)
    publish_answer(answer, actor=writer)
    db.session.commit()
    assert not organiser_flags(plan_id, locale="en")


def test_clear_and_fair_counts_are_protected(app: Flask, ctx: None) -> None:
    writer = organiser(app, "writer@example.org")
    answer = part_draft(writer)
    for n in range(13):
        db.session.add(AnswerReaction(answer_id=answer.id, child_token_hash=f"{n:064d}",
                                      clear=n < 12, fair=n < 3))
    db.session.commit()
    counts = reaction_counts([answer.id])[answer.id]
    assert counts.children.value == 15  # 13 rounded to the nearest 5
    assert counts.clear.value == 10 and counts.not_clear.below
    assert counts.fair.below and counts.not_fair.value == 10
    empty = reaction_counts([answer.id + 1])[answer.id + 1]
    assert empty.children.value == 0 and not empty.children.below


def test_reading_ease_scoring_limits(app: Flask, ctx: None) -> None:
    assert score_text("", "en") == 0.0
    with pytest.raises(AnswerError):
        score_text("x" * 5000, "en")
    with pytest.raises(AnswerError):
        score_text("Hello.", "de")


def test_answer_texts_are_stored_per_language_once(app: Flask, ctx: None) -> None:
    writer = organiser(app, "writer@example.org")
    answer = part_draft(writer)
    edit_answer(answer, decision=Decision.WILL_DO,
                texts=dict(EASY, es=TextInput("")), actor=writer)
    db.session.commit()
    locales = db.session.scalars(
        select(AnswerText.locale).where(AnswerText.answer_id == answer.id)).all()
    assert sorted(locales) == ["en", "fr"]


def test_committee_input_never_counts_as_a_childs_idea_in_flags(app: Flask, ctx: None) -> None:
    plan_id, section_id = plan_and_part()
    for n in range(app.config["ANSWER_NEEDED_AFTER_IDEAS"]):
        item = approved_idea(plan_id, section_id, f"Group {n}")
        item.source = SubmissionSource.COMMITTEE
    db.session.commit()
    assert organiser_flags(plan_id, locale="en").parts_waiting == ()
