"""Turn a child's text into a canonical form that patterns can match, keeping the way back.

Children write "jveu", "g envie de", "mi papa me pega" without accents, in capitals, with
repeated letters. The canonical form is lowercase, without accents or punctuation, with single
spaces between words, texting forms expanded from the language's substitution list, and letters
repeated three or more times squeezed to one ("nooooon" -> "non", "hiiiits" -> "hits"):
children stretch vowels for emphasis far more often than they triple a double consonant.
Each canonical word keeps the span of the original word it came from, so a match can be shown
and redacted in the original.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import lru_cache

_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)
_REPEATS_RE = re.compile(r"(.)\1{2,}")


def fold(text: str) -> str:
    """Lowercase and strip accents: 'Père' -> 'pere', 'NIÑA' -> 'nina'."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


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

    def canonical_of(self, start: int, end: int) -> str:
        """The canonical words that come from the original text's span [start, end)."""
        first = bisect_left(self.original_starts, start)
        last = bisect_left(self.original_starts, end) - 1
        if last < first:
            return ""
        return self.text[self.starts[first]:self.ends[last]]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of the canonical text back to the smallest covering span of the original."""
        first = max(bisect_right(self.starts, start) - 1, 0)
        last = max(bisect_right(self.starts, max(end - 1, start)) - 1, first)
        return self.original_spans[first][0], self.original_spans[last][1]


def normalise(text: str, substitutions: dict[str, str]) -> Normalised:
    """Canonical form of ``text``; ``substitutions`` maps folded words to their standard form."""
    parts: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    spans: list[tuple[int, int]] = []
    position = 0
    for match in _WORD_RE.finditer(text):
        word = _folded_word(match.group())
        word = substitutions.get(word, word)
        for piece in word.split():
            starts.append(position)
            parts.append(piece)
            position += len(piece)
            ends.append(position)
            spans.append(match.span())
            position += 1  # the joining space
    return Normalised(
        " ".join(parts), tuple(starts), tuple(ends), tuple(spans), tuple(s for s, _ in spans)
    )
