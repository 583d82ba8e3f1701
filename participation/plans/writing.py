"""Reading help while an organiser types a plan text: score, long sentences and rare words.

The editor posts the text as it is typed; :func:`analyse` answers with the reading-ease score
(the same formula and plain text as the organisers' reading-ease page), the sentences longer
than :data:`LONG_SENTENCE_WORDS` words and the words that children rarely meet, so the writer
can shorten a sentence or link the word to the glossary. :func:`highlight` shows the same
findings inside the text, for a writer's view next to the child preview.

Rare words come from wordfreq's word lists, which the package ships for each language (no
download): a word whose Zipf frequency is below :data:`RARE_ZIPF` (fewer than about one use per
million words) is reported, unless a regular form of it is common (the lists count each form
apart, and "choisissons" or "cooperamos" are seldom written though every child knows them).
Words already linked to the glossary, numbers, words of one or two letters, proper nouns (a
capital that is not at a sentence start) and acronyms are not.

The analysis is tolerant of a text being typed: glossary keys not (yet) in the glossary and
malformed marks never raise.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from markupsafe import Markup, escape
from wordfreq import available_languages, zipf_frequency

from participation.config import SUPPORTED_LOCALES
from participation.plans.content import GlossaryEntry
from participation.plans.readability import FORMULA_NAMES, TARGET_READING_EASE, reading_ease

LONG_SENTENCE_WORDS = 15
RARE_ZIPF = 3.0
MAX_LONG_SENTENCES = 3
MAX_RARE_WORDS = 12

# Any [[...]] mark, even one whose key is not a valid slug yet: while typing, a writer's
# half-finished link is still a link and its words are not reported as rare.
_LINK_RE = re.compile(r"\[\[([^\[\]|]*)(?:\|([^\[\]]*))?\]\]")
_BOLD_RE = re.compile(r"\*\*(.+?)\*\*")
_HOLD_RE = re.compile("\x00(\\d+)\x00")
_BLOCK_SPLIT_RE = re.compile(r"\n[^\S\n]*\n")
# A word: letters or digits, joined by inner hyphens or apostrophes ("peut-être", "l'enfant").
_WORD_RE = re.compile(r"[^\W_]+(?:[-'\u2019][^\W_]+)*")
# A sentence ends after . ! ? … (in any run: "...", "!?") and any closing quotes or brackets,
# before white space (which includes the no-break spaces of French typography) or the end,
# unless the next word starts with a lowercase letter ("e.g. the", "Bon... alors"); the full
# stop of an initial ("M. Dupont", "J. K. Rowling") ends nothing.
_SENTENCE_END_RE = re.compile(
    r"(?:(?<!\b[A-Z])\.|[!?…])[.!?…]*"  # the marks
    r"[\"'\u201d\u2019»)\]]*"  # closing quotes and brackets
    r"(?=\s++[^a-zß-öø-ÿ]|\s*$)"  # then a space and no lowercase letter, or the end
)
# French elisions: "l'", "qu'", "jusqu'"... are not part of the word to look up.
_ELISION_RE = re.compile(r"^(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu|quoiqu)['\u2019]", re.IGNORECASE)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Analysis:
    reading_ease: float
    target: float
    formula: str
    words: int
    sentences: int
    words_per_sentence: float
    long_sentences: tuple[str, ...]
    rare_words: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "ease": self.reading_ease,
            "target": self.target,
            "formula": self.formula,
            "words": self.words,
            "sentences": self.sentences,
            "per_sentence": round(self.words_per_sentence, 1),
            "long": list(self.long_sentences),
            "rare": list(self.rare_words),
        }


@dataclass
class _Word:
    start: int
    end: int
    text: str
    rare_key: str | None  # casefolded word when it is rare and may be reported, else None
    shown: str = ""  # the form to report (lowercased when capitalised only as a sentence start)


@dataclass
class _Sentence:
    start: int
    end: int
    words: list[_Word]


@dataclass
class _Unit:
    """A paragraph or a list item, as plain text, with its sentences."""

    block: int
    kind: str  # "p" or "li"
    text: str
    sentences: list[_Sentence]


@lru_cache(maxsize=1)
def _wordfreq_languages() -> frozenset[str]:
    return frozenset(available_languages())


@lru_cache(maxsize=100_000)
def _zipf(word: str, locale: str) -> float:
    return float(zipf_frequency(word, locale))


# Regular inflections: (ending, replacements). Word lists count each form apart, and some forms
# of everyday words are seldom written ("choisissons", "cooperamos", "mobilising"); a word is
# not rare when one of these forms of it is common. Only endings, never a full lemmatiser.
_INFLECTIONS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "fr": (
        ("issons", ("ir",)), ("issez", ("ir",)), ("issent", ("ir",)),
        ("rons", ("r",)), ("rez", ("r",)), ("ront", ("r",)), ("eons", ("er",)),
        ("ons", ("er", "re", "ir")), ("ez", ("er", "re", "ir")), ("ent", ("er", "re", "e")),
        ("ées", ("er", "é")), ("és", ("er", "é")), ("ée", ("er", "é")), ("é", ("er",)),
        ("ives", ("if",)), ("ive", ("if",)), ("euses", ("eux",)), ("euse", ("eux",)),
        ("trices", ("teur",)), ("trice", ("teur",)),
        ("aux", ("al",)), ("es", ("", "e")), ("s", ("",)), ("x", ("",)), ("e", ("",)),
    ),
    "es": (
        ("aremos", ("ar",)), ("eremos", ("er",)), ("iremos", ("ir",)),
        ("amos", ("ar",)), ("áis", ("ar",)), ("emos", ("er",)), ("éis", ("er",)),
        ("imos", ("ir",)), ("ís", ("ir",)), ("an", ("ar",)), ("en", ("er", "ir")),
        ("ando", ("ar",)), ("iendo", ("er", "ir")),
        ("ados", ("ado", "ar")), ("adas", ("ado", "ar")), ("ada", ("ado", "ar")),
        ("idos", ("ido", "er", "ir")), ("idas", ("ido", "er", "ir")), ("ida", ("ido", "er", "ir")),
        ("oras", ("or",)), ("ora", ("or",)),
        ("as", ("a", "o")), ("os", ("o",)), ("a", ("o",)), ("es", ("",)), ("s", ("",)),
    ),
    "en": (
        ("ies", ("y",)), ("ied", ("y",)), ("ily", ("y",)), ("es", ("",)), ("s", ("",)),
        ("ed", ("", "e")), ("ing", ("", "e")), ("ly", ("",)),
        ("ising", ("izing", "ize")), ("ised", ("ized", "ize")), ("ise", ("ize",)),
        ("isation", ("ization",)), ("our", ("or",)),
    ),
}
# Spanish pronouns written onto an infinitive: "darlos", "respetarla".
_ES_CLITIC_RE = re.compile(r"^(.{2,}[aei]r)(?:se)?(?:l[oa]s?|les?|nos|me|te|se)$")
_MIN_STEM = 3


def _forms(word: str, locale: str) -> list[str]:
    forms = [word]
    for ending, replacements in _INFLECTIONS.get(locale, ()):
        stem = word[: -len(ending)]
        if word.endswith(ending) and len(stem) >= _MIN_STEM:
            forms.extend(stem + replacement for replacement in replacements)
    if locale == "es" and (clitic := _ES_CLITIC_RE.match(word)):
        forms.append(clitic.group(1))
    return forms


@lru_cache(maxsize=100_000)
def _is_rare(word: str, locale: str) -> bool:
    """Whether ``word`` (casefolded) and each regular form of it are below :data:`RARE_ZIPF`."""
    return all(_zipf(form, locale) < RARE_ZIPF for form in _forms(word, locale))


def warm_up(locales: tuple[str, ...] = SUPPORTED_LOCALES) -> None:
    """Load each language's word list (wordfreq, about 0.15 s) and hyphenation dictionary
    (textstat; English takes seconds) now instead of in the first analysis in that language."""
    for locale in locales:
        if locale in _wordfreq_languages():
            _zipf("the", locale)
        reading_ease("Warm up.", locale)


def _term_words(key: str, shown: str | None, glossary: dict[str, GlossaryEntry]) -> str:
    if shown and shown.strip():
        return shown
    entry = glossary.get(key)
    return entry.term if entry is not None else key.replace("-", " ")


def _plain_text(markup: str, glossary: dict[str, GlossaryEntry]) -> str:
    """As :func:`content.markup_to_plain`, without raising on unknown glossary keys."""
    text = _LINK_RE.sub(lambda m: _term_words(m.group(1), m.group(2), glossary), markup)
    text = _BOLD_RE.sub(r"\1", text)
    return re.sub(r"^\s*- ", "", text, flags=re.MULTILINE).strip()


def _inline_plain(text: str, glossary: dict[str, GlossaryEntry]) -> tuple[str, list[int]]:
    """Plain text of one paragraph or item, and the glossary links' spans as a flat sorted
    list [start, end, start, end, ...] (a position is inside a link when bisect is odd)."""
    links: list[str] = []

    def hold(match: re.Match[str]) -> str:
        links.append(_term_words(match.group(1), match.group(2), glossary))
        return f"\x00{len(links) - 1}\x00"

    held = _BOLD_RE.sub(r"\1", _LINK_RE.sub(hold, text))
    parts: list[str] = []
    spans: list[int] = []
    length = 0
    last = 0
    for match in _HOLD_RE.finditer(held):
        parts.append(held[last : match.start()])
        length += match.start() - last
        words = links[int(match.group(1))]
        spans.extend((length, length + len(words)))
        parts.append(words)
        length += len(words)
        last = match.end()
    parts.append(held[last:])
    return "".join(parts), spans


def _units(
    markup: str, glossary: dict[str, GlossaryEntry]
) -> list[tuple[int, str, str, list[int]]]:
    """Paragraphs ("p") and list items ("li") in reading order with their block's number, as
    :func:`content.markup_to_html` cuts them: lines of a paragraph are joined and a line after
    an item continues the item."""
    units: list[tuple[int, str, list[str]]] = []
    blocks = _BLOCK_SPLIT_RE.split(_CONTROL_RE.sub(" ", markup).strip())
    for number, block in enumerate(blocks):
        in_block = False
        for raw in block.splitlines():
            line = raw.strip()
            if not line:
                continue
            if line.startswith("- "):
                units.append((number, "li", [line[2:].strip()]))
            elif in_block:
                units[-1][2].append(line)
            else:
                units.append((number, "p", [line]))
            in_block = True
    result = []
    for number, kind, lines in units:
        text, spans = _inline_plain(" ".join(lines), glossary)
        result.append((number, kind, text, spans))
    return result


def _split_sentences(text: str) -> list[tuple[int, int]]:
    bounds: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END_RE.finditer(text):
        if text[start : match.end()].strip():
            bounds.append((start, match.end()))
        start = match.end()
    if text[start:].strip():
        bounds.append((start, len(text)))
    # Trim the white space around each sentence.
    trimmed = []
    for begin, end in bounds:
        chunk = text[begin:end]
        left = len(chunk) - len(chunk.lstrip())
        right = len(chunk.rstrip())
        trimmed.append((begin + left, begin + right))
    return trimmed


def _read(
    markup: str, locale: str, glossary: dict[str, GlossaryEntry]
) -> list[_Unit]:
    check_rare = locale in _wordfreq_languages()
    units: list[_Unit] = []
    for block, kind, text, spans in _units(markup, glossary):
        sentences: list[_Sentence] = []
        for begin, end in _split_sentences(text):
            words: list[_Word] = []
            for match in _WORD_RE.finditer(text, begin, end):
                word = match.group()
                first = not words
                words.append(_Word(match.start(), match.end(), word, None))
                if not check_rare or bisect_right(spans, match.start()) % 2:
                    continue  # inside a glossary link
                if any(ch.isdigit() for ch in word):
                    continue
                elided = _ELISION_RE.match(word) if locale == "fr" else None
                cut = elided.end() if elided else 0
                bare = word[cut:]
                if sum(ch.isalpha() for ch in bare) <= 2:
                    continue
                if (bare[0].isupper() and not first) or bare[1:] != bare[1:].lower():
                    continue  # a proper noun, an acronym or a brand ("UNICEF", "CRCnct")
                key = bare.casefold().replace("\u2019", "'")
                if _is_rare(key, locale):
                    shown = bare.lower() if first else bare
                    words[-1] = _Word(match.start() + cut, match.end(), bare, key, shown)
            sentences.append(_Sentence(begin, end, words))
        units.append(_Unit(block, kind, text, sentences))
    return units


def _squeeze(text: str) -> str:
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


def analyse(markup: str, locale: str, glossary: dict[str, GlossaryEntry]) -> Analysis:
    """Score ``markup`` in ``locale`` and find its long sentences and rare words."""
    units = _read(markup, locale, glossary)
    sentences = [(unit.text, s) for unit in units for s in unit.sentences]
    word_count = sum(len(s.words) for _, s in sentences)
    long = sorted(  # stable: of two equally long sentences, the first comes first
        (text[s.start : s.end] for text, s in sentences if len(s.words) > LONG_SENTENCE_WORDS),
        key=lambda sentence: -len(_WORD_RE.findall(sentence)),
    )
    rare: dict[str, str] = {}
    for _, sentence in sentences:
        for word in sentence.words:
            if word.rare_key is not None and word.rare_key not in rare:
                rare[word.rare_key] = word.shown
    return Analysis(
        reading_ease=reading_ease(_plain_text(markup, glossary), locale),
        target=TARGET_READING_EASE,
        formula=FORMULA_NAMES.get(locale, FORMULA_NAMES["en"]),
        words=word_count,
        sentences=len(sentences),
        words_per_sentence=word_count / len(sentences) if sentences else 0.0,
        long_sentences=tuple(_squeeze(sentence) for sentence in long[:MAX_LONG_SENTENCES]),
        rare_words=tuple(list(rare.values())[:MAX_RARE_WORDS]),
    )


def _sentence_html(text: str, sentence: _Sentence) -> Markup:
    parts: list[Markup] = []
    position = sentence.start
    for word in sentence.words:
        if word.rare_key is None:
            continue
        parts.append(escape(text[position : word.start]))
        parts.append(Markup('<mark class="rare-word">{}</mark>').format(word.text))
        position = word.end
    parts.append(escape(text[position : sentence.end]))
    inner = Markup("").join(parts)
    if len(sentence.words) > LONG_SENTENCE_WORDS:
        return Markup('<mark class="long-sentence">{}</mark>').format(inner)
    return inner


def _unit_html(unit: _Unit) -> Markup:
    parts: list[Markup] = []
    position = 0
    for sentence in unit.sentences:
        parts.append(escape(unit.text[position : sentence.start]))
        parts.append(_sentence_html(unit.text, sentence))
        position = sentence.end
    parts.append(escape(unit.text[position:]))
    return Markup("").join(parts)


def highlight(markup: str, locale: str, glossary: dict[str, GlossaryEntry]) -> Markup:
    """The plain text as escaped HTML, paragraphs as ``<p>`` and list items in ``<ul>``, with
    every long sentence in ``<mark class="long-sentence">`` and every rare word in
    ``<mark class="rare-word">``."""
    html: list[Markup] = []
    items: list[Markup] = []
    block = -1

    def close_list() -> None:
        if items:
            html.append(Markup("<ul>{}</ul>").format(Markup("").join(items)))
            items.clear()

    for unit in _read(markup, locale, glossary):
        if unit.kind != "li" or unit.block != block:
            close_list()
        block = unit.block
        if unit.kind == "li":
            items.append(Markup("<li>{}</li>").format(_unit_html(unit)))
        else:
            html.append(Markup("<p>{}</p>").format(_unit_html(unit)))
    close_list()
    return Markup("").join(html)
