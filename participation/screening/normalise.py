"""Turn a child's text into a canonical form for the rules and the model, keeping the way back.

Two steps, both keeping each character's place in the original text:

1. :func:`clean` undoes what hides words from a reader's eyes or from a pattern: compatibility
   forms (NFKC: a full-width at sign or full-width letters, ligatures), invisible characters
   (Unicode format characters such as U+2060 WORD JOINER, U+00AD SOFT HYPHEN, U+FEFF, U+180E;
   Hangul fillers), combining marks that join no letter (U+034F, stacked marks), letters from
   another script that look like Latin ones (Cyrillic U+0430, Greek U+03BF: Unicode's
   confusables data, through the ``confusable_homoglyphs`` package, never a hand-written
   table), and letters spread out with separators ("k.i.l.l", "s u i c i d e").
2. :func:`normalise` makes the canonical words: lowercase, without accents or punctuation,
   single spaces, texting forms expanded from the language's substitution list, and letters
   repeated three or more times squeezed to one ("nooooon" -> "non", "hiiiits" -> "hits").

Each canonical word keeps the span of the original text it came from, so a match can be shown
and redacted in what the child wrote.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)
_REPEATS_RE = re.compile(r"(.)\1{2,}")
# Letters spread out: at least three single letters joined by the same punctuation
# ("k.i.l.l", "m-y-s-e-l-f"), or at least four joined by spaces ("s u i c i d e").
_SPREAD_RE = re.compile(
    r"(?<![^\W\d_])[^\W\d_](?:(?P<sep>[^\w\s]{1,2}|_)[^\W\d_]){2,}(?![^\W\d_])"
    r"|(?<![^\W\d_])[^\W\d_](?: [^\W\d_]){3,}(?![^\W\d_])"
)
# Invisible letters that are not format characters (Cf), and blanks that stand for a space.
_INVISIBLE = frozenset("\u115f\u1160\u17b4\u17b5\u3164\uffa0")
_BLANKS = frozenset("\u2800")
_LATIN_SCRIPTS = frozenset({"LATIN", "COMMON", "INHERITED"})


def fold(text: str) -> str:
    """Lowercase and strip accents: 'Père' -> 'pere', 'NIÑA' -> 'nina'."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@cache
def _look_alikes() -> dict[str, str]:
    """Each letter of another script that Unicode lists as confusable with a Latin letter or
    digit, mapped to it (its Latin skeleton). Read once per process, on first use."""
    from confusable_homoglyphs import categories

    data = json.loads(
        resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8")
    )
    mapping: dict[str, str] = {}
    for char, entries in data.items():
        if len(char) != 1 or char.isascii() or categories.alias(char) in _LATIN_SCRIPTS:
            continue
        targets = [e["c"] for e in entries if len(e["c"]) == 1 and e["c"].isascii()
                   and e["c"].isalnum()]
        if targets:
            letters = [t for t in targets if t.isalpha()]
            mapping[char] = (letters or targets)[0]
    return mapping


@cache
def _suspects() -> frozenset[str]:
    """Characters that send a text down the slow path of :func:`clean`."""
    marks_and_formats = (
        chr(c) for c in range(sys.maxunicode + 1)
        if unicodedata.category(chr(c)) in ("Cf", "Mn", "Me")
    )
    return frozenset(marks_and_formats) | _INVISIBLE | _BLANKS | frozenset(_look_alikes())


@dataclass(frozen=True)
class Cleaned:
    """A cleaned text, and for each of its characters the span of the original it comes from."""

    text: str
    starts: tuple[int, ...] | None  # None: the text did not change
    ends: tuple[int, ...] | None

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that the cleaned span [start, end) comes from."""
        if self.starts is None or self.ends is None:
            return start, end
        if end <= start:
            point = self.starts[start] if start < len(self.starts) else self.ends[-1]
            return point, point
        return self.starts[start], self.ends[end - 1]


def _needs_work(text: str) -> bool:
    if text.isascii():
        return False
    if not unicodedata.is_normalized("NFKC", text):
        return True
    return not _suspects().isdisjoint(text)


def _unhide(text: str) -> tuple[list[str], list[int], list[int]]:
    """NFKC per cluster (a letter and its marks), without invisible characters, padding marks
    and look-alike letters; with each output character's original span."""
    look_alikes = _look_alikes()
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    index, length = 0, len(text)
    while index < length:
        end = index + 1
        while end < length and unicodedata.category(text[end]) in ("Mn", "Me"):
            end += 1
        cluster = text[index:end]
        char = cluster[0]
        if unicodedata.category(char) == "Cf" or char in _INVISIBLE:
            cluster = ""  # an invisible character, with any marks it carries
        elif char in _BLANKS:
            cluster = " "
        for piece in unicodedata.normalize("NFKC", cluster):
            if unicodedata.category(piece) in ("Mn", "Me", "Cf"):
                continue  # a mark that composed with nothing: padding
            out.append(_latin(piece, look_alikes))
            starts.append(index)
            ends.append(end)
        index = end
    return out, starts, ends


def _latin(char: str, look_alikes: dict[str, str]) -> str:
    """A look-alike letter's Latin skeleton, keeping its accent ("ѐ" -> "è")."""
    if char.isascii():
        return char
    mapped = look_alikes.get(char)
    if mapped is not None:
        return mapped
    decomposed = unicodedata.normalize("NFD", char)
    base, marks = decomposed[0], decomposed[1:]
    if marks and base in look_alikes:
        return unicodedata.normalize("NFC", look_alikes[base] + marks)
    return char


def clean(text: str) -> Cleaned:
    """``text`` without the disguises listed in the module's docstring (see there)."""
    worked = _needs_work(text)
    spread = _SPREAD_RE.search(text) is not None
    if not worked and not spread:
        return Cleaned(text, None, None)
    if worked:
        chars, starts, ends = _unhide(text)
    else:
        chars, starts, ends = list(text), list(range(len(text))), list(range(1, len(text) + 1))
    joined = "".join(chars)
    if worked and _SPREAD_RE.search(joined) is None:
        return Cleaned(joined, tuple(starts), tuple(ends))
    keep = [True] * len(chars)
    for match in _SPREAD_RE.finditer(joined):
        for position in range(match.start(), match.end()):
            if not chars[position].isalpha():
                keep[position] = False
    return Cleaned(
        "".join(c for c, k in zip(chars, keep, strict=True) if k),
        tuple(s for s, k in zip(starts, keep, strict=True) if k),
        tuple(e for e, k in zip(ends, keep, strict=True) if k),
    )


@lru_cache(maxsize=50_000)
def _folded_word(word: str) -> str:
    """A word folded and with stretched letters squeezed (cached: children reuse words)."""
    return _REPEATS_RE.sub(r"\1", fold(word))


@dataclass(frozen=True)
class Normalised:
    """The canonical text and, for each canonical word, its span there and in the original."""

    text: str
    starts: tuple[int, ...]  # canonical start of each word, ascending
    ends: tuple[int, ...]
    original_spans: tuple[tuple[int, int], ...]
    original_starts: tuple[int, ...]
    cleaned: Cleaned

    def canonical_of(self, start: int, end: int) -> str:
        """The canonical words that come from the original text's span [start, end)."""
        first = bisect_left(self.original_starts, start)
        last = bisect_left(self.original_starts, end) - 1
        if last < first:
            return ""
        return self.text[self.starts[first]:self.ends[last]]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of the canonical text back to the smallest covering span of the original."""
        if not self.starts:
            return 0, 0
        first = max(bisect_right(self.starts, start) - 1, 0)
        last = max(bisect_right(self.starts, max(end - 1, start)) - 1, first)
        return self.original_spans[first][0], self.original_spans[last][1]


def normalise(text: str, substitutions: dict[str, str]) -> Normalised:
    """Canonical form of ``text``; ``substitutions`` maps folded words to their standard form."""
    cleaned = clean(text)
    parts: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    spans: list[tuple[int, int]] = []
    position = 0
    for match in _WORD_RE.finditer(cleaned.text):
        word = _folded_word(match.group())
        word = substitutions.get(word, word)
        span = cleaned.original_span(*match.span())
        for piece in word.split():
            starts.append(position)
            parts.append(piece)
            position += len(piece)
            ends.append(position)
            spans.append(span)
            position += 1  # the joining space
    return Normalised(
        " ".join(parts), tuple(starts), tuple(ends), tuple(spans), tuple(s for s, _ in spans),
        cleaned,
    )
