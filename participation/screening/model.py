"""The learned second opinion: how likely a text is to come from a child who may be in danger.

Rules catch what can be written down (explicit disclosures, personal details, insults); they
miss the endless ways children hint ("nobody would notice if I disappeared"). A linear model
over words, word pairs and character 4-grams of the canonical text, trained with scikit-learn
on the synthetic corpus in ``corpus/`` (see training.py and ``data/README.md``), gives each
text a calibrated score from 0 to 1. Two thresholds chosen at training time turn it into a level:
at or above ``urgent`` the text goes to a safeguarding lead at once, at or above
``check_soon`` it goes to the leads' "check soon" lane; below, it is ordinary.

The model file (``data/model.json.gz``) holds, per language, each n-gram's idf and weight, the
intercept and the calibration. Scoring here is plain Python (no scikit-learn or numpy at run
time), equal to the scikit-learn pipeline that was trained (tests/screening/test_model.py), and
loaded on first use per process, never when the app is built. Features count once per text
(binary tf-idf), which is what lets a text be scored with two C-level passes.
"""

from __future__ import annotations

import gzip
import json
import math
import re
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path

MODEL_PATH = Path(__file__).resolve().parent / "data" / "model.json.gz"
# Character 4-grams alone did as well as 3- to 5-grams in cross-validation on the corpus
# (area under the ROC curve 0.952 for both in English, 0.954 for both in French) with 40% of
# the features, so scoring costs less than half as much.
CHAR_NGRAMS = (4,)
# A longer text is scored by pairs of neighbouring sentences (the highest counts), so a
# disclosure inside a long paragraph is not drowned by the rest.
WINDOW_CHARS = 300
_SENTENCE_RE = re.compile(r"[^.!?;\n]+[.!?;\n]*")


def features(canonical: str) -> list[str]:
    """The model's features of a canonical text: its words, pairs of words, and character
    4-grams of the text padded with spaces (so word starts and ends count)."""
    words = canonical.split()
    found = [f"w:{word}" for word in words]
    found += [f"b:{first} {second}" for first, second in pairwise(words)]
    padded = f" {canonical} "
    for size in CHAR_NGRAMS:
        found += [padded[i:i + size] for i in range(len(padded) - size + 1)]
    return found


@dataclass(frozen=True)
class LanguageModel:
    # feature -> complex(idf**2, idf * coefficient): summing a text's values in one C-level
    # ``sum`` gives both the squared norm and the dot product of its binary tf-idf vector.
    weights: dict[str, complex]
    intercept: float
    calibration: tuple[float, float]  # sigmoid: 1 / (1 + exp(a * decision + b))
    check_soon: float  # score thresholds
    urgent: float

    def sums(self, found: set[str]) -> complex:
        """complex(squared norm, dot product) of a set of features."""
        return sum(filter(None, map(self.weights.get, found)), 0j)

    def probability(self, sums: complex) -> float:
        """The calibrated score of a text from its :meth:`sums` (binary tf, idf, l2 norm)."""
        squares, total = sums.real, sums.imag
        decision = self.intercept + (total / math.sqrt(squares) if squares > 0 else 0.0)
        a, b = self.calibration
        exponent = a * decision + b
        return 0.0 if exponent > 700 else 1.0 / (1.0 + math.exp(exponent))

    def score(self, canonical: str) -> float:
        return self.probability(self.sums(set(features(canonical))))

    def level(self, score: float) -> str:
        if score >= self.urgent:
            return "urgent"
        return "check_soon" if score >= self.check_soon else "ordinary"


@dataclass(frozen=True)
class Model:
    version: str
    languages: dict[str, LanguageModel]


def read_model(data: dict) -> Model:  # type: ignore[type-arg]
    """A model from the JSON written by training.py."""
    languages = {}
    for locale, entry in data["languages"].items():
        languages[locale] = LanguageModel(
            weights={f: complex(idf * idf, idf * coef) for f, idf, coef in entry["features"]},
            intercept=float(entry["intercept"]),
            calibration=(float(entry["calibration"][0]), float(entry["calibration"][1])),
            check_soon=float(entry["thresholds"]["check_soon"]),
            urgent=float(entry["thresholds"]["urgent"]),
        )
    return Model(version=str(data["version"]), languages=languages)


@cache
def load_model() -> Model | None:
    """The model this process screens with (read once), or None when no model file exists."""
    if not MODEL_PATH.exists():
        return None
    with gzip.open(MODEL_PATH, "rt", encoding="utf-8") as handle:
        return read_model(json.load(handle))


def sentences(text: str) -> list[tuple[int, int]]:
    """What to score: the whole of a short text (one span); for a longer one, its sentences,
    scored in pairs of neighbours (a line break also ends one: children rarely punctuate)."""
    if len(text) <= WINDOW_CHARS:
        return [(0, len(text))]
    spans = [m.span() for m in _SENTENCE_RE.finditer(text) if m.group().strip()]
    return spans or [(0, len(text))]
