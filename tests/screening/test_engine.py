"""The screening engine: canonical text, spans back to the original, rules files, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner

from participation.screening import rules as rules_module
from participation.screening.normalise import fold, normalise
from participation.screening.rules import PERSONAL_INFO, RulesError, load_rules
from participation.screening.services import Priority, redact, screen_text


def test_fold_and_normalise() -> None:
    assert fold("Père NIÑA Ça") == "pere nina ca"
    result = normalise("J'VEUX   mouriiiir!!", {"jveux": "je veux"})
    assert result.text == "j veux mourir"
    # Each canonical word points back to the original word it came from.
    start = result.text.index("mourir")
    assert result.original_span(start, start + 6) == (9, 18)


def test_substitution_to_several_words_keeps_spans() -> None:
    text = "g envie de partir"
    result = normalise(text, {"g": "j ai"})
    assert result.text == "j ai envie de partir"
    start, end = result.original_span(0, len("j ai envie"))
    assert text[start:end] == "g envie"


def test_redact_merges_overlaps() -> None:
    assert redact("call 0612 or 0613", [(5, 9), (7, 9), (13, 17)], "[x]") == "call [x] or [x]"


@pytest.mark.parametrize("locale", ["fr", "en", "es"])
def test_every_locale_has_rules(locale: str) -> None:
    rules = load_rules(locale)
    assert rules.harm.entries and rules.insults.entries and rules.personal_canonical.entries
    assert rules.harm_categories == {
        "suicide", "self_harm", "abuse", "sexual_abuse", "violence", "neglect",
        "exploitation", "grooming",
    }


@pytest.mark.parametrize(
    ("locale", "text", "kind"),
    [
        ("en", "write to me: sam.k+kids@example.org", "email"),
        ("fr", "mon num 06 12 34 56 78", "phone"),
        ("es", "llamame al +34 612 345 678", "phone"),
        ("en", "follow @sunny_kid99", "handle"),
        ("fr", "va sur www.exemple.fr/moi", "link"),
    ],
)
def test_common_personal_details(locale: str, text: str, kind: str) -> None:
    result = screen_text(text, locale)
    # Personal details' lane, unless the model asks a lead to look first (never urgent).
    assert result.priority in (Priority.PERSONAL, Priority.CHECK_SOON) and not result.urgent
    assert kind in [flag.kind for flag in result.flags if flag.category == PERSONAL_INFO]
    assert "[" in result.redacted


@pytest.mark.parametrize("text", ["We want this in 2025-2029.", "190 countries, 100 members", "I am 12"])
def test_numbers_that_are_not_phones(text: str) -> None:
    assert PERSONAL_INFO not in screen_text(text, "en").categories


def test_spans_point_at_the_original_words() -> None:
    text = "Hello. My DAD hiiits me and I am scared"
    result = screen_text(text, "en")
    urgent = [flag for flag in result.flags if flag.category != "personal_info"]
    assert result.urgent and urgent
    assert "hiiits" in text[urgent[0].start:urgent[0].end] or "DAD" in text[urgent[0].start:urgent[0].end]


def test_bad_rules_file_names_file_and_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "common.yaml").write_text("personal_info: []\n")
    (tmp_path / "xx.yaml").write_text("harm:\n  suicide:\n    - '(unclosed'\n")
    monkeypatch.setattr(rules_module, "DATA_DIR", tmp_path)
    load_rules.cache_clear()
    try:
        with pytest.raises(RulesError, match=r"xx\.yaml: harm\.suicide\[0\]: bad pattern"):
            load_rules("xx")
        (tmp_path / "xx.yaml").write_text("harm:\n  boredom: ['x']\n")
        with pytest.raises(RulesError, match="unknown category 'boredom'"):
            load_rules("xx")
    finally:
        load_rules.cache_clear()


def test_cli_one_text(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["screen", "--locale", "fr", "je m'appelle Inès, mon num 0612345678"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["urgent"] is False
    assert "personal_info" in data["flags"]
    assert "0612345678" not in data["redacted"] and "[caché]" in data["redacted"]


def test_cli_reads_lines_from_stdin(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["screen", "--locale", "en"], input="I like it\nI want to die\n")
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["urgent"] for line in lines] == [False, True]
    assert all({"urgent", "flags", "redacted"} <= set(line) for line in lines)
