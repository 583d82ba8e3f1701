"""Idea codes: four words per language, unguessable, forgiving to type, stored only as an HMAC,
shown on the confirmation page and in "my ideas" while the tablet remembers the child."""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
import unicodedata
from collections import Counter

import pytest
from flask import Flask
from sqlalchemy import select

from participation.db import db
from participation.feedback import codes
from participation.feedback.codes import (
    WORDS_PER_CODE,
    code_readings,
    idea_code_hash,
    new_idea_code,
    normalise_word,
    word_list,
)
from participation.feedback.identity import CODES_KEY, MAX_REMEMBERED_CODES
from participation.feedback.models import Submission
from participation.feedback.services import find_by_idea_code
from participation.plans.content import PlanContent
from participation.screening.services import rule_flags
from tests.feedback.helpers import Child, idea_code_on
from tests.feedback.test_privacy_and_control import all_stored_text

LOCALES = ("fr", "en", "es")
# Words left out of the lists on purpose (rude or insulting in some regions, scary, or a
# double meaning): a later edit must not bring them back.
NEVER = {
    "en": {"ass", "cock", "pussy", "beaver", "booty", "nuts", "pig", "cow", "donkey", "rat",
           "snake", "worm", "monkey", "gun", "knife", "bomb", "skull", "grave", "ghost",
           "witch", "clown", "beer", "wine", "pot", "hoe", "weed", "ambulance", "lemming"},
    "fr": {"chatte", "bite", "con", "queue", "moule", "cochon", "vache", "dinde", "oie", "thon",
           "morue", "grue", "phoque", "blaireau", "cornichon", "nouille", "gland", "sucette",
           "singe", "sorcière", "clown", "couteau", "fouet", "nœud", "punaise"},
    "es": {"concha", "polla", "huevo", "papaya", "paja", "pajita", "pepino", "nabo", "almeja",
           "conejo", "zorra", "perra", "vaca", "cerdo", "burro", "mono", "foca", "sapo",
           "mariquita", "paloma", "pato", "bollo", "torta", "cono", "goma", "cuchillo"},
}


@pytest.fixture
def child(client: object, demo_plan: PlanContent) -> Child:
    return Child(client)  # type: ignore[arg-type]


def stored_item(app: Flask, public_id: str) -> Submission:
    with app.app_context():
        item = db.session.scalars(
            select(Submission).where(Submission.public_id == public_id)).one()
        db.session.expunge(item)
        return item


def send_and_read_code(child: Child, slug: str, text: str) -> tuple[str, str]:
    public_id = child.sent_id(child.send(slug, text))
    child.get(f"/{child.locale}/ideas/{public_id}/sent")
    code = idea_code_on(child.page)
    assert code, "no idea code on the confirmation page"
    return public_id, code


@pytest.mark.parametrize("locale", LOCALES)
def test_each_word_list_is_1024_simple_distinct_and_clean(locale: str) -> None:
    words = word_list(locale)
    assert len(words) == 1024
    plain = [normalise_word(word) for word in words]
    assert len(set(plain)) == 1024  # unique once case and accents are ignored
    assert all(re.fullmatch(r"[a-z]{3,10}", word) for word in plain)
    assert all(word == unicodedata.normalize("NFC", word).lower() for word in words)
    assert not {normalise_word(word) for word in NEVER[locale]} & set(plain)
    # The rules (insults, possible harm, personal details) find nothing, alone or together. (The
    # learned model is not asked: it judges sentences, and a code is never screened.)
    assert [word for word in words if rule_flags(word, locale)[1]] == []
    assert rule_flags(" ".join(words), locale)[1] == []
    assert WORDS_PER_CODE * math.log2(len(words)) >= 40


def test_codes_are_drawn_with_secrets_from_the_whole_list(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[int] = []
    real_choice = secrets.choice

    def recording_choice(seq: tuple[str, ...]) -> str:
        drawn.append(len(seq))
        word: str = real_choice(seq)
        return word

    monkeypatch.setattr(secrets, "choice", recording_choice)
    code = new_idea_code("fr")
    assert drawn == [1024] * WORDS_PER_CODE
    assert len(code.split()) == WORDS_PER_CODE
    assert all(word in word_list("fr") for word in code.split())
    monkeypatch.undo()
    # 16,384 draws from 1,024 words reach nearly all of them; a biased draw would not.
    seen = Counter(word for _ in range(4096) for word in new_idea_code("en").split())
    assert len(seen) > 1000 and max(seen.values()) < 40


def test_a_code_is_typed_any_way_a_child_writes_it(app: Flask) -> None:
    code = "forêt étoile crêpe hérisson"
    expected = ["foret-etoile-crepe-herisson"]
    for typed in ("forêt étoile crêpe hérisson", "FORET ETOILE CREPE HERISSON",
                  "  Forêt-Étoile—Crêpe   hérisson. ", "foret.etoile.crepe.herisson",
                  "foret_etoile_crepe_herisson", "FORÊT\tétoile\ncrêpe hérisson",
                  "foretetoilecrepeherisson", "foretetoile crepeherisson"):
        assert code_readings(typed) == expected, typed
    assert code_readings("piña cigüeña muñeca lápiz") == ["pina-ciguena-muneca-lapiz"]
    assert code_readings("cœur bœuf") == []  # two words are not a code
    assert code_readings("one two three four five") == []
    assert code_readings("") == [] and code_readings("x" * 500) == []
    # Words run together that split in two ways (cup+cake or cupcake) are both tried.
    readings = code_readings("cupcake moon kite")
    assert "cup-cake-moon-kite" in readings and len(readings) <= codes.MAX_READINGS
    with app.app_context():
        assert idea_code_hash(code) == idea_code_hash("FORET etoile-crepe HERISSON")


def test_only_an_hmac_of_the_code_is_stored(app: Flask, child: Child) -> None:
    public_id, code = send_and_read_code(child, "vision", "More trees in the playground.")
    assert len(code.split()) == 4 and all(word in word_list("en") for word in code.split())
    normalised = "-".join(code.split())
    stored = all_stored_text(app)
    assert code not in stored and normalised not in stored
    expected = hmac.new(b"test-secret-key", f"idea-code:{normalised}".encode(),
                        hashlib.sha256).hexdigest()
    assert stored_item(app, public_id).code_hash == expected


def test_every_idea_gets_its_own_code(app: Flask, child: Child) -> None:
    first = send_and_read_code(child, "vision", "Idea one")
    second = send_and_read_code(child, "values", "Idea two")
    assert first[1] != second[1]
    with app.app_context():
        assert find_by_idea_code(first[1]).public_id == first[0]  # type: ignore[union-attr]
        assert find_by_idea_code(second[1]).public_id == second[0]  # type: ignore[union-attr]


def test_codes_survive_a_secret_key_rotation(app: Flask, child: Child,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    public_id, code = send_and_read_code(child, "vision", "Keep the old key working")
    monkeypatch.setitem(app.config, "SECRET_KEY", "a-new-secret-key")
    with app.app_context():
        assert find_by_idea_code(code) is None
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", ["test-secret-key"])
    with app.app_context():
        assert find_by_idea_code(code).public_id == public_id  # type: ignore[union-attr]


def test_a_double_tap_shows_one_code_that_works(app: Flask, child: Child) -> None:
    child.open_part("vision")
    key, csrf = child.key, child.csrf
    first = child.send("vision", "Same idea twice", key=key, csrf=csrf)
    second = child.send("vision", "Same idea twice", key=key, csrf=csrf)
    assert first.headers["Location"] == second.headers["Location"]
    child.get(second.headers["Location"])
    code = idea_code_on(child.page)
    with app.app_context():
        assert find_by_idea_code(code or "").public_id == child.sent_id(second)  # type: ignore[union-attr]


def test_a_resend_after_a_lost_answer_gives_a_new_working_code(app: Flask, child: Child) -> None:
    child.open_part("vision")
    key, csrf = child.key, child.csrf
    public_id = child.sent_id(child.send("vision", "The answer got lost", key=key, csrf=csrf))
    with child.client.session_transaction() as session:
        kept = dict(session[CODES_KEY])
        lost = kept.pop(public_id)  # the answer (and its cookie) never arrived
        session[CODES_KEY] = kept
    child.send("vision", "The answer got lost", key=key, csrf=csrf)
    child.get(f"/en/ideas/{public_id}/sent")
    code = idea_code_on(child.page)
    assert code and code != lost
    with app.app_context():
        assert find_by_idea_code(lost) is None
        assert find_by_idea_code(code).public_id == public_id  # type: ignore[union-attr]


def test_a_confirmation_without_its_code_offers_one(app: Flask, child: Child) -> None:
    public_id, shown = send_and_read_code(child, "vision", "Where did my code go?")
    # The tablet holds a code that is no longer the idea's (answers that crossed).
    with child.client.session_transaction() as session:
        session[CODES_KEY] = {public_id: "apple apple apple apple"}
    child.get(f"/en/ideas/{public_id}/sent")
    assert idea_code_on(child.page) is None and "Show my idea code" in child.page
    csrf = child.csrf
    response = child.client.post(f"/en/ideas/{public_id}/code", data={"csrf_token": csrf})
    assert response.status_code == 302
    child.get(f"/en/ideas/{public_id}/sent")
    code = idea_code_on(child.page)
    assert code and code != shown
    with app.app_context():
        assert find_by_idea_code(code).public_id == public_id  # type: ignore[union-attr]
    # While the tablet holds the idea's code, asking again changes nothing.
    child.client.post(f"/en/ideas/{public_id}/code", data={"csrf_token": csrf})
    child.get(f"/en/ideas/{public_id}/sent")
    assert idea_code_on(child.page) == code
    # Nobody else can ask for a code for this idea.
    intruder = Child(app.test_client())
    intruder.get("/en/check")
    response = intruder.client.post(f"/en/ideas/{public_id}/code",
                                    data={"csrf_token": intruder.csrf})
    assert response.status_code == 404
    with app.app_context():
        assert find_by_idea_code(code) is not None


def test_my_ideas_shows_each_code_until_the_child_finishes(app: Flask, child: Child) -> None:
    sent = [send_and_read_code(child, slug, f"Idea about {slug}")
            for slug in ("vision", "values")]
    child.get("/en/my-ideas")
    for _public_id, code in sent:
        assert f'<span class="idea-code-inline" lang="en">{code}</span>' in child.page
    child.get("/en/finish")
    child.client.post("/en/finish", data={"csrf_token": child.csrf})
    child.get("/en/my-ideas")
    assert all(code not in child.page for _public_id, code in sent)
    with child.client.session_transaction() as session:
        assert CODES_KEY not in session


def test_the_session_keeps_only_the_newest_codes(app: Flask, child: Child) -> None:
    with child.client.session_transaction() as session:
        session[CODES_KEY] = {f"{n:032x}": "apple moon kite boat" for n in range(30)}
    public_id, code = send_and_read_code(child, "vision", "One more idea")
    with child.client.session_transaction() as session:
        kept = session[CODES_KEY]
    assert len(kept) == MAX_REMEMBERED_CODES
    assert list(kept)[-1] == public_id and kept[public_id] == code


def test_a_code_already_taken_is_drawn_again(app: Flask, child: Child,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Two ideas drawing the same code: the second gets another one, and is stored."""
    drawn = iter(["lune-vélo-pomme-tigre", "lune-vélo-pomme-tigre", "chat-bus-nuage-sac"])
    monkeypatch.setattr("participation.feedback.services.new_idea_code", lambda locale: next(drawn))
    assert child.send("vision", "First idea").status_code == 302
    assert child.send("vision", "Second idea").status_code == 302
    with app.app_context():
        bodies = db.session.scalars(select(Submission.body).order_by(Submission.id)).all()
        hashes = db.session.scalars(select(Submission.code_hash)).all()
    assert bodies == ["First idea", "Second idea"] and len(set(hashes)) == 2
