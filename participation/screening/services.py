"""Screen one text: flags with spans and reasons, a level of worry, a review lane and a redaction.

Two layers read the canonical text (normalise.py): the rules (rules.py: explicit disclosures,
personal details, insults) and the learned model (model.py: how likely the text is to come from
a child in danger, however it is worded). The level of worry is the higher of the two:

* ``urgent``: a rule's disclosure, or a high model score: a safeguarding lead, at once;
* ``check_soon``: a medium model score: the leads' "check soon" lane, ahead of ordinary items,
  with a shorter target time; never offered for bulk approval;
* ``ordinary``.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass
from typing import Any

from participation.screening.model import features, load_model, sentences
from participation.screening.normalise import Normalised, normalise
from participation.screening.rules import (
    INSULT,
    PERSONAL_INFO,
    POSSIBLE_HARM,
    URGENT_CATEGORIES,
    WORRY,
    data_version,
    load_rules,
)


class Priority(enum.IntEnum):
    """The review lane of an idea, highest first. Screening sets URGENT, CHECK_SOON, PERSONAL or
    ORDINARY; a reviewer who is not sure hands an item to the leads' ESCALATED lane, after
    possible disclosures and before what the model found worth a look."""

    ORDINARY = 0
    PERSONAL = 1  # personal details to hide before sharing
    CHECK_SOON = 2  # the model's medium score: for a safeguarding lead, soon
    ESCALATED = 3  # a reviewer's "not sure": for a safeguarding lead
    URGENT = 4  # a possible disclosure of harm: for a safeguarding lead, at once


# The lanes only safeguarding leads (and admins) open, highest first.
LEAD_LANES = (Priority.URGENT, Priority.ESCALATED, Priority.CHECK_SOON)

URGENT, CHECK_SOON, ORDINARY = "urgent", "check_soon", "ordinary"
LEVELS = (URGENT, CHECK_SOON, ORDINARY)

# What a reviewer reads next to a flag (the staff UI translates these by category).
REASONS = {
    "suicide": "May be thinking about suicide",
    "self_harm": "May be hurting themselves",
    "abuse": "May be being hurt or abused",
    "sexual_abuse": "May be being sexually abused",
    "violence": "May be facing violence",
    "neglect": "May be neglected (food, care, home)",
    "exploitation": "May be exploited (work, money, trafficking)",
    "grooming": "May be being groomed or asked to keep secrets",
    POSSIBLE_HARM: "Worded like a child who may not be safe (learned model)",
    WORRY: "Some words may hint that a child is not safe: check soon (learned model)",
    PERSONAL_INFO: "Personal details that could identify a child",
    INSULT: "Insult or unkind words",
}


@dataclass(frozen=True)
class Flag:
    category: str
    kind: str  # for personal details: email, phone, name...; otherwise the category again
    start: int  # span in the original text
    end: int
    reason: str


@dataclass(frozen=True)
class ScreeningResult:
    locale: str
    urgent: bool
    priority: int
    flags: tuple[Flag, ...]
    redacted: str
    version: str = ""  # the screening data's hash (rules.data_version)
    level: str = ORDINARY  # urgent, check_soon or ordinary
    score: float | None = None  # the model's highest score over the text (None: no model)

    @property
    def categories(self) -> list[str]:
        """Flag categories in order of first appearance, without repeats."""
        return list(dict.fromkeys(flag.category for flag in self.flags))

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form; the stored copy (spans, no matched text) and the CLI use it."""
        return {
            "urgent": self.urgent,
            "level": self.level,
            "score": None if self.score is None else round(self.score, 4),
            "priority": self.priority,
            "flags": self.categories,
            "matches": [asdict(flag) for flag in self.flags],
            "redacted": self.redacted,
            "locale": self.locale,
            "version": self.version,
        }


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def redact(text: str, spans: list[tuple[int, int]], placeholder: str) -> str:
    """Replace each span with the placeholder."""
    out, position = [], 0
    for start, end in _merge(spans):
        out.append(text[position:start])
        out.append(placeholder)
        position = end
    out.append(text[position:])
    return "".join(out)


def model_score(text: str, canonical: Normalised, locale: str) -> tuple[float, tuple[int, int]]:
    """The model's highest score over the text, and where (0 and an empty span when there is
    no model for the language).

    A long text is scored per pair of neighbouring sentences, from each sentence's features
    computed once: a pair's sums are the two sentences' sums less those of what they share."""
    model = load_model()
    language = model.languages.get(locale) if model else None
    if language is None:
        return 0.0, (0, 0)
    spans = sentences(text)
    if len(spans) == 1:
        start, end = spans[0]
        return language.score(canonical.canonical_of(start, end)), (start, end)
    found = [set(features(canonical.canonical_of(start, end))) for start, end in spans]
    sums = [language.sums(features_of) for features_of in found]
    best, best_span = 0.0, (0, 0)
    for index in range(len(spans) - 1):
        pair = sums[index] + sums[index + 1] - language.sums(found[index] & found[index + 1])
        score = language.probability(pair)
        if score > best:
            best, best_span = score, (spans[index][0], spans[index + 1][1])
    return best, best_span


def _level(flags: list[Flag], score: float, locale: str) -> str:
    if rules_see_harm(flags):
        return URGENT
    model = load_model()
    language = model.languages.get(locale) if model else None
    return language.level(score) if language else ORDINARY


def rule_flags(text: str, locale: str) -> tuple[Normalised, list[Flag], list[tuple[int, int]]]:
    """The canonical text, what the rules flag in it, and the personal details' spans."""
    rules = load_rules(locale)
    canonical = normalise(text, rules.substitutions)
    cleaned = canonical.cleaned
    flags: list[Flag] = []

    for category, match in rules.harm.finditer(canonical.text):
        start, end = canonical.original_span(*match.span())
        flags.append(Flag(category, category, start, end, REASONS[category]))

    personal_spans: list[tuple[int, int]] = []
    sources = ((True, rules.personal_original), (False, rules.personal_canonical))
    for on_original, patterns in sources:
        for kind, match in patterns.finditer(cleaned.text if on_original else canonical.text):
            span = match.span(1) if match.re.groups and match.group(1) else match.span()
            span = cleaned.original_span(*span) if on_original else canonical.original_span(*span)
            personal_spans.append(span)
            flags.append(Flag(PERSONAL_INFO, kind, *span, REASONS[PERSONAL_INFO]))

    for _category, match in rules.insults.finditer(canonical.text):
        start, end = canonical.original_span(*match.span())
        flags.append(Flag(INSULT, INSULT, start, end, REASONS[INSULT]))
    return canonical, flags, personal_spans


def rules_see_harm(flags: list[Flag]) -> bool:
    return any(flag.category in URGENT_CATEGORIES for flag in flags)


def screen_text(text: str, locale: str) -> ScreeningResult:
    """Screen ``text`` written in ``locale``. Pure and offline; never publishes or rejects."""
    canonical, flags, personal_spans = rule_flags(text, locale)
    score, (start, end) = model_score(text, canonical, locale)
    level = _level(flags, score, locale)
    if not rules_see_harm(flags) and level != ORDINARY:
        category = POSSIBLE_HARM if level == URGENT else WORRY
        flags.append(Flag(category, category, start, end, REASONS[category]))

    flags.sort(key=lambda flag: (flag.start, flag.end))
    if level == URGENT:
        priority = Priority.URGENT
    elif level == CHECK_SOON:
        priority = Priority.CHECK_SOON
    elif personal_spans:
        priority = Priority.PERSONAL
    else:
        priority = Priority.ORDINARY
    return ScreeningResult(
        locale=locale,
        urgent=level == URGENT,
        priority=priority,
        flags=tuple(flags),
        redacted=redact(text, personal_spans, load_rules(locale).placeholder),
        version=data_version(),
        level=level,
        score=score if load_model() is not None else None,
    )
