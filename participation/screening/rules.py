"""Screening rules: read the per-language data files once and compile their patterns.

``data/common.yaml`` holds language-independent personal details (emails, links, handles,
phone numbers); ``data/<locale>.yaml`` holds a language's texting forms, personal-detail
phrases, disclosure phrases per harm category and insults. The files are data, not code: a
safeguarding lead extends them and reloads the app. See ``data/README.md``. Indirect disclosures
are the learned model's part (model.py).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from participation.screening.normalise import fold
from participation.screening.prefilter import PatternSet

DATA_DIR = Path(__file__).resolve().parent / "data"

# Possible disclosures of harm: any of these makes an item urgent.
# The learned model's high score (model.py): urgent, without a precise category.
POSSIBLE_HARM = "possible_harm"
# The learned model's medium score: for a safeguarding lead to check soon (not urgent).
WORRY = "worry"
URGENT_CATEGORIES = (
    "suicide", "self_harm", "abuse", "sexual_abuse", "violence", "neglect", "exploitation",
    "grooming", POSSIBLE_HARM,
)
PERSONAL_INFO = "personal_info"
INSULT = "insult"
CATEGORIES = (*URGENT_CATEGORIES, WORRY, PERSONAL_INFO, INSULT)


class RulesError(Exception):
    """A screening data file is malformed (names the file and the entry)."""


@dataclass(frozen=True)
class PersonalPattern:
    kind: str  # email, phone, address, handle, link, name, school, ...
    regex: re.Pattern[str]
    on_original: bool  # match the original text (formats) or the canonical text (phrases)


@dataclass(frozen=True)
class Rules:
    locale: str
    placeholder: str
    substitutions: dict[str, str]
    personal_canonical: PatternSet  # named by kind
    personal_original: PatternSet
    harm: PatternSet  # named by category
    insults: PatternSet
    harm_categories: frozenset[str]


def _load(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RulesError(f"{path}: {exc}") from exc
    if not isinstance(data, dict):
        raise RulesError(f"{path}: the top level must be a mapping")
    return data


def _compile(pattern: str, where: str, flags: int = 0) -> re.Pattern[str]:
    try:
        return re.compile(pattern, flags)
    except re.error as exc:
        raise RulesError(f"{where}: bad pattern {pattern!r}: {exc}") from exc


def _personal(entries: Any, where: str) -> list[PersonalPattern]:
    patterns = []
    for index, entry in enumerate(entries or []):
        if not isinstance(entry, dict) or "kind" not in entry or "pattern" not in entry:
            raise RulesError(f"{where}[{index}]: needs 'kind' and 'pattern'")
        on_original = entry.get("source", "canonical") == "original"
        flags = re.IGNORECASE if on_original else 0
        regex = _compile(entry["pattern"], f"{where}[{index}]", flags)
        patterns.append(PersonalPattern(str(entry["kind"]), regex, on_original))
    return patterns




@cache
def data_version() -> str:
    """A short hash of every screening data file (rules and model), as this process read them.

    Stored with each screened idea and reported per host: two app hosts with different files
    would screen the same words differently (urgent on one, ordinary on the other).
    """
    digest = hashlib.sha256()
    for path in sorted([*DATA_DIR.glob("*.yaml"), *DATA_DIR.glob("*.json.gz")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


@cache
def load_rules(locale: str) -> Rules:
    """The compiled rules for ``locale`` (cached for the life of the process)."""
    data_version()  # read together with the rules: the version describes what is loaded
    common = _load(DATA_DIR / "common.yaml")
    path = DATA_DIR / f"{locale}.yaml"
    if not path.exists():
        raise RulesError(f"{path}: no screening rules for locale {locale!r}")
    data = _load(path)
    where = path.name
    substitutions = {str(k): str(v) for k, v in (data.get("substitutions") or {}).items()}
    personal = _personal(common.get("personal_info"), "common.yaml: personal_info")
    personal += _personal(data.get("personal_info"), f"{where}: personal_info")
    harm: list[tuple[str, re.Pattern[str]]] = []
    for category, patterns in (data.get("harm") or {}).items():
        if category not in URGENT_CATEGORIES:
            raise RulesError(f"{where}: harm: unknown category {category!r}")
        for index, pattern in enumerate(patterns or []):
            harm.append((category, _compile(pattern, f"{where}: harm.{category}[{index}]")))
    insult_data = data.get("insults") or {}
    insults = [
        (INSULT, _compile(rf"\b{re.escape(fold(str(word)))}\b", f"{where}: insults.words"))
        for word in insult_data.get("words") or []
    ]
    insults += [
        (INSULT, _compile(pattern, f"{where}: insults.patterns[{index}]"))
        for index, pattern in enumerate(insult_data.get("patterns") or [])
    ]
    return Rules(
        locale=locale,
        placeholder=str(data.get("placeholder", "[…]")),
        substitutions=substitutions,
        personal_canonical=PatternSet([(p.kind, p.regex) for p in personal if not p.on_original]),
        personal_original=PatternSet(
            [(p.kind, p.regex) for p in personal if p.on_original], ignore_case=True
        ),
        harm=PatternSet(harm),
        insults=PatternSet(insults),
        harm_categories=frozenset(category for category, _ in harm),
    )
