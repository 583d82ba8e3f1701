"""Idea codes: four everyday words a child writes down to find out, days later and on any
device, what happened to an idea.

Why words, not letters and digits: a child of 8 copies "tiger moon kite boat" from a screen
more surely than "K7RM-Q3XP", can say it aloud to a teacher, and reads it in their own
language. Each language has its own list of exactly 1,024 words (``data/idea_words/``), written
for this app: concrete things a child can picture, read and copy, 3 to 10 letters, none alike
once case and accents are ignored, and nothing rude, scary or used as an insult in the regional
usages we know (the tests check the count, the letters, the uniqueness and that screening finds
nothing in them).

- Unguessable: 4 words, each drawn with ``secrets.choice`` from 1,024, are 40 bits. Wrong codes
  are throttled per network address (see ``views.check``), so guessing one of a million ideas'
  codes takes on the order of a million tries per idea found.
- Tied to nothing about the child: drawn at random when the idea is stored, shown once on the
  confirmation page, and stored only as an HMAC of its normalised form, keyed with SECRET_KEY
  (``identity.token_hash``). A lookup also tries SECRET_KEY_FALLBACKS, so rotating the key does
  not break the codes children have written down.
- Forgiving: any case, spaces, dashes or dots between the words, with or without accents
  ("é" = "e", "ñ" = "n", "œ" = "oe"). Words run together ("tigermoonkiteboat") are split
  again using the lists; at most ``MAX_READINGS`` readings of one typed code are tried, which
  gives a guesser at most 2 of the 40 bits, within the same throttle.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from functools import cache
from pathlib import Path

from flask import current_app

from participation.feedback.identity import token_hash

WORDS_PER_CODE = 4
WORDS_PER_LIST = 1024
MAX_READINGS = 4
# A typed code longer than this is not a code (and is never worth splitting into words).
MAX_TYPED_LENGTH = 120
WORDS_DIR = Path(__file__).resolve().parent / "data" / "idea_words"
FALLBACK_LOCALE = "en"
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss"})
_WORD_RE = re.compile(r"^[a-z]{3,10}$")
_SEPARATORS_RE = re.compile(r"[^a-z]+")


class WordListError(Exception):
    """A word list is malformed (names the file and the problem)."""


def normalise_word(text: str) -> str:
    """Lower case, accents and ligatures removed: the form in which codes are compared."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@cache
def word_list(locale: str) -> tuple[str, ...]:
    """The 1,024 code words of ``locale`` as children read them (English for a language
    without a list of its own)."""
    path = WORDS_DIR / f"{locale}.txt"
    if not path.exists():
        path = WORDS_DIR / f"{FALLBACK_LOCALE}.txt"
    words = tuple(
        line.strip() for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    )
    if len(words) != WORDS_PER_LIST:
        raise WordListError(f"{path.name}: {len(words)} words, expected {WORDS_PER_LIST}")
    normalised = [normalise_word(word) for word in words]
    for word, plain in zip(words, normalised, strict=True):
        if not _WORD_RE.match(plain):
            raise WordListError(f"{path.name}: {word!r} is not 3 to 10 letters")
    if len(set(normalised)) != len(normalised):
        raise WordListError(f"{path.name}: two words are the same without case and accents")
    return words


@cache
def _known_words() -> frozenset[str]:
    """Every list's words, normalised: to split words a child wrote without spaces."""
    return frozenset(
        normalise_word(word) for path in WORDS_DIR.glob("*.txt") for word in word_list(path.stem)
    )


def new_idea_code(locale: str) -> str:
    """A fresh code in the child's language: four words drawn with ``secrets``."""
    words = word_list(locale)
    return " ".join(secrets.choice(words) for _ in range(WORDS_PER_CODE))


def code_readings(typed: str) -> list[str]:
    """The normalised codes a child may have meant by ``typed`` (none for something that
    cannot be a code). Usually one; words run together may be read in a few ways."""
    if len(typed) > MAX_TYPED_LENGTH:
        return []
    pieces = [piece for piece in _SEPARATORS_RE.split(normalise_word(typed)) if piece]
    if len(pieces) == WORDS_PER_CODE:
        return ["-".join(pieces)]
    if not pieces or len(pieces) > WORDS_PER_CODE:
        return []
    readings: list[list[str]] = [[]]
    for index, piece in enumerate(pieces):
        after = len(pieces) - index - 1  # each later piece is at least one word
        readings = [
            reading + split
            for reading in readings
            for split in _splits(piece, WORDS_PER_CODE - len(reading) - after)
        ][:MAX_READINGS]
    return ["-".join(reading) for reading in readings if len(reading) == WORDS_PER_CODE]


def _splits(piece: str, most: int) -> list[list[str]]:
    """Ways to cut ``piece`` into at most ``most`` words of the lists; a piece that is no
    list word at all is kept as typed (it will simply not match)."""
    if not piece:
        return [[]]
    if most <= 0:
        return []
    known = _known_words()
    found: list[list[str]] = []
    for end in range(3, min(len(piece), 10) + 1):
        head = piece[:end]
        if head in known:
            found += [[head, *rest] for rest in _splits(piece[end:], most - 1)]
        if len(found) >= MAX_READINGS:
            break
    if not found and len(piece) <= 10:
        found = [[piece]]
    return found[:MAX_READINGS]


def idea_code_hashes(typed: str) -> list[str]:
    """What the database may hold for ``typed``: each reading, hashed with the current key
    and with each fallback key."""
    keys = [None, *(current_app.config.get("SECRET_KEY_FALLBACKS") or [])]
    return [
        token_hash(_hash_input(reading), secret=key)
        for reading in code_readings(typed) for key in keys
    ]


def idea_code_hash(code: str) -> str:
    """The stored form of a code just drawn (current key only)."""
    [reading] = code_readings(code)
    return token_hash(_hash_input(reading))


def _hash_input(normalised: str) -> str:
    # A prefix keeps codes and children's tokens apart, though both use the one keyed HMAC.
    return f"idea-code:{normalised}"
