"""A child hears back: "check my idea" with its code on any device, caring answers for a child
who may be in danger, a kind word when the tablet has forgotten them, redaction notices."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask_babel import force_locale, gettext
from markupsafe import Markup
from sqlalchemy import select, update

from participation.db import db
from participation.feedback.models import RejectionReason, Submission, SubmissionStatus
from participation.feedback.queries import register_answer_source
from participation.feedback.services import find_by_idea_code
from participation.plans.content import PlanContent
from participation.screening.services import Priority
from tests.feedback.helpers import Child, approve, idea_code_on, keep_safe, reject

# What a child who may be in danger writes, in each language (urgent for screening).
HARM = {"fr": "mon père me frappe tous les soirs", "en": "my dad hits me every night",
        "es": "mi padrastro me pega cuando bebe"}
HELPLINE_PHONE = {"fr": "119", "en": "0800 1111", "es": "900 20 20 10"}
EMERGENCY = {"fr": "112", "en": "999", "es": "112"}
SECRECY = ("secret", "secreto", "confidential", "confidentiel", "only you", "nobody will know")


@pytest.fixture
def child(client: object, demo_plan: PlanContent) -> Child:
    return Child(client)  # type: ignore[arg-type]


def send_with_code(child: Child, slug: str | None, text: str) -> tuple[str, str]:
    public_id = child.sent_id(child.send(slug, text))
    child.get(f"/{child.locale}/ideas/{public_id}/sent")
    code = idea_code_on(child.page)
    assert code
    return public_id, code


def check(visitor: Child, code: str, locale: str = "en") -> tuple[int, str]:
    """Type the code on the check page of another device, as a browser would."""
    visitor.get(f"/{locale}/check")
    response = visitor.client.post(f"/{locale}/check",
                                   data={"csrf_token": visitor.csrf, "code": code})
    return response.status_code, response.get_data(as_text=True)


def page_of(visitor: Child, path: str) -> str:
    visitor.get(path)
    return visitor.page


def translated(app: Flask, locale: str, message: str) -> str:
    """``message`` as a child reading in ``locale`` sees it."""
    with app.app_context(), force_locale(locale):
        return str(gettext(message))


def rejection_sentences(locale: str) -> list[str]:
    """Every ordinary "not shared" sentence, as the child would read it in ``locale``."""
    sentences = ["Not shared.", "It could not be shared this time.",
                 "It had details that could show who you are. We keep you safe by not sharing those.",
                 "It was not about the plan. You can write about any part of it!",
                 "It had words that could hurt others. Try saying it kindly.",
                 "Someone already shared the same idea. Great minds think alike!",
                 "We did not understand it. You can try again with other words."]
    with force_locale(locale):
        return [str(gettext(sentence)) for sentence in sentences]


def other_device(app: Flask, locale: str = "en") -> Child:
    return Child(app.test_client(), locale)


def test_check_page_asks_for_the_code_and_changes_nothing_on_get(
    app: Flask, child: Child
) -> None:
    _public_id, code = send_with_code(child, "vision", "More benches in the park.")
    phone = other_device(app)
    response = phone.get("/en/check")
    assert response.status_code == 200
    assert 'for="code"' in phone.page and "Your idea code" in phone.page
    assert response.headers["Cache-Control"] == "no-store"
    # A code in the address is never looked up (no state, no answer on GET).
    phone.get(f"/en/check?code={code.replace(' ', '+')}")
    assert "Waiting for an adult" not in phone.page and "Your idea</h2>" not in phone.page


def test_another_device_follows_an_idea_from_waiting_to_shared(app: Flask, child: Child) -> None:
    public_id, code = send_with_code(child, "vision", "More benches in the park.")
    assert "Write down your idea code" in child.page and '/en/check"' in child.page
    phone = other_device(app)
    status, page = check(phone, code.upper().replace(" ", " - "))
    assert status == 200
    assert "Waiting for an adult to read it." in page and "Our dream" in page
    assert "More benches in the park." not in page  # the words are not shown before sharing
    approve(app, public_id)
    status, page = check(phone, code)
    assert "Shared with other children." in page
    assert "This is what other children see:" in page and "More benches in the park." in page
    assert "We removed words" not in page
    assert "answer-title" not in page  # no organisation's answer yet: nothing said about it


def test_a_redacted_idea_shows_its_author_the_shared_version(app: Flask, child: Child) -> None:
    public_id, code = send_with_code(child, "vision", "My name is Sam and I want parks.")
    # Screening spotted personal details: the confirmation says they will be hidden.
    assert "An adult will hide them before sharing it." in child.page
    approve(app, public_id, "My name is [hidden] and I want parks.")
    child.get("/en/my-ideas")
    assert "Shared with other children." in child.page
    assert "We removed words that could show who you are." in child.page
    assert "My name is Sam and I want parks." in child.page  # the child's own words, on their tablet
    assert "[hidden]" not in child.page
    assert re.search(r"My name is <span class=\"hidden-words\">.*?some words were hidden.*?"
                     r"</span></span> and I want parks\.", child.page)
    status, page = check(other_device(app), code)
    assert status == 200 and "We removed words that could show who you are." in page
    assert "Sam" not in page and "[hidden]" not in page


def test_ordinary_ideas_say_nothing_about_hiding_details(app: Flask, child: Child) -> None:
    public_id, _code = send_with_code(child, "vision", "Children should plant trees.")
    assert "hide" not in child.page
    approve(app, public_id)
    child.get("/en/my-ideas")
    assert "Shared with other children." in child.page and "We removed words" not in child.page


def test_a_rejected_idea_gets_its_kind_reason(app: Flask, child: Child) -> None:
    public_id, code = send_with_code(child, "vision", "football scores today")
    reject(app, public_id, RejectionReason.OFF_TOPIC)
    status, page = check(other_device(app), code)
    assert status == 200 and "Not shared." in page and "It was not about the plan." in page


def test_a_withdrawn_idea_says_it_was_taken_back(app: Flask, child: Child) -> None:
    public_id, code = send_with_code(child, "vision", "Changed my mind about this.")
    child.get(f"/en/my-ideas/{public_id}/withdraw")
    child.client.post(f"/en/my-ideas/{public_id}/withdraw", data={"csrf_token": child.csrf})
    status, page = check(other_device(app), code)
    assert status == 200 and "You took this idea back." in page
    assert "Changed my mind" not in page


def test_unknown_and_malformed_codes_get_the_same_kind_answer(app: Flask, child: Child) -> None:
    send_with_code(child, "vision", "A real idea.")
    phone = other_device(app)
    answers = [check(phone, typed) for typed in (
        "apple apple apple apple", "zzz", "", "<script>", "a" * 400, "tiger moon")]
    statuses = {status for status, _page in answers}
    assert statuses == {404}
    messages = {re.search(r'role="alert"[^>]*>(.*?)</div>', page, re.S).group(1).strip()  # type: ignore[union-attr]
                for _status, page in answers}
    assert messages == {"We could not find an idea with this code. Check each word, then try again."}


def test_wrong_codes_are_throttled_but_right_ones_are_not(
    app: Flask, child: Child, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "IDEA_CODE_FAILURE_LIMITS", "3 per minute")
    _public_id, code = send_with_code(child, "vision", "Checking often is fine.")
    phone = other_device(app)
    for _ in range(8):  # successes never count
        assert check(phone, code)[0] == 200
    for _ in range(3):
        assert check(phone, "apple moon kite boat")[0] == 404
    phone.get("/en/check")
    response = phone.client.post("/en/check", data={"csrf_token": phone.csrf, "code": code})
    assert response.status_code == 429 and response.headers["Retry-After"] == "60"
    page = response.get_data(as_text=True)
    assert "Please wait a little" in page and "Some codes were not right." in page
    # Another network address is not held up.
    elsewhere = other_device(app)
    elsewhere.client.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert check(elsewhere, code)[0] == 200


def test_an_expired_check_page_asks_again_kindly(app: Flask, child: Child) -> None:
    _public_id, code = send_with_code(child, "vision", "An idea to check later.")
    phone = other_device(app)
    phone.get("/en/check")
    response = phone.client.post("/en/check", data={"csrf_token": "expired", "code": code})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "This page was open for a long time." in page and 'name="code"' in page
    assert code not in page


@pytest.mark.parametrize("locale", ["fr", "en", "es"])
def test_a_child_who_may_be_in_danger_is_answered_with_care(
    app: Flask, client: object, demo_plan: PlanContent, locale: str
) -> None:
    child = Child(client, locale)  # type: ignore[arg-type]
    public_id, code = send_with_code(child, "values", HARM[locale])
    assert HELPLINE_PHONE[locale] in child.page and EMERGENCY[locale] in child.page
    # Waiting for a lead: "my ideas" says a helping adult will read it, with help, no words.
    child.get(f"/{locale}/my-ideas")
    assert HARM[locale] not in child.page
    assert translated(app, locale, "A helping adult will read what you wrote, so they can help you.") in child.page
    assert HELPLINE_PHONE[locale] in child.page
    keep_safe(app, public_id)
    pages = {"my ideas": page_of(child, f"/{locale}/my-ideas"),
             "confirmation": page_of(child, f"/{locale}/ideas/{public_id}/sent"),
             "check": check(other_device(app, locale), code, locale)[1]}
    for name, page in pages.items():
        assert translated(app, locale, "A helping adult has read what you wrote.") in page, name
        assert HELPLINE_PHONE[locale] in page and EMERGENCY[locale] in page, name
        assert f'href="tel:{HELPLINE_PHONE[locale].replace(" ", "")}"' in page, name
        assert HARM[locale] not in page, name
        for sentence in rejection_sentences(locale):
            assert sentence not in page, (name, sentence)
        assert not any(word in page.lower() for word in SECRECY), name
    # Withdrawing stays possible, and its page does not show the words either.
    child.get(f"/{locale}/my-ideas/{public_id}/withdraw")
    assert child.page.count(HARM[locale]) == 0
    response = child.client.post(f"/{locale}/my-ideas/{public_id}/withdraw",
                                 data={"csrf_token": child.csrf})
    assert response.status_code == 302
    with app.app_context():
        item = find_by_idea_code(code)
        assert item is not None and item.status == SubmissionStatus.WITHDRAWN
        assert item.body == HARM[locale]  # a safeguarding lead may still read it


def test_an_escalated_idea_is_worrying_too(app: Flask, child: Child) -> None:
    public_id, _code = send_with_code(child, "vision", "Sometimes I am scared at home.")
    with app.app_context():
        db.session.execute(update(Submission).where(Submission.public_id == public_id)
                           .values(priority=Priority.ESCALATED))
        db.session.commit()
    child.get("/en/my-ideas")
    assert "scared at home" not in child.page
    assert "A helping adult will read what you wrote" in child.page and "0800 1111" in child.page
    child.get(f"/en/my-ideas/{public_id}/withdraw")
    child.client.post(f"/en/my-ideas/{public_id}/withdraw", data={"csrf_token": child.csrf})
    with app.app_context():
        body = db.session.scalar(select(Submission.body).where(Submission.public_id == public_id))
    assert body == "Sometimes I am scared at home."  # kept for the lead, like an urgent idea


def test_a_forgotten_tablet_points_to_the_check_page(app: Flask, child: Child) -> None:
    send_with_code(child, "vision", "Sent before finishing.")
    child.get("/en/finish")
    child.client.post("/en/finish", data={"csrf_token": child.csrf})
    child.get("/en/my-ideas")
    assert "This device does not remember you now" in child.page
    assert 'href="/en/check"' in child.page
    assert "You have not sent any ideas yet." not in child.page
    assert "Sent before finishing." not in child.page


def test_an_idle_tablet_forgets_and_says_so(app: Flask, child: Child) -> None:
    from participation.feedback.identity import SEEN_KEY

    send_with_code(child, "vision", "Sent before a long break.")
    with child.client.session_transaction() as session:
        session[SEEN_KEY] = int(session[SEEN_KEY]) - app.config["CHILD_IDLE_SECONDS"] - 1
    child.get("/en/my-ideas")
    assert "This device does not remember you now" in child.page


def test_a_child_the_tablet_remembers_who_sent_nothing(app: Flask, child: Child) -> None:
    child.react("vision", "agree")
    child.get("/en/my-ideas")
    assert "You have not sent any ideas yet." in child.page
    assert "This device does not remember you" not in child.page
    assert 'href="/en/check"' in child.page


def test_the_organisations_answer_has_its_place(app: Flask, child: Child) -> None:
    _public_id, code = send_with_code(child, "vision", "Open the library on Sundays.")
    worrying_id, worrying_code = send_with_code(child, "values", HARM["en"])
    asked: list[str] = []

    def answer(item: Submission, locale: str) -> Markup | None:
        asked.append(item.public_id)
        return Markup("<p>We will open it on Sundays.</p>") if locale == "en" else None

    register_answer_source(app, answer)
    try:
        status, page = check(other_device(app), code)
        assert status == 200
        assert re.search(r'<h2 id="answer-title">The organisation(&#39;|\')s answer</h2>\s*'
                         r"<p>We will open it on Sundays.</p>", page)
        status, page = check(other_device(app, "fr"), code, "fr")
        assert status == 200
        assert "We will open it" not in page and "answer-title" not in page
        check(other_device(app), worrying_code)
        assert worrying_id not in asked  # a worrying idea never gets an ordinary answer
    finally:
        app.extensions["idea_answers"].remove(answer)
