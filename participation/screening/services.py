"""Screen one text: flags with spans and reasons, an urgency level and a suggested redaction."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass
from typing import Any

from participation.screening.concern import sentences
from participation.screening.normalise import normalise
from participation.screening.rules import (
    INSULT,
    PERSONAL_INFO,
    POSSIBLE_HARM,
    URGENT_CATEGORIES,
    data_version,
    load_rules,
)


class Priority(enum.IntEnum):
    """The review lane of an idea, highest first. Screening sets URGENT, PERSONAL or ORDINARY;
    a reviewer who is not sure hands an item to the leads' ESCALATED lane, which comes after
    possible disclosures and before everything else."""

    ORDINARY = 0
    PERSONAL = 1  # personal details to hide before sharing
    ESCALATED = 2  # a reviewer's "not sure": for a safeguarding lead
    URGENT = 3  # a possible disclosure of harm: for a safeguarding lead, at once

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
    POSSIBLE_HARM: "Several worrying words together: may not be safe",
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

    @property
    def categories(self) -> list[str]:
        """Flag categories in order of first appearance, without repeats."""
        return list(dict.fromkeys(flag.category for flag in self.flags))

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form; the stored copy (spans, no matched text) and the CLI use it."""
        return {
            "urgent": self.urgent,
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


def screen_text(text: str, locale: str) -> ScreeningResult:
    """Screen ``text`` written in ``locale``. Pure and offline; never publishes or rejects."""
    rules = load_rules(locale)
    canonical = normalise(text, rules.substitutions)
    flags: list[Flag] = []

    for category, match in rules.harm.finditer(canonical.text):
        start, end = canonical.original_span(*match.span())
        flags.append(Flag(category, category, start, end, REASONS[category]))

    personal_spans: list[tuple[int, int]] = []
    sources = ((True, rules.personal_original), (False, rules.personal_canonical))
    for on_original, patterns in sources:
        for kind, match in patterns.finditer(text if on_original else canonical.text):
            span = match.span(1) if match.re.groups and match.group(1) else match.span()
            if not on_original:
                span = canonical.original_span(*span)
            personal_spans.append(span)
            flags.append(Flag(PERSONAL_INFO, kind, *span, REASONS[PERSONAL_INFO]))

    for _category, match in rules.insults.finditer(canonical.text):
        start, end = canonical.original_span(*match.span())
        flags.append(Flag(INSULT, INSULT, start, end, REASONS[INSULT]))

    if rules.concern is not None and not any(f.category in URGENT_CATEGORIES for f in flags):
        for start, end in sentences(text):
            if rules.concern.score(canonical.canonical_of(start, end)) >= rules.concern.threshold:
                flags.append(Flag(POSSIBLE_HARM, POSSIBLE_HARM, start, end, REASONS[POSSIBLE_HARM]))

    flags.sort(key=lambda flag: (flag.start, flag.end))
    urgent = any(flag.category in URGENT_CATEGORIES for flag in flags)
    if urgent:
        priority = Priority.URGENT
    elif personal_spans:
        priority = Priority.PERSONAL
    else:
        priority = Priority.ORDINARY
    return ScreeningResult(
        locale=locale,
        urgent=urgent,
        priority=priority,
        flags=tuple(flags),
        redacted=redact(text, personal_spans, rules.placeholder),
        version=data_version(),
    )
