"""Children's side of answers: the panel under a part (published answers only, in the page's
language, cached), "What happened to our ideas" with what is new since the last visit, the
one-tap "clear?" and "fair?" (once per child, changeable, CSRF, rate-limited), "answered" on
"my ideas" and "check my idea", and the committee's letter for its facilitators only."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select

from participation.accounts.models import Role
from participation.answers.models import (
    Answer,
    AnswerReaction,
    AnswerStatus,
    AnswerSubject,
    AnswerText,
    AnswerUpdate,
    AnswerUpdateText,
    Decision,
    answer_links,
)
from participation.answers.public import SEEN_COOKIE
from participation.db import db, utcnow
from participation.feedback.models import Submission
from participation.plans.content import PlanContent
from participation.plans.models import Plan, Section
from tests.committees.builders import make_committee
from tests.committees.review_builders import Said, Sent, submitted_session
from tests.conftest import StaffAccount, html_problems, make_staff, sign_in
from tests.feedback.helpers import Child, approve, idea_code_on

# ---------------------------------------------------------------- builders
Texts = dict[str, tuple[str, str | None]]  # locale -> (body, reason)


@dataclass(frozen=True)
class Made:
    public_id: str
    id: int


def plan_ids(app: Flask) -> tuple[int, dict[str, int]]:
    with app.app_context():
        plan = db.session.scalars(select(Plan).order_by(Plan.id.desc())).first()
        assert plan is not None
        sections = {s.slug: s.id for s in db.session.scalars(
            select(Section).where(Section.plan_id == plan.id))}
        return plan.id, sections


def make_answer(app: Flask, texts: Texts, *, part: str | None = "values",
                decision: Decision = Decision.WILL_DO,
                status: AnswerStatus = AnswerStatus.PUBLISHED,
                published_at: datetime | None = None, theme: str | None = None,
                session_id: int | None = None, links: tuple[str, ...] = (),
                updates: tuple[Texts, ...] = ()) -> Made:
    """An answer written straight to the database (the organisers' services are tested on
    their own): about a part, a "something missing" theme or a committee session."""
    plan_id, sections = plan_ids(app)
    if session_id is not None:
        subject = AnswerSubject.COMMITTEE_SESSION
    elif theme is not None:
        subject = AnswerSubject.MISSING
    else:
        subject = AnswerSubject.PART
    with app.app_context():
        answer = Answer(
            public_id=uuid.uuid4().hex, plan_id=plan_id, subject=subject,
            section_id=sections[part] if subject == AnswerSubject.PART and part else None,
            theme=theme, committee_session_id=session_id, decision=decision, status=status,
            published_at=(published_at or utcnow()) if status == AnswerStatus.PUBLISHED
            else None,
        )
        answer.texts = [AnswerText(locale=locale, body=body, reason=reason)
                        for locale, (body, reason) in texts.items()]
        db.session.add(answer)
        db.session.flush()
        for update_texts in updates:
            made = AnswerUpdate(answer_id=answer.id, published_at=utcnow())
            made.texts = [AnswerUpdateText(locale=locale, body=body)
                          for locale, (body, _) in update_texts.items()]
            db.session.add(made)
        for public_id in links:
            submission_id = db.session.scalar(
                select(Submission.id).where(Submission.public_id == public_id))
            db.session.execute(answer_links.insert().values(answer_id=answer.id,
                                                            submission_id=submission_id))
        db.session.commit()
        return Made(answer.public_id, answer.id)


@pytest.fixture
def child(client: FlaskClient, demo_plan: PlanContent) -> Child:
    return Child(client)


def panel(page: str) -> str:
    """The "What we did with your ideas" region of a part page ('' when absent)."""
    match = re.search(r'<div class="our-answers".*?</section>\s*</div>', page, re.S)
    return match.group(0) if match else ""


def card(page: str, public_id: str) -> str:
    match = re.search(rf'<article class="answer-card[^"]*" id="answer-{public_id}".*?</article>',
                      page, re.S)
    assert match, f"no answer {public_id} on the page"
    return match.group(0)


def pressed(page: str, public_id: str) -> dict[str, str]:
    """Which tap buttons of an answer are pressed: {"clear": "yes", ...}."""
    found = {}
    for tap in ("clear", "fair"):
        form = re.search(rf'action="[^"]*/answers/{public_id}/{tap}".*?</form>',
                         card(page, public_id), re.S)
        assert form
        on = re.findall(r'value="(yes|no)"[^>]*aria-pressed="true"', form.group(0))
        found[tap] = on[0] if on else ""
    return found


def tap(child: Child, public_id: str, which: str, choice: str, back: str = "list"):  # type: ignore[no-untyped-def]
    return child.client.post(f"/{child.locale}/answers/{public_id}/{which}", data={
        "csrf_token": child.csrf, "choice": choice, "back": back})


# ---------------------------------------------------------------- the part page
def test_the_part_panel_shows_only_published_answers_in_the_pages_language(
        app: Flask, child: Child) -> None:
    assert panel(child.open_part("values").get_data(as_text=True)) == ""  # nothing yet
    both = make_answer(app, {"en": ("We will make a quiet room in every centre.", None),
                             "fr": ("Nous ferons une salle calme dans chaque centre.", None)})
    make_answer(app, {"fr": ("Nous réfléchissons encore.", None),
                      "en": ("We are still thinking.", None)}, decision=Decision.DECIDING)
    make_answer(app, {"en": ("A draft nobody sees.", None)}, status=AnswerStatus.DRAFT)
    make_answer(app, {"en": ("Waiting for approval.", None)},
                status=AnswerStatus.AWAITING_APPROVAL)
    make_answer(app, {"en": ("Taken down.", None)}, status=AnswerStatus.WITHDRAWN)
    make_answer(app, {"en": ("About another part.", None)}, part="vision")
    make_answer(app, {"en": ("We asked everyone.", "There is no money this year.")},
                         decision=Decision.CANNOT,
                         updates=({"en": ("We found some money after all.", None)},))

    english = panel(child.open_part("values").get_data(as_text=True))
    assert "What we did with your ideas" in english and 'data-listen="#our-answers"' in english
    assert "We will make a quiet room in every centre." in english and "We will do it" in english
    assert "We can't, because…" in english and "There is no money this year." in english
    assert "We found some money after all." in english
    assert "We are still thinking." in english and "We are still deciding" in english
    for hidden in ("Nous", "A draft", "Waiting for approval", "Taken down", "another part"):
        assert hidden not in english
    assert english.index("There is no money") < english.index("We asked everyone")  # reason first
    month = utcnow().strftime("%Y")
    assert "Answered in " in english and month in english
    assert not re.search(r"\b\d{1,2} [A-Z][a-z]+ \d{4}\b", english)  # by month, never a day

    child.locale = "fr"
    french = panel(child.open_part("values").get_data(as_text=True))
    assert "Nous ferons une salle calme" in french and "Nous réfléchissons encore." in french
    assert "quiet room" not in french and "still thinking" not in french
    assert f'id="answer-{both.public_id}"' in french


@pytest.fixture
def cached(app: Flask) -> Iterator[None]:
    """The part page as in production: its fragments kept for 30 seconds."""
    app.config["PLAN_CACHE_SECONDS"] = 30
    app.extensions["part_answers"].clear()
    try:
        yield
    finally:
        app.config["PLAN_CACHE_SECONDS"] = 0
        app.extensions["part_answers"].clear()


def test_a_cached_part_page_runs_no_query_for_answers_and_still_shows_the_childs_taps(
        app: Flask, child: Child, cached: None) -> None:
    made = make_answer(app, {"en": ("We will make a quiet room.", None)})
    child.open_part("values")
    assert tap(child, made.public_id, "clear", "yes", back="part").status_code == 302
    statements: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        page = child.open_part("values").get_data(as_text=True)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert "We will make a quiet room." in panel(page)
    assert not [s for s in statements if "answer" in s.lower()], statements
    assert pressed(page, made.public_id) == {"clear": "yes", "fair": ""}


# ---------------------------------------------------------------- one-tap clear / fair
def reactions(app: Flask) -> list[tuple[str, bool | None, bool | None]]:
    with app.app_context():
        return [(row.child_token_hash, row.clear, row.fair) for row in db.session.scalars(
            select(AnswerReaction).order_by(AnswerReaction.id))]


def test_clear_and_fair_are_stored_once_per_child_and_can_be_changed(
        app: Flask, child: Child) -> None:
    made = make_answer(app, {"en": ("We will make a quiet room.", None)})
    child.open_part("values")
    response = tap(child, made.public_id, "clear", "yes", back="part")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/en/plan/values#answer-{made.public_id}")
    page = child.get(response.headers["Location"]).get_data(as_text=True)
    assert "Thank you!" in card(page, made.public_id)
    assert pressed(page, made.public_id) == {"clear": "yes", "fair": ""}
    assert "Thank you!" not in child.open_part("values").get_data(as_text=True)  # once

    tap(child, made.public_id, "clear", "no", back="part")  # changed their mind
    child.open_part("values")
    tap(child, made.public_id, "fair", "yes", back="part")
    tap(child, made.public_id, "fair", "yes", back="part")  # a double tap
    rows = reactions(app)
    assert len(rows) == 1 and rows[0][1:] == (False, True)

    # The list page shows the same choice (from the database) and comes back to itself.
    child.get("/en/answers")
    assert pressed(child.page, made.public_id) == {"clear": "no", "fair": "yes"}
    back = tap(child, made.public_id, "fair", "no")
    assert back.headers["Location"].endswith(f"/en/answers#answer-{made.public_id}")

    other = Child(app.test_client())
    other.open_part("values")
    tap(other, made.public_id, "fair", "yes", back="part")
    rows = reactions(app)
    assert len(rows) == 2 and rows[0][0] != rows[1][0]
    assert rows[0][1:] == (False, False) and rows[1][1:] == (None, True)
    assert all(len(row[0]) == 64 for row in rows)  # only the token's hash


def test_a_tap_needs_the_csrf_token_a_published_answer_and_a_known_choice(
        app: Flask, child: Child) -> None:
    made = make_answer(app, {"en": ("We will make a quiet room.", None)})
    draft = make_answer(app, {"en": ("Draft.", None)}, status=AnswerStatus.DRAFT)
    child.open_part("values")
    forged = child.client.post(f"/en/answers/{made.public_id}/clear",
                               data={"choice": "yes", "back": "part"})
    assert forged.status_code == 400
    assert tap(child, draft.public_id, "clear", "yes").status_code == 404
    assert tap(child, "0" * 32, "fair", "yes").status_code == 404
    odd = tap(child, made.public_id, "clear", "maybe", back="https://evil.example")
    assert odd.status_code == 302 and odd.headers["Location"].startswith("/en/answers#")
    assert reactions(app) == []


def test_taps_are_rate_limited_like_reactions(app: Flask, child: Child) -> None:
    made = make_answer(app, {"en": ("We will make a quiet room.", None)})
    child.open_part("values")
    app.config["REACTION_LIMITS"] = "3 per minute"
    try:
        statuses = [tap(child, made.public_id, "clear", choice).status_code
                    for choice in ("yes", "no", "yes", "no")]
    finally:
        app.config["REACTION_LIMITS"] = "30 per minute"
    assert statuses == [302, 302, 302, 429]
    assert reactions(app)[0][1] is True  # the refused tap changed nothing


# ---------------------------------------------------------------- "what happened"
def test_what_happened_lists_every_answer_and_marks_what_is_new_since_the_last_visit(
        app: Flask, child: Child) -> None:
    runner = make_staff(app, "runner@example.org", Role.FACILITATOR, with_totp=False)
    committee = make_committee(app, facilitator_ids=(runner.id,), name="Comité de Dakar")
    sent = submitted_session(app, committee, runner.id)
    old = make_answer(app, {"en": ("A quiet room.", None)},
                      published_at=utcnow() - timedelta(days=40))
    theme = make_answer(app, {"en": ("Sport will get its own part.", None)}, theme="sport",
                        published_at=utcnow() - timedelta(days=40))
    meeting = make_answer(app, {"en": ("Thank you, Dakar: parks near schools.", None)},
                          session_id=sent.session_id, decision=Decision.PARTLY,
                          published_at=utcnow() - timedelta(days=40))
    response = child.get("/en/answers")
    page = child.page
    assert response.status_code == 200
    for made in (old, theme, meeting):
        assert f'id="answer-{made.public_id}"' in page
    assert "Ideas about something missing in the plan" in page and "About: sport" in page
    assert "For Comité de Dakar" in page and "About the meeting of November 2026" in page
    assert "New" not in re.sub(r"<[^>]+>", " ", page).split()  # a first visit marks nothing
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{SEEN_COOKIE}=") and "SameSite=Lax" in cookie
    assert "HttpOnly" in cookie and re.match(rf"{SEEN_COOKIE}=\d+;", cookie)

    # The last visit was a week ago: one answer came since, and one old answer has news.
    last = int((utcnow() - timedelta(days=7)).timestamp())
    child.client.set_cookie(SEEN_COOKIE, str(last))
    fresh = make_answer(app, {"en": ("A bigger library.", None)}, part="vision")
    with app.app_context():
        news = AnswerUpdate(answer_id=old.id, published_at=utcnow())
        news.texts = [AnswerUpdateText(locale="en", body="The room is open.")]
        db.session.add(news)
        db.session.commit()
    page = child.get("/en/answers").get_data(as_text=True)
    assert '<span class="answer-badge">New</span>' in card(page, fresh.public_id)
    assert "Updated" in card(page, old.public_id)
    assert "answer-badge" not in card(page, theme.public_id)
    assert "2 answers are new since your last visit." in page
    # The visit moved the cookie forward: nothing is new any more.
    page = child.get("/en/answers").get_data(as_text=True)
    assert "answer-badge" not in page and "Nothing new since your last visit." in page


def test_what_happened_is_in_the_pages_language_and_kind_when_empty(
        app: Flask, child: Child) -> None:
    child.get("/fr/answers")
    assert '<html lang="fr"' in child.page  # its words come from the catalogue (translator)
    child.get("/en/answers")
    assert "There are no answers yet." in child.page
    make_answer(app, {"fr": ("Nous le ferons.", None), "en": ("We will do it soon.", None)})
    child.get("/en/answers")
    assert "Nous le ferons." not in child.page and "We will do it soon." in child.page
    child.get("/fr/answers")
    assert "Nous le ferons." in child.page and "We will do it soon." not in child.page


# ---------------------------------------------------------------- "answered" on an idea
def send_with_code(child: Child, slug: str | None, text: str) -> tuple[str, str]:
    public_id = child.sent_id(child.send(slug, text))
    child.get(f"/{child.locale}/ideas/{public_id}/sent")
    code = idea_code_on(child.page)
    assert code
    return public_id, code


def check(visitor: Child, code: str) -> str:
    visitor.get(f"/{visitor.locale}/check")
    response = visitor.client.post(f"/{visitor.locale}/check",
                                   data={"csrf_token": visitor.csrf, "code": code})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_answered_on_my_ideas_and_on_the_check_page(app: Flask, child: Child) -> None:
    about_part, part_code = send_with_code(child, "values", "A quiet room to rest.")
    missing, missing_code = send_with_code(child, None, "Nothing about sport!")
    send_with_code(child, "vision", "More trees.")
    approve(app, about_part)
    approve(app, missing)
    page = child.get("/en/my-ideas").get_data(as_text=True)
    assert "Answered" not in page

    make_answer(app, {"en": ("We will make a quiet room.", None)})  # answers its part
    make_answer(app, {"en": ("Sport gets its own part.", None)}, theme="sport",
                links=(missing,), decision=Decision.ALREADY_DO)
    make_answer(app, {"en": ("Trees everywhere.", None)}, part="vision")  # idea not shared yet
    page = child.get("/en/my-ideas").get_data(as_text=True)
    assert page.count("Answered</strong>") == 2
    assert "We will make a quiet room." in page and "Sport gets its own part." in page
    assert "Trees everywhere." not in page  # waiting for an adult: no answer yet
    assert "/en/answers#answer-" in page

    phone = Child(app.test_client())
    result = check(phone, part_code)
    assert "Answered" in result and "We will make a quiet room." in result
    assert "We will do it" in result
    result = check(phone, missing_code)
    assert "Sport gets its own part." in result and "We already do it" in result


def test_a_committee_statement_is_answered_by_its_sessions_answer(
        app: Flask, demo_plan: PlanContent) -> None:
    from participation.answers.children import answer_for_submission

    runner = make_staff(app, "runner@example.org", Role.FACILITATOR, with_totp=False)
    committee = make_committee(app, facilitator_ids=(runner.id,))
    sent = submitted_session(app, committee, runner.id, said=(Said("Des parcs.", part=None),))
    approve(app, sent.statements[0])
    made = make_answer(app, {"fr": ("Merci.", None)}, session_id=sent.session_id)
    with app.app_context():
        item = db.session.scalars(select(Submission).where(
            Submission.public_id == sent.statements[0])).one()
        found = answer_for_submission(item)
        assert found is not None and found.public_id == made.public_id


# ---------------------------------------------------------------- the committee's letter
@pytest.fixture
def session_with_answers(app: Flask, demo_plan: PlanContent) -> tuple[StaffAccount, Sent]:
    runner = make_staff(app, "runner@example.org", Role.FACILITATOR)
    committee = make_committee(app, facilitator_ids=(runner.id,), name="Comité de Thiès")
    sent = submitted_session(app, committee, runner.id, said=(
        Said("Des parcs plus près des écoles.", part="values"),
        Said("Une salle pour le sport.", part=None),
        Said("Texte gardé de côté.", part="vision")))
    approve(app, sent.statements[0])
    approve(app, sent.statements[1])
    make_answer(app, {"fr": ("Merci pour votre réunion. Nous avons tout lu.", None),
                      "en": ("Thank you.", None)}, session_id=sent.session_id)
    make_answer(app, {"fr": ("Nous ferons des parcs.", None)}, part="values",
                decision=Decision.PARTLY)
    return runner, sent


def letter_client(app: Flask, account: StaffAccount) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, account.email, totp_secret=account.totp_secret).status_code == 302
    return client


def test_the_letter_is_for_that_committees_facilitators_only(
        app: Flask, session_with_answers: tuple[StaffAccount, Sent]) -> None:
    runner, sent = session_with_answers
    runner_client = letter_client(app, runner)
    response = runner_client.get(f"/staff/committee-letters/{sent.session_public_id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<article class="letter" lang="fr"' in page and "Comité de Thiès" in page
    assert "Merci pour votre réunion. Nous avons tout lu." in page
    assert "Des parcs plus près des écoles." in page and "Nous ferons des parcs." in page
    assert "Une salle pour le sport." in page
    assert "Texte gardé de côté." not in page  # never approved: never in the letter
    assert "Thank you." not in page  # the session's language only

    other = make_staff(app, "other@example.org", Role.FACILITATOR)
    assert letter_client(app, other).get(
        f"/staff/committee-letters/{sent.session_public_id}").status_code == 403
    for role in (Role.ORGANISER, Role.ADMIN, Role.SAFEGUARDING_LEAD):
        person = make_staff(app, f"{role.value}@example.org", role)
        assert letter_client(app, person).get(
            f"/staff/committee-letters/{sent.session_public_id}").status_code == 403
    assert app.test_client().get(
        f"/staff/committee-letters/{sent.session_public_id}").status_code == 302
    assert runner_client.get(f"/staff/committee-letters/{'0' * 32}").status_code == 404


# ---------------------------------------------------------------- valid HTML
def test_the_childrens_answer_pages_are_valid_html(
        app: Flask, child: Child, session_with_answers: tuple[StaffAccount, Sent],
        tmp_path: Path) -> None:
    runner, sent = session_with_answers
    public_id, code = send_with_code(child, "values", "A quiet room to rest.")
    approve(app, public_id)
    made = make_answer(app, {"en": ("We will make a quiet room.\nIt opens in June.", None)},
                       updates=({"en": ("The room is ready.", None)},))
    child.open_part("values")
    tap(child, made.public_id, "clear", "yes", back="part")
    pages = {
        "part": child.open_part("values").data,
        "answers": child.get("/en/answers").data,
        "answers-fr": child.get("/fr/answers").data,
        "my-ideas": child.get("/en/my-ideas").data,
    }
    phone = Child(app.test_client())
    pages["check"] = check(phone, code).encode()
    pages["letter"] = letter_client(app, runner).get(
        f"/staff/committee-letters/{sent.session_public_id}").data
    assert b"quiet room" in pages["part"] and b"Answered" in pages["check"]
    assert html_problems(pages, tmp_path) == []

