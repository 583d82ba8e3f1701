"""The learned second opinion: scored in plain Python exactly as scikit-learn trained it, small,
versioned, loaded on first use only, and reproducible from the corpus."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from participation.screening import model as model_module
from participation.screening import rules, training
from participation.screening.model import MODEL_PATH, features, load_model, read_model
from participation.screening.rules import data_version

LOCALES = ("fr", "en", "es")


def test_features_are_words_pairs_and_padded_character_grams() -> None:
    found = features("my dad")
    assert set(found) == {"w:my", "w:dad", "b:my dad", " my ", "my d", "y da", " dad", "dad "}


@pytest.mark.parametrize("locale", LOCALES)
def test_plain_python_scoring_equals_scikit_learn(locale: str) -> None:
    pytest.importorskip("sklearn")
    corpus = training.read_corpus(locale)
    fitted, exported = training.fit(corpus[::6], locale)  # a small model: every sixth text
    scorer = read_model({"version": "test", "languages": {locale: exported}}).languages[locale]
    unseen_by_it = [e.text for e in corpus[1::30]]
    texts = [*training.canonical_texts(unseen_by_it, locale), "", "a", "zzzz qqqq"]
    expected = fitted.predict_proba(texts)[:, 1]
    for text, probability in zip(texts, expected, strict=True):
        # The file keeps six significant digits: scores agree to about 1e-4.
        assert scorer.score(text) == pytest.approx(float(probability), abs=2e-3), text


def test_the_model_file_is_small_and_part_of_the_screening_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert MODEL_PATH.stat().st_size < 5 * 1024 * 1024
    with gzip.open(MODEL_PATH, "rt", encoding="utf-8") as handle:
        data = json.load(handle)
    assert set(data["languages"]) == set(LOCALES)
    assert data["version"].endswith(f"-{training.SEED}")
    assert data["version"].startswith(training.corpus_hash(LOCALES))  # trained on this corpus
    for entry in data["languages"].values():
        thresholds = entry["thresholds"]
        assert 0 < thresholds["check_soon"] <= thresholds["urgent"] < 1
    version = data_version()
    # Another model screens differently: hosts must see it (a copy of the data is changed, never
    # the real files, which another test run may be reading).
    copy = tmp_path / "data"
    shutil.copytree(rules.DATA_DIR, copy)
    (copy / MODEL_PATH.name).write_bytes(MODEL_PATH.read_bytes() + b"\0")
    monkeypatch.setattr(rules, "DATA_DIR", copy)
    data_version.cache_clear()
    try:
        assert data_version() != version
    finally:
        data_version.cache_clear()


def test_the_model_loads_on_first_use_not_when_the_app_is_built() -> None:
    code = (
        "from participation import create_app\n"
        "from participation.screening import model\n"
        "create_app({'TESTING': True, 'SECRET_KEY': 'x', "
        "'SQLALCHEMY_DATABASE_URI': 'sqlite://'})\n"
        "import sys\n"
        "assert model.load_model.cache_info().currsize == 0\n"
        "assert 'sklearn' not in sys.modules and 'numpy' not in sys.modules\n"
        # Nor the plan editor's word lists, nor the confusables data: on first use too.
        "assert 'wordfreq' not in sys.modules and 'confusable_homoglyphs' not in sys.modules\n"
        "from participation.screening.services import screen_text\n"
        "screen_text('hello', 'en')\n"
        "assert model.load_model.cache_info().currsize == 1\n"
        "assert 'sklearn' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_no_model_file_means_rules_only(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setattr(model_module, "MODEL_PATH", tmp_path / "missing.json.gz")
    load_model.cache_clear()
    try:
        from participation.screening.services import screen_text

        result = screen_text("my dad hits me", "en")
        assert result.urgent and result.score is None
    finally:
        load_model.cache_clear()


def test_held_back_split_is_fixed_and_about_one_in_five() -> None:
    every = [e for locale in LOCALES for e in training.read_corpus(locale, part="all")]
    held = [e for e in every if training.held_back(e.text)]
    assert 0.15 < len(held) / len(every) < 0.25
    assert training.held_back("my dad hits me") == training.held_back("my dad hits me")
