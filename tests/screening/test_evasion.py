"""Normalisation that cannot be dodged: invisible characters, padding marks, look-alike letters
from other scripts, full-width forms and spread-out letters all reach the rules, and every flag
still points at the words as the child wrote them."""

from __future__ import annotations

import pytest

from participation.screening.normalise import clean, normalise
from participation.screening.rules import PERSONAL_INFO
from participation.screening.services import screen_text

# The evasions reported in the screening issue, and a few of their cousins.
INVISIBLE = ["\u2060", "\u00ad", "\ufeff", "\u180e", "\u034f", "\u200b", "\u200d", "\u3164"]
DISCLOSURES = [
    ("en", "i want to kill myself", "kill"),
    ("fr", "je veux me tuer", "tuer"),
    ("es", "me quiero matar", "matar"),
]
# Cyrillic and Greek letters that look Latin, in each language.
LOOK_ALIKES = [
    ("en", "my stepdad \u0432eats me every night", None),  # в is not a look-alike of b: control
    ("en", "i w\u0430nt to kill mys\u0435lf", "mys\u0435lf"),
    ("fr", "mon p\u0435re me fr\u0430ppe", "fr\u0430ppe"),
    ("es", "mi p\u0430dr\u0430stro m\u0435 p\u0435g\u0430", "p\u0435g\u0430"),
    ("es", "m\u0435 qui\u0435ro m\u03bfrir", "m\u03bfrir"),
]


@pytest.mark.parametrize("char", INVISIBLE)
@pytest.mark.parametrize(("locale", "text", "word"), DISCLOSURES)
def test_invisible_characters_inside_a_word(locale: str, text: str, word: str, char: str) -> None:
    disguised = text.replace(word, word[:2] + char + word[2:])
    result = screen_text(disguised, locale)
    assert result.urgent, (disguised, result.categories)
    flag = next(f for f in result.flags if f.category not in (PERSONAL_INFO, "insult"))
    assert word[:2] + char + word[2:] in disguised[flag.start:flag.end]


@pytest.mark.parametrize(("locale", "text", "word"), LOOK_ALIKES)
def test_look_alike_letters_map_to_latin(locale: str, text: str, word: str | None) -> None:
    cleaned = clean(text)
    assert cleaned.text.isascii() or word is None
    if word is None:
        return
    result = screen_text(text, locale)
    assert result.urgent, (text, result.categories)
    # The flag covers the disguised word as written.
    assert any(word in text[f.start:f.end] for f in result.flags)


@pytest.mark.parametrize(("locale", "text"), [
    ("en", "k.i.l.l m.y.s.e.l.f"),
    ("en", "i want to k-i-l-l myself"),
    ("fr", "je veux me t.u.e.r"),
    ("es", "me quiero m a t a r"),
    ("en", "".join(chr(ord(c) + 0xFEE0) if c != " " else c for c in "i want to kill myself")),
])
def test_spread_out_and_full_width_letters(locale: str, text: str) -> None:
    assert screen_text(text, locale).urgent, clean(text).text


def test_full_width_at_sign_is_a_personal_detail_redacted_in_the_original() -> None:
    text = "écris-moi sur lea.martin\uff20example.org stp"
    result = screen_text(text, "fr")
    assert PERSONAL_INFO in result.categories
    assert "\uff20" not in result.redacted and "lea.martin" not in result.redacted
    assert result.redacted.startswith("écris-moi sur ") and result.redacted.endswith(" stp")


def test_zero_width_characters_inside_a_phone_number() -> None:
    text = "appelle 06\u200b12\u200b34\u200b56\u200b78"
    result = screen_text(text, "fr")
    assert PERSONAL_INFO in result.categories
    assert not any(c.isdigit() for c in result.redacted)


def test_ordinary_text_is_left_as_written() -> None:
    for text in ("Plus de parcs, s'il vous plaît !", "¿Y los niños del campo?", "I like it"):
        cleaned = clean(text)
        assert cleaned.text == text and cleaned.starts is None
    # Accents written with combining marks compose; they are not padding.
    assert clean("Pe\u0300re").text == "Père"


def test_spans_map_back_through_every_step() -> None:
    text = "Mon p\u0435\u0300re me f\u2060r\u2060a\u2060p\u2060p\u2060e"
    canonical = normalise(text, {})
    assert canonical.text == "mon pere me frappe"
    start = canonical.text.index("frappe")
    begin, end = canonical.original_span(start, start + len("frappe"))
    assert text[begin:end] == "f\u2060r\u2060a\u2060p\u2060p\u2060e"
