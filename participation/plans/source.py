"""A plan's source as data: the same thing as its YAML files, in the forms the app needs.

A revision stores this data; the editor's draft turns into it; ``flask load-plan`` and the
editor's import read it from YAML; the export writes it back as the same YAML files
(``plan.yaml`` and one file per language) in a zip, so both doors lead to the same plan.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from typing import Any

import yaml

from participation.plans.content import PlanContent, read_plan_data
from participation.plans.models import Plan

Data = dict[str, Any]


def content_to_data(content: PlanContent) -> Data:
    """The data of validated content (what a revision stores)."""
    return {
        "slug": content.slug,
        "version": content.version,
        "default_locale": content.default_locale,
        "sections": [{"slug": s.slug, "icon": s.icon} for s in content.sections],
        "locales": {
            locale: {
                "title": texts.title,
                "organisation": texts.organisation,
                "intro": texts.intro,
                "sections": {
                    slug: {"title": part.title, "summary": part.summary, "simple": part.simple,
                           "official": part.official}
                    for slug, part in texts.sections.items()
                },
                "glossary": [
                    {"key": e.key, "term": e.term, "definition": e.definition}
                    for e in texts.glossary.values()
                ],
            }
            for locale, texts in content.locales.items()
        },
    }


def data_to_content(data: Data) -> PlanContent:
    """Validated content from data (raises ContentError listing every problem)."""
    plan: Data = {k: data[k] for k in ("slug", "version", "default_locale", "sections")
                  if k in data}
    locales = {
        locale: {"locale": locale, **texts} for locale, texts in (data.get("locales") or {}).items()
    }
    return read_plan_data(plan, locales)


def yaml_files(data: Data) -> dict[str, str]:
    """The plan as its YAML files: ``plan.yaml`` and ``<locale>.yaml``."""
    plan = {k: data[k] for k in ("slug", "version", "default_locale", "sections")}
    files = {"plan.yaml": _dump(plan)}
    for locale, texts in data["locales"].items():
        files[f"{locale}.yaml"] = _dump({"locale": locale, **texts})
    return files


def _dump(value: Any) -> str:
    return yaml.safe_dump(value, allow_unicode=True, sort_keys=False, width=100)


def zip_of(data: Data) -> bytes:
    """The YAML files in a zip, ready for ``flask load-plan`` once unpacked."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in yaml_files(data).items():
            archive.writestr(f"{data['slug']}/{name}", text)
    return buffer.getvalue()


MAX_ZIP_BYTES = 2 * 1024 * 1024


class PlanImportError(ValueError):
    """An uploaded file is not a plan export (the message says why, for the organiser)."""


def data_from_zip(raw: bytes) -> Data:
    """Read an export back: the YAML files of one plan in a zip (any folder inside)."""
    if len(raw) > MAX_ZIP_BYTES:
        raise PlanImportError("too_big")
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        names = {name.rsplit("/", 1)[-1]: name for name in archive.namelist()
                 if name.endswith(".yaml")}
        if "plan.yaml" not in names:
            raise PlanImportError("no_plan")
        total = sum(info.file_size for info in archive.infolist())
        if total > 10 * MAX_ZIP_BYTES:
            raise PlanImportError("too_big")
        loaded = {short: yaml.safe_load(archive.read(full).decode("utf-8"))
                  for short, full in names.items()}
    except (zipfile.BadZipFile, UnicodeDecodeError, yaml.YAMLError) as error:
        raise PlanImportError("not_a_plan") from error
    plan = loaded.pop("plan.yaml")
    if not isinstance(plan, dict) or not all(isinstance(v, dict) for v in loaded.values()):
        raise PlanImportError("not_a_plan")
    locales = {}
    for name, texts in loaded.items():
        locale = name.removesuffix(".yaml")
        locales[locale] = {k: v for k, v in texts.items() if k != "locale"}
    return {**plan, "locales": locales}


_TERM_LINK_RE = re.compile(
    r'<a class="term" href="#term-([a-z0-9-]+)" data-term="[a-z0-9-]+">(.*?)</a>')


def html_to_markup(stored: str, terms: dict[str, str]) -> str:
    """Plan markup from the HTML that :func:`markup_to_html` made (``terms``: key -> the
    word as the glossary writes it). Used once, to give the live plan its source back."""

    def term(match: re.Match[str]) -> str:
        key, shown = match.group(1), html.unescape(match.group(2))
        return f"[[{key}]]" if terms.get(key) == shown else f"[[{key}|{shown}]]"

    def inline(fragment: str) -> str:
        fragment = _TERM_LINK_RE.sub(term, fragment)
        fragment = re.sub(r"</?strong>", "**", fragment)
        return html.unescape(fragment)

    blocks: list[str] = []
    for kind, body in re.findall(r"<(p|ul)>(.*?)</\1>", stored, flags=re.DOTALL):
        if kind == "p":
            blocks.append(inline(body))
        else:
            items = re.findall(r"<li>(.*?)</li>", body, flags=re.DOTALL)
            blocks.append("\n".join(f"- {inline(item)}" for item in items))
    return "\n\n".join(blocks)


def live_to_data(plan: Plan) -> Data:
    """The source of a plan as it is live (built from the stored HTML)."""
    sections = [s for s in plan.sections if s.retired_at is None]
    locales: Data = {}
    for translation in plan.translations:
        locale = translation.locale
        glossary = [t for t in plan.glossary_terms if t.locale == locale]
        words = {t.key: t.term for t in glossary}
        parts = {}
        for section in sections:
            text = next((t for t in section.texts if t.locale == locale), None)
            if text is not None:
                parts[section.slug] = {
                    "title": text.title, "summary": text.summary,
                    "simple": html_to_markup(text.simple_html, words),
                    "official": html_to_markup(text.official_html, words),
                }
        locales[locale] = {
            "title": translation.title, "organisation": translation.organisation,
            "intro": html_to_markup(translation.intro_html, words), "sections": parts,
            "glossary": [{"key": t.key, "term": t.term, "definition": t.definition}
                         for t in sorted(glossary, key=lambda t: t.key)],
        }
    return {
        "slug": plan.slug, "version": plan.version, "default_locale": plan.default_locale,
        "sections": [{"slug": s.slug, "icon": s.icon} for s in sections],
        "locales": locales,
    }
