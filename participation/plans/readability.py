"""Reading-ease scores, so organisers can keep every simplified text easy to read.

English and French use Flesch reading ease with each language's constants (Kandel & Moles for
French); Spanish uses Fernandez-Huerta. Higher is easier; 70+ reads as "fairly easy" or better.
textstat's backend functions take the language as an argument, so they are safe to call from
several threads (its top-level API keeps the language in a global).
"""

from __future__ import annotations

from textstat.backend import metrics

# The score a simplified text should reach; `load-plan` warns below it.
TARGET_READING_EASE = 70.0

FORMULA_NAMES = {"fr": "Flesch (Kandel & Moles)", "en": "Flesch", "es": "Fernández-Huerta"}


def reading_ease(plain_text: str, locale: str) -> float:
    """Score ``plain_text`` (no markup) in ``locale``; 0.0 for an empty text."""
    if not plain_text.strip():
        return 0.0
    if locale == "es":
        score = metrics.fernandez_huerta(plain_text, "es")
    else:
        score = metrics.flesch_reading_ease(plain_text, locale)
    return round(float(score), 1)
