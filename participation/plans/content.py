"""Versioned plan content files: parse, validate and convert them to stored HTML.

A plan is a folder holding ``plan.yaml`` (slug, version, sections in reading order with their
icons) and one ``<locale>.yaml`` per language (titles, texts, glossary). Texts use a tiny
markup, deliberately smaller than Markdown so writers cannot produce anything the sanitiser
would have to strip:

* paragraphs separated by a blank line;
* bulleted lists: lines starting with ``- ``;
* ``**bold**``;
* ``[[key]]`` or ``[[key|shown words]]``: a glossary word, explained on tap.

Validation collects every problem with its file and field before anything touches the database,
so a bad file never leaves a plan half-loaded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

import yaml

from participation.config import SUPPORTED_LOCALES
from participation.i18n import typeset

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
TERM_RE = re.compile(r"\[\[([a-z0-9-]+)(?:\|([^\]|]+))?\]\]")
BOLD_RE = re.compile(r"\*\*(.+?)\*\*")
ICONS = frozenset(
    {"people", "star", "heart", "megaphone", "scales", "coins", "gears", "sprout", "hand"}
)
SUMMARY_MAX = 120


class ContentError(Exception):
    """A content file is malformed; ``problems`` lists each one as 'file: field: message'."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class GlossaryEntry:
    key: str
    term: str
    definition: str


@dataclass(frozen=True)
class SectionContent:
    title: str
    summary: str
    simple: str
    official: str


@dataclass(frozen=True)
class LocaleContent:
    locale: str
    title: str
    organisation: str
    intro: str
    sections: dict[str, SectionContent]
    glossary: dict[str, GlossaryEntry]


@dataclass(frozen=True)
class SectionSpec:
    slug: str
    icon: str


@dataclass(frozen=True)
class PlanContent:
    slug: str
    version: int
    default_locale: str
    sections: tuple[SectionSpec, ...]
    locales: dict[str, LocaleContent] = field(default_factory=dict)


class _Collector:
    """Gathers problems while reading one file, each prefixed with the file and field path.

    Texts of a language file come back typeset for that language (French spacing), so
    writers may type plain spaces before ``?`` and the page still never breaks before it.
    """

    def __init__(self, path: Path | str, problems: list[str], locale: str | None = None) -> None:
        self.path = path
        self.problems = problems
        self.locale = locale

    def add(self, where: str, message: str) -> None:
        self.problems.append(f"{self.path}: {where}: {message}")

    def text(self, data: Any, key: str, where: str, *, max_len: int | None = None) -> str:
        value = data.get(key) if isinstance(data, dict) else None
        if not isinstance(value, str) or not value.strip():
            self.add(f"{where}.{key}" if where else key, "missing or not a non-empty text")
            return ""
        value = value.strip()
        if max_len is not None and len(value) > max_len:
            self.add(f"{where}.{key}" if where else key, f"longer than {max_len} characters")
        return typeset(value, self.locale) if self.locale else value


def _read_yaml(path: Path, problems: list[str]) -> dict[str, Any] | None:
    if not path.is_file():
        problems.append(f"{path}: file not found")
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        problems.append(f"{path}: not valid UTF-8 YAML: {exc}")
        return None
    if not isinstance(data, dict):
        problems.append(f"{path}: the top level must be a mapping")
        return None
    return data


def _read_plan_spec(path: Path, problems: list[str]) -> PlanContent | None:
    data = _read_yaml(path, problems)
    return None if data is None else _spec_from_data(data, path, problems)


def _spec_from_data(data: dict[str, Any], path: Path | str, problems: list[str]) -> PlanContent:
    check = _Collector(path, problems)
    slug = check.text(data, "slug", "")
    if slug and not SLUG_RE.match(slug):
        check.add("slug", "use lowercase letters, digits and hyphens")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        check.add("version", "must be a whole number of at least 1")
        version = 0
    default_locale = check.text(data, "default_locale", "")
    if default_locale and default_locale not in SUPPORTED_LOCALES:
        check.add("default_locale", f"must be one of {', '.join(SUPPORTED_LOCALES)}")
    raw_sections = data.get("sections")
    specs: list[SectionSpec] = []
    if not isinstance(raw_sections, list) or not raw_sections:
        check.add("sections", "must be a non-empty list")
        raw_sections = []
    for index, item in enumerate(raw_sections):
        where = f"sections[{index}]"
        section_slug = check.text(item, "slug", where)
        icon = check.text(item, "icon", where)
        if section_slug and not SLUG_RE.match(section_slug):
            check.add(f"{where}.slug", "use lowercase letters, digits and hyphens")
        if section_slug in {spec.slug for spec in specs}:
            check.add(f"{where}.slug", f"'{section_slug}' appears twice")
        if icon and icon not in ICONS:
            check.add(f"{where}.icon", f"unknown icon '{icon}' (known: {', '.join(sorted(ICONS))})")
        specs.append(SectionSpec(section_slug, icon))
    return PlanContent(slug, version, default_locale, tuple(specs))


def _check_terms(check: _Collector, where: str, markup: str, glossary: dict[str, Any]) -> None:
    for match in TERM_RE.finditer(markup):
        if match.group(1) not in glossary:
            check.add(where, f"glossary key '{match.group(1)}' is not in this file's glossary")
    leftover = TERM_RE.sub("", markup)
    if "[[" in leftover or "]]" in leftover:
        check.add(where, "malformed glossary mark: write [[key]] or [[key|shown words]]")
    if "<" in markup:
        check.add(where, "HTML is not allowed; use the plan markup")
    if re.search(r"[\x00-\x08\x0b-\x1f\x7f]", markup):
        check.add(where, "contains control characters")


def _read_locale(
    path: Path, locale: str, spec: PlanContent, problems: list[str]
) -> LocaleContent | None:
    data = _read_yaml(path, problems)
    return None if data is None else _locale_from_data(data, locale, spec, path, problems)


def _locale_from_data(data: dict[str, Any], locale: str, spec: PlanContent, path: Path | str,
                      problems: list[str]) -> LocaleContent:
    check = _Collector(path, problems, locale)
    if data.get("locale") != locale:
        check.add("locale", f"must be '{locale}' to match the file name")

    glossary: dict[str, GlossaryEntry] = {}
    raw_glossary = data.get("glossary") or []
    if not isinstance(raw_glossary, list):
        check.add("glossary", "must be a list")
        raw_glossary = []
    for index, item in enumerate(raw_glossary):
        where = f"glossary[{index}]"
        key = check.text(item, "key", where)
        if key and not SLUG_RE.match(key):
            check.add(f"{where}.key", "use lowercase letters, digits and hyphens")
        if key in glossary:
            check.add(f"{where}.key", f"'{key}' appears twice")
        glossary[key] = GlossaryEntry(
            key, check.text(item, "term", where), check.text(item, "definition", where)
        )

    title = check.text(data, "title", "", max_len=200)
    organisation = check.text(data, "organisation", "", max_len=200)
    intro = check.text(data, "intro", "")
    _check_terms(check, "intro", intro, glossary)

    raw_sections = data.get("sections")
    if not isinstance(raw_sections, dict):
        check.add("sections", "must be a mapping of section slug to texts")
        raw_sections = {}
    expected = [s.slug for s in spec.sections]
    for extra in sorted(set(raw_sections) - set(expected)):
        check.add(f"sections.{extra}", "is not a section listed in plan.yaml")
    sections: dict[str, SectionContent] = {}
    for slug in expected:
        where = f"sections.{slug}"
        item = raw_sections.get(slug)
        if not isinstance(item, dict):
            check.add(where, "missing")
            continue
        texts = {
            name: check.text(item, name, where, max_len=max_len)
            for name, max_len in (
                ("title", 200),
                ("summary", SUMMARY_MAX),
                ("simple", None),
                ("official", None),
            )
        }
        for name in ("simple", "official"):
            _check_terms(check, f"{where}.{name}", texts[name], glossary)
        sections[slug] = SectionContent(**texts)
    return LocaleContent(locale, title, organisation, intro, sections, glossary)


def read_plan_folder(
    folder: str | Path, locales: tuple[str, ...] = SUPPORTED_LOCALES
) -> PlanContent:
    """Read and validate a plan folder; raise :class:`ContentError` listing every problem."""
    root = Path(folder)
    problems: list[str] = []
    if not root.is_dir():
        raise ContentError([f"{root}: not a folder (expected plan.yaml and one file per locale)"])
    spec = _read_plan_spec(root / "plan.yaml", problems)
    if spec is None:
        raise ContentError(problems)
    for locale in locales:
        content = _read_locale(root / f"{locale}.yaml", locale, spec, problems)
        if content is not None:
            spec.locales[locale] = content
    keys = {locale: set(c.glossary) for locale, c in spec.locales.items()}
    if keys and len({frozenset(k) for k in keys.values()}) > 1:
        union = set().union(*keys.values())
        for locale, own in sorted(keys.items()):
            for missing in sorted(union - own):
                problems.append(
                    f"{root / (locale + '.yaml')}: glossary: key '{missing}' is missing"
                )
    if problems:
        raise ContentError(problems)
    return spec


def read_plan_data(plan: dict[str, Any], locales: dict[str, dict[str, Any]]) -> PlanContent:
    """Validate a plan given as data (the YAML files' content, as the editor and the revisions
    hold it); raise :class:`ContentError` listing every problem, each prefixed with the
    language. Unlike a folder, each language may have its own words to know."""
    problems: list[str] = []
    spec = _spec_from_data(plan, "plan", problems)
    for locale, data in locales.items():
        spec.locales[locale] = _locale_from_data(data, locale, spec, locale, problems)
    if problems:
        raise ContentError(problems)
    return spec


def _inline_html(text: str, glossary: dict[str, GlossaryEntry]) -> str:
    """Escape the text, then turn bold and glossary marks into their HTML.

    Glossary marks become placeholders first so bold may wrap around them.
    """
    links: list[str] = []

    def hold(match: re.Match[str]) -> str:
        key, shown = match.group(1), match.group(2)
        words = shown if shown else glossary[key].term
        links.append(f'<a class="term" href="#term-{key}" data-term="{key}">{escape(words)}</a>')
        return f"\x00{len(links) - 1}\x00"

    html = BOLD_RE.sub(r"<strong>\1</strong>", escape(TERM_RE.sub(hold, text)))
    return re.sub("\x00(\\d+)\x00", lambda m: links[int(m.group(1))], html)


def _blocks(markup: str) -> list[list[str]]:
    return [block.splitlines() for block in re.split(r"\n\s*\n", markup.strip()) if block.strip()]


def _segments(lines: list[str]) -> list[tuple[str, list[str]]]:
    """Split one block into paragraphs ("p", [line, ...]) and lists ("ul", [item, ...])."""
    segments: list[tuple[str, list[str]]] = []
    for line in (raw.strip() for raw in lines):
        kind = segments[-1][0] if segments else None
        if line.startswith("- "):
            if kind == "ul":
                segments[-1][1].append(line[2:].strip())
            else:
                segments.append(("ul", [line[2:].strip()]))
        elif kind == "ul":
            segments[-1][1][-1] += " " + line  # a wrapped list item
        elif kind == "p":
            segments[-1][1].append(line)
        else:
            segments.append(("p", [line]))
    return segments


def markup_to_html(markup: str, glossary: dict[str, GlossaryEntry]) -> str:
    """Convert plan markup to HTML using only tags in the sanitiser's allowlist."""
    html: list[str] = []
    for lines in _blocks(markup):
        for kind, parts in _segments(lines):
            if kind == "p":
                html.append(f"<p>{_inline_html(' '.join(parts), glossary)}</p>")
            else:
                items = "".join(f"<li>{_inline_html(item, glossary)}</li>" for item in parts)
                html.append(f"<ul>{items}</ul>")
    return "".join(html)


def markup_to_plain(markup: str, glossary: dict[str, GlossaryEntry]) -> str:
    """The text as a reader hears it: no marks, one list item per line (for scores and speech)."""

    def term(match: re.Match[str]) -> str:
        return match.group(2) or glossary[match.group(1)].term

    text = TERM_RE.sub(term, markup)
    text = BOLD_RE.sub(r"\1", text)
    return re.sub(r"^\s*- ", "", text, flags=re.MULTILINE).strip()


def terms_used(markup: str) -> list[str]:
    """Glossary keys in order of first use."""
    seen: dict[str, None] = {}
    for match in TERM_RE.finditer(markup):
        seen.setdefault(match.group(1), None)
    return list(seen)
