"""Reading help while typing: score, long sentences, rare words and the writer's highlight."""

from __future__ import annotations

import time

import pytest
from wordfreq import zipf_frequency

from participation.plans.content import GlossaryEntry, markup_to_plain
from participation.plans.readability import FORMULA_NAMES, TARGET_READING_EASE, reading_ease
from participation.plans.writing import (
    LONG_SENTENCE_WORDS,
    RARE_ZIPF,
    Analysis,
    analyse,
    highlight,
    warm_up,
)

# Words checked against wordfreq's lists: each rare one is below RARE_ZIPF in its language
# (ombudsperson 1.5, redevabilité 1.8, subsidiariedad 2.3), each common one far above it.
RARE = {"en": "ombudsperson", "fr": "redevabilité", "es": "subsidiariedad"}
COMMON = {
    "en": ["children", "house", "meet", "month"],
    "fr": ["enfants", "maison", "chaque", "mois"],
    "es": ["niños", "casa", "cada", "mes"],
}
SENTENCES = {
    "en": "The children meet every month. They talk to the {word} about the plan.",
    "fr": "Les enfants se voient chaque mois. Ils parlent de la {word} avec la maison.",
    "es": "Los niños se ven cada mes. Hablan de la {word} en la casa.",
}
GLOSSARY = {
    "ombudsperson": GlossaryEntry("ombudsperson", "ombudsperson", "A person who listens."),
}
LONG = (
    "The children of the town meet every month with the adults of the council to talk "
    "about the budget, the ideas and the plans of the year."
)


def test_word_lists_agree_with_the_chosen_words() -> None:
    for locale, word in RARE.items():
        assert zipf_frequency(word, locale) < RARE_ZIPF
        for common in COMMON[locale]:
            assert zipf_frequency(common, locale) > RARE_ZIPF + 1


def test_a_long_sentence_is_found() -> None:
    analysis = analyse(f"We meet. {LONG} Then we play.", "en", {})
    assert analysis.long_sentences == (LONG,)
    assert analysis.sentences == 3
    assert len(LONG.split()) == 27 > LONG_SENTENCE_WORDS
    assert analysis.words == 2 + 27 + 3
    assert analysis.words_per_sentence == pytest.approx(32 / 3)


def test_long_sentences_come_longest_first_and_at_most_three() -> None:
    longer = LONG[:-1] + " and of the next year too."
    text = " ".join([LONG, longer, LONG, LONG, "Short one."])
    analysis = analyse(text, "en", {})
    assert analysis.long_sentences == (longer, LONG, LONG)


def test_a_simple_text_scores_as_the_reading_ease_page() -> None:
    glossary = {"council": GlossaryEntry("council", "council", "The group that decides.")}
    markup = (
        "We meet **every** month with the [[council]].\n"
        "We talk about the plan.\n\n"
        "- We vote\n"
        "- We eat [[council|cake]]"
    )
    for locale in ("en", "fr", "es"):
        analysis = analyse(markup, locale, glossary)
        expected = reading_ease(markup_to_plain(markup, glossary), locale)
        assert analysis.reading_ease == expected
        assert analysis.target == TARGET_READING_EASE
        assert analysis.formula == FORMULA_NAMES[locale]


@pytest.mark.parametrize("locale", ["en", "fr", "es"])
def test_rare_words_are_found_and_common_words_are_not(locale: str) -> None:
    analysis = analyse(SENTENCES[locale].format(word=RARE[locale]), locale, {})
    assert analysis.rare_words == (RARE[locale],)


def test_glossary_linked_words_are_not_reported() -> None:
    text = "They talk to the [[ombudsperson]]. They thank the [[new-key|ombudsperson]]."
    assert analyse(text, "en", GLOSSARY).rare_words == ()
    # A key not (yet) in the glossary shows its words and does not crash.
    analysis = analyse("We see the [[ombudsperson-office]] and [[other|friend]].", "en", {})
    assert analysis.rare_words == ()
    assert analysis.words == 7
    assert "ombudsperson office" in str(highlight("[[ombudsperson-office]]", "en", {}))


def test_proper_nouns_numbers_and_short_words_are_not_reported() -> None:
    text = "Ombudsperson Zyxwuv visits 4217 homes. We go to Zyxwuv. Ok xq."
    assert analyse(text, "en", {}).rare_words == ("ombudsperson",)


def test_rare_words_are_unique_in_order_of_first_use_and_at_most_twelve() -> None:
    text = "The ombudsperson saw the Ombudsperson. The subsidiarity of the ombudsperson."
    assert analyse(text, "en", {}).rare_words == ("ombudsperson", "subsidiarity")
    many = " ".join(f"zork{chr(97 + i)}qua" for i in range(20))
    assert len(analyse(many, "en", {}).rare_words) == 12


def test_regular_forms_of_common_words_and_acronyms_are_not_reported() -> None:
    assert analyse("Nous choisissons et nous agirons.", "fr", {}).rare_words == ()
    assert analyse("Cooperamos y vamos a respetarlos.", "es", {}).rare_words == ()
    assert analyse("We are mobilising. UNICEF helps. CRCnct too.", "en", {}).rare_words == ()


def test_french_elisions_report_the_word_alone() -> None:
    analysis = analyse("On parle de l'ombudsman et de la redevabilité.", "fr", {})
    assert analysis.rare_words == ("ombudsman", "redevabilité")


def test_sentences_split_with_french_spacing_lists_and_mixed_marks() -> None:
    text = (
        "Pourquoi\u202f? Parce que c'est important\u00a0: on vote\u00a0! Vraiment\u202f!? "
        "Oui... Et M. Dupont vient.\n\n- un vote\n- une fête\n"
        "suite de la fête"
    )
    analysis = analyse(text, "fr", {})
    # Pourquoi ? / Parce que ... on vote ! / Vraiment !? / Oui... / Et M. Dupont vient. /
    # un vote / une fête suite de la fête
    assert analysis.sentences == 7
    assert analysis.words == 1 + 6 + 1 + 1 + 4 + 2 + 6
    assert analyse("Bon... alors on y va.", "fr", {}).sentences == 1


def test_highlight_marks_long_sentences_and_rare_words() -> None:
    html = str(highlight(f"Hello the ombudsperson.\n\n{LONG}\n\n- one\n- two", "en", {}))
    assert html == (
        '<p>Hello the <mark class="rare-word">ombudsperson</mark>.</p>'
        f'<p><mark class="long-sentence">{LONG}</mark></p>'
        "<ul><li>one</li><li>two</li></ul>"
    )


def test_highlight_escapes_everything() -> None:
    html = str(highlight('<script>alert("x")</script> & **bold** <b>', "en", {}))
    assert "<script" not in html
    assert "<b>" not in html
    assert "&lt;script&gt;" in html
    assert "&amp;" in html
    assert html.startswith("<p>") and html.endswith("</p>")


def test_as_json() -> None:
    analysis = Analysis(71.25, 70.0, "Flesch", 10, 3, 10 / 3, ("A b.",), ("zork",))
    assert analysis.as_json() == {
        "ease": 71.25,
        "target": 70.0,
        "formula": "Flesch",
        "words": 10,
        "sentences": 3,
        "per_sentence": 3.3,
        "long": ["A b."],
        "rare": ["zork"],
    }


def test_empty_and_odd_texts_do_not_crash() -> None:
    for text in ["", "   \n\n ", "[[", "]]", "**", "- ", "[[|]]", "\x00\x07", "...", "!?"]:
        analysis = analyse(text, "fr", {})
        assert analysis.words_per_sentence >= 0
        highlight(text, "fr", {})
    assert analyse("", "en", {}).as_json()["per_sentence"] == 0.0


def test_a_hundred_thousand_characters_are_analysed() -> None:
    chunk = (
        f"{SENTENCES['fr'].format(word=RARE['fr'])} Pourquoi\u202f? **Bravo**\u00a0!\n\n"
        "- un [[vote]]\n- une [[fête|fête]] de l'ombudsman\n\n"
    )
    text = (chunk * (100_000 // len(chunk) + 1))[:100_000]
    analysis = analyse(text, "fr", {})
    assert analysis.words > 10_000
    assert analysis.rare_words == ("redevabilité", "ombudsman")
    assert len(highlight(text, "fr", {})) > 100_000


def test_five_thousand_characters_take_under_50_ms() -> None:
    warm_up(("en",))
    base = " ".join([SENTENCES["en"].format(word=RARE["en"]), LONG, "- an item\n\n"])
    text = (base * (5_000 // len(base) + 1))[:5_000]
    timings = []
    for run in range(5):  # the best of five, each a new text as while typing
        start = time.perf_counter()
        analyse(f"{text} {run}", "en", {})
        timings.append(time.perf_counter() - start)
    assert min(timings) < 0.05
