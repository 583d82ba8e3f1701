"""Screening quality on every labelled set, and the time to screen 1,000 characters.

    python benchmarks/screening.py [--repeat 2000] [--mistakes]

Quality, per language and set (figures with Wilson 95% intervals):
* held-back: the fifth of the corpus that training never reads (training.held_back);
* dev, holdout, final: the sets of the first screening issue (the rules were tuned on dev and
  holdout; the model's thresholds were not tuned on any of them);
* unseen: written after all tuning by a writer who never saw the rules, the corpus or the model.
Targets on unseen text: urgent-or-check-soon recall >= 95%, urgent recall >= 90%, ordinary texts
urgent <= 3%, hard negatives urgent <= 8%, personal-details recall >= 95%.

Speed: mean and 99th percentile of screen_text (rules and model together) on 1,000-character
texts made of a set's ordinary cases, and of all its cases; then the model alone (features and
scoring of the canonical text, which the rules make anyway), and the rules alone (with the
normalisation), on the same texts.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from participation.screening import services
from participation.screening.evaluation import load_cases
from participation.screening.model import load_model

CASES = Path(__file__).resolve().parent.parent / "tests" / "screening" / "cases"


def thousand_char_texts(cases: list[str], count: int, seed: int = 7) -> list[str]:
    """Texts of exactly 1,000 characters made by joining random labelled cases."""
    rng = random.Random(seed)  # noqa: S311 - sampling test texts, not security
    texts = []
    for _ in range(count):
        parts: list[str] = []
        while sum(len(p) + 1 for p in parts) < 1000:
            parts.append(rng.choice(cases))
        texts.append(" ".join(parts)[:1000])
    return texts


def timings(texts: list[str], work: Callable[[str], object]) -> tuple[float, float]:
    """Mean and 99th percentile, in milliseconds."""
    work(texts[0])  # compile the rules and read the model first
    found = []
    for text in texts:
        start = time.perf_counter()
        work(text)
        found.append((time.perf_counter() - start) * 1000)
    found.sort()
    return statistics.mean(found), found[int(len(found) * 0.99) - 1]


def main() -> None:
    from participation.screening.cli import evaluation_reports

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=2000)
    parser.add_argument("--mistakes", action="store_true")
    args = parser.parse_args()
    for label, locale, report in evaluation_reports():
        print(f"{locale} {label:<9} {report.cases:>4} cases | urgent or check soon "
              f"{report.flagged_recall} | urgent {report.urgent_recall} | ordinary urgent "
              f"{report.ordinary_wrongly_urgent} (check soon {report.ordinary_check_soon}) | "
              f"hard negatives urgent {report.hard_wrongly_urgent} (check soon "
              f"{report.hard_check_soon}) | personal {report.personal_recall}")
        if args.mistakes:
            for mistake in report.mistakes:
                print("   ", mistake)

    print("\nms per 1,000 characters, mean/p99: screen_text (rules + model) on ordinary texts, "
          "on all cases; model alone (its features and scores); rules alone (all cases)")
    for locale in ("fr", "en", "es"):
        cases = [*load_cases(CASES / f"{locale}.yaml"),
                 *load_cases(CASES / "holdout" / f"{locale}.yaml")]
        ordinary = thousand_char_texts([c.text for c in cases if not c.danger and not c.personal],
                                       args.repeat)
        mixed = thousand_char_texts([c.text for c in cases], args.repeat)
        substitutions = services.load_rules(locale).substitutions
        canonical = {text: services.normalise(text, substitutions) for text in mixed}

        def model_only(text: str, locale: str = locale,
                       canonical: dict[str, object] = canonical) -> object:
            return services.model_score(text, canonical[text], locale)  # type: ignore[arg-type]

        def both(text: str, locale: str = locale) -> object:
            return services.screen_text(text, locale)

        results = [timings(ordinary, both), timings(mixed, both)]
        if load_model() is not None:
            results.append(timings(mixed, model_only))
            original = services.load_model
            services.load_model = lambda: None  # type: ignore[assignment]
            try:
                results.append(timings(mixed, both))
            finally:
                services.load_model = original
        print(f"{locale}: " + ", ".join(f"{mean:.3f}/{p99:.3f}" for mean, p99 in results))


if __name__ == "__main__":
    main()
