"""Train the learned second opinion from the synthetic corpus (scikit-learn, not needed to run).

    flask screening train            # rebuild data/model.json.gz from corpus/
    flask screening train --check    # fail if the file on disk is not what the corpus gives

The corpus is split once, by a hash of each text, into a training part (4 in 5) and a held-back
part (1 in 5) that nothing here reads: it is only scored at the end (``flask screening
evaluate``). Per language, a scikit-learn pipeline (sublinear tf-idf over the features of
model.py, then a class-balanced logistic regression) is calibrated with a sigmoid fitted on
out-of-fold decisions (``CalibratedClassifierCV(ensemble=False)``). The thresholds are chosen
on those out-of-fold scores of the training part, for rules and model together: ``check_soon``
is the highest score that still puts CHECK_SOON_RECALL of the possible disclosures at "check
soon" or above; ``urgent`` the lowest that marks at most URGENT_FALSE_ALARMS of the hard
negatives urgent. The recall keeps a margin over the 95% target on unseen text; the false
alarms are held at the 8% target itself, because the corpus's hard negatives were written as
near twins of its disclosures and are harder than most.
Everything is seeded, so the same corpus gives the same file.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from participation.screening.model import MODEL_PATH, features
from participation.screening.normalise import normalise
from participation.screening.rules import load_rules

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
SEED = 20261130
HELD_BACK_SALT = "held-back-v1"
CHECK_SOON_RECALL = 0.98
URGENT_FALSE_ALARMS = 0.08
# LogisticRegression's C. In 5-fold cross-validation on the training part, C from 2 to 32 gave
# an area under the ROC curve (disclosures against hard negatives) of 0.853-0.869 in English and
# 0.835-0.850 in French; 4 is within 0.01 of the best and sends the fewest ordinary texts to
# "check soon" at the same recall.
REGULARISATION = 4.0


@dataclass(frozen=True)
class Example:
    text: str
    danger: bool
    family: str
    hard_negative: bool
    personal: bool


def held_back(text: str) -> bool:
    """One text in five is kept out of training and tuning, for the final measure."""
    digest = hashlib.sha256(f"{HELD_BACK_SALT}\0{text}".encode()).digest()
    return digest[0] % 5 == 0


def read_corpus(locale: str, *, part: str = "train") -> list[Example]:
    """The corpus of one language: ``part`` is "train", "held_back" or "all"."""
    examples = []
    for path in sorted((CORPUS_DIR / locale).glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            example = Example(str(row["text"]), bool(row["danger"]), str(row["family"]),
                              bool(row["hard_negative"]), bool(row["personal"]))
            if part == "all" or held_back(example.text) == (part == "held_back"):
                examples.append(example)
    return examples


def canonical_texts(texts: list[str], locale: str) -> list[str]:
    substitutions = load_rules(locale).substitutions
    return [normalise(text, substitutions).text for text in texts]


def _pipeline(regularisation: float) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(
        TfidfVectorizer(analyzer=features, binary=True, min_df=2, norm="l2"),
        LogisticRegression(C=regularisation, class_weight="balanced", max_iter=5000,
                           solver="liblinear", random_state=SEED),
    )


def _folds() -> Any:
    from sklearn.model_selection import StratifiedKFold

    return StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)


def out_of_fold_scores(texts: list[str], labels: list[bool], regularisation: float) -> list[float]:
    """Calibrated scores of each training text from models that did not see it."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.model_selection import cross_val_predict

    calibrated = CalibratedClassifierCV(_pipeline(regularisation), method="sigmoid",
                                        cv=_folds(), ensemble=False)
    outer = _folds()
    outer.random_state = SEED + 1
    probabilities = cross_val_predict(calibrated, texts, labels, cv=outer,
                                      method="predict_proba")
    return [float(p[1]) for p in probabilities]


def choose_thresholds(scores: list[float], examples: list[Example],
                      rules_urgent: list[bool]) -> dict[str, float]:
    """``check_soon`` and ``urgent`` from out-of-fold scores, for rules and model together (see
    the module docstring): a text the rules mark urgent is urgent whatever its score."""
    rows = list(zip(scores, examples, rules_urgent, strict=True))
    # Disclosures the rules miss, lowest score first: check soon must reach all but a few.
    danger = sorted(s for s, e, r in rows if e.danger and not r)
    missed = math.floor(sum(e.danger for _, e, _ in rows) * (1 - CHECK_SOON_RECALL))
    check_soon = danger[missed] if len(danger) > missed else 0.5
    # Hard negatives the rules leave alone, highest score first: only a few may reach urgent,
    # counting those the rules already mark.
    hard = sorted((s for s, e, r in rows if e.hard_negative and not r), reverse=True)
    allowed = math.floor(sum(e.hard_negative for _, e, _ in rows) * URGENT_FALSE_ALARMS)
    allowed -= sum(e.hard_negative and r for _, e, r in rows)
    urgent = hard[max(allowed, 0)] + 1e-6 if len(hard) > max(allowed, 0) else 0.5
    urgent = min(max(urgent, 0.5), 0.95)
    return {"check_soon": round(min(check_soon, urgent), 6), "urgent": round(urgent, 6)}


def rules_mark_urgent(texts: list[str], locale: str) -> list[bool]:
    from participation.screening.services import rule_flags, rules_see_harm

    return [rules_see_harm(rule_flags(text, locale)[1]) for text in texts]


def train_language(locale: str) -> dict[str, Any]:
    """One language's part of the model file."""
    return fit(read_corpus(locale), locale)[1]


def fit(examples: list[Example], locale: str) -> tuple[Any, dict[str, Any]]:
    """The fitted scikit-learn model and its export for the model file."""
    from sklearn.calibration import CalibratedClassifierCV

    texts = canonical_texts([e.text for e in examples], locale)
    labels = [e.danger for e in examples]
    thresholds = choose_thresholds(out_of_fold_scores(texts, labels, REGULARISATION), examples,
                                   rules_mark_urgent([e.text for e in examples], locale))
    calibrated = CalibratedClassifierCV(_pipeline(REGULARISATION), method="sigmoid",
                                        cv=_folds(), ensemble=False)
    calibrated.fit(texts, labels)
    fitted = calibrated.calibrated_classifiers_[0]
    vectoriser, regression = fitted.estimator.steps[0][1], fitted.estimator.steps[1][1]
    sigmoid = fitted.calibrators[0]
    coefficients = regression.coef_[0]
    rows = sorted(
        [feature, _round(vectoriser.idf_[index]), _round(coefficients[index])]
        for feature, index in vectoriser.vocabulary_.items()
    )
    return calibrated, {
        "examples": len(examples),
        "features": rows,
        "intercept": _round(regression.intercept_[0]),
        "calibration": [_round(sigmoid.a_), _round(sigmoid.b_)],
        "thresholds": thresholds,
    }


def _round(value: float) -> float:
    return float(f"{float(value):.6g}")


def corpus_hash(locales: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for locale in locales:
        for path in sorted((CORPUS_DIR / locale).glob("*.jsonl")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def build_model(locales: tuple[str, ...]) -> bytes:
    """The gzipped model file's bytes (reproducible: no timestamps, sorted keys)."""
    import sklearn

    data = {
        "version": f"{corpus_hash(locales)}-{SEED}",
        "trained_with": f"scikit-learn {sklearn.__version__}",
        "languages": {locale: train_language(locale) for locale in locales},
    }
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)


def write_model(locales: tuple[str, ...], path: Path = MODEL_PATH) -> int:
    content = build_model(locales)
    path.write_bytes(content)
    return len(content)
