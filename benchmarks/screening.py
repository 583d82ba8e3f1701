"""Screening quality on the labelled sets, and its speed on 1,000-character texts.

    python benchmarks/screening.py [--repeat 2000]

Prints, per language and labelled set (dev and holdout: the rules were tuned on their misses;
final: written after all tuning, never used to tune):
cases, urgent recall, ordinary texts wrongly urgent, personal-details recall (and false
alarms), then the mean and 99th-percentile time to screen a 1,000-character text, for texts
made of ordinary feedback cases and for texts made of all cases (about 40% of them
disclosures: far denser in alarming words than real feedback). Targets: recall >= 95%,
wrongly urgent <= 5%, personal recall >= 90%, well under 1 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path

from participation.screening.evaluation import evaluate, load_cases
from participation.screening.services import screen_text

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


def timings(texts: list[str], locale: str) -> tuple[float, float]:
    """Mean and 99th percentile, in milliseconds."""
    screen_text(texts[0], locale)  # compile the rules first
    found = []
    for text in texts:
        start = time.perf_counter()
        screen_text(text, locale)
        found.append((time.perf_counter() - start) * 1000)
    found.sort()
    return statistics.mean(found), found[int(len(found) * 0.99) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=2000)
    args = parser.parse_args()
    print(f"{'set':<14} {'cases':>5} {'urgent recall':>14} {'wrongly urgent':>15} "
          f"{'personal recall':>16} {'personal false':>15}   ms per 1,000 chars: "
          f"ordinary mean/p99, all cases mean/p99")
    for locale, label, path in [
        (locale, label, folder / f"{locale}.yaml")
        for locale in ("fr", "en", "es")
        for label, folder in (
            ("dev", CASES), ("holdout", CASES / "holdout"), ("final", CASES / "final")
        )
    ]:
        if not path.exists():
            continue
        cases = load_cases(path)
        report = evaluate(cases, locale)
        ordinary = [c.text for c in cases if not c.urgent and not c.personal_info]
        ordinary_mean, ordinary_p99 = timings(thousand_char_texts(ordinary, args.repeat), locale)
        mixed_mean, mixed_p99 = timings(
            thousand_char_texts([c.text for c in cases], args.repeat), locale
        )
        print(
            f"{locale + ' ' + label:<14} {report.cases:>5} "
            f"{report.urgent_found:>3}/{report.urgent:<3} {report.urgent_recall:>6.1%} "
            f"{report.wrongly_urgent:>3}/{report.not_urgent:<3} {report.false_urgent_rate:>6.1%} "
            f"{report.personal_found:>3}/{report.personal:<3} {report.personal_recall:>7.1%} "
            f"{report.personal_false:>10}/{report.cases - report.personal:<4} "
            f"  {ordinary_mean:.3f}/{ordinary_p99:.3f}, {mixed_mean:.3f}/{mixed_p99:.3f}"
        )
        for mistake in report.mistakes:
            print("   ", mistake)


if __name__ == "__main__":
    main()
