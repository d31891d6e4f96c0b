"""Bootstrap confidence intervals: mlgate.evaluation.binary against a naive scikit-learn
loop, one run.

Run from the repository root: `.venv/bin/python bench/bootstrap.py [--rows N] [--resamples R]`.

100,000 seeded predictions (scores rounded to 4 decimals, so some are tied). mlgate computes
the 95% interval of ROC AUC, log loss and accuracy from 1,000 resamples (best of 3 runs);
the reference draws classical bootstrap resamples and calls sklearn.metrics.roc_auc_score
on each, timed over 50 resamples and scaled to 1,000. Target: mlgate's ROC AUC well under
a second.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from mlgate.evaluation import binary as classification  # noqa: E402

REFERENCE_RESAMPLES = 50


def best_of(runs: int, work: Callable[[], object]) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--resamples", type=int, default=1000)
    args = parser.parse_args()
    rng = np.random.default_rng(42)
    label = (rng.random(args.rows) < 0.3).astype(np.int64)
    score = np.round(np.clip(0.25 * label + 0.75 * rng.random(args.rows), 0, 1), 4)

    print(f"predictions             {args.rows:,} ({int(label.sum()):,} positive)")
    print(f"resamples               {args.resamples:,}")
    timings = {}
    for name in ("roc_auc", "log_loss", "accuracy"):
        seconds, found = best_of(3, lambda name=name: classification.bootstrap_interval(
            name, label, score, resamples=args.resamples, level=0.95, seed=0))
        assert isinstance(found, classification.Interval)
        timings[name] = seconds
        print(f"mlgate {name:<16} {seconds:7.3f} s   point {found.point:.6f}, 95% CI "
              f"[{found.low:.6f}, {found.high:.6f}], {found.resamples_used} resamples used")

    draws = np.random.default_rng(0)
    start = time.perf_counter()
    for _ in range(REFERENCE_RESAMPLES):
        rows = draws.integers(0, args.rows, args.rows)
        roc_auc_score(label[rows], score[rows])
    naive = (time.perf_counter() - start) * args.resamples / REFERENCE_RESAMPLES
    print(f"sklearn loop roc_auc    {naive:7.3f} s   ({REFERENCE_RESAMPLES} resamples timed, "
          f"scaled to {args.resamples:,})")
    print(f"speed-up roc_auc        {naive / timings['roc_auc']:.1f}x")


if __name__ == "__main__":
    main()
