"""Independent evaluation's statistics: the paired bootstrap and DeLong's test, one run.

Run from the repository root: `.venv/bin/python bench/evaluate.py [--rows N] [--resamples R]`.

100,000 seeded holdout rows (30% positive) scored by two correlated models (scores rounded to
4 decimals, so some are tied). mlgate.evaluation.paired computes the 95% interval of the
roc_auc difference from 1,000 paired resamples, and DeLong's test (best of 3 runs each);
a paired bootstrap of log_loss and of accuracy is shown beside them. Targets (the issue
"Independent evaluation"): the paired bootstrap of roc_auc under 1 s, DeLong under 0.2 s.
Wall time and process CPU time are both printed: on a shared machine the CPU time is the
steadier figure.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from mlgate.evaluation import paired  # noqa: E402

TARGETS = {"bootstrap roc_auc": 1.0, "delong roc_auc": 0.2}


def best_of(runs: int, work: Callable[[], paired.PairedDifference]
            ) -> tuple[float, float, paired.PairedDifference]:
    walls, cpus, result = [], [], None
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        result = work()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    assert result is not None
    return min(walls), min(cpus), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--resamples", type=int, default=1000)
    args = parser.parse_args()
    rng = np.random.default_rng(42)
    label = (rng.random(args.rows) < 0.3).astype(np.int64)
    shared = rng.random(args.rows)
    candidate = np.round(np.clip(0.3 * label + 0.4 * shared + 0.3 * rng.random(args.rows), 0, 1), 4)
    incumbent = np.round(np.clip(0.25 * label + 0.4 * shared + 0.35 * rng.random(args.rows), 0, 1),
                         4)
    print(f"holdout rows            {args.rows:,} ({int(label.sum()):,} positive)")
    print(f"resamples               {args.resamples:,}")
    runs: dict[str, Callable[[], paired.PairedDifference]] = {
        "bootstrap roc_auc": lambda: paired.paired_bootstrap(
            "binary", "roc_auc", label, candidate, incumbent, resamples=args.resamples),
        "delong roc_auc": lambda: paired.delong(label, candidate, incumbent),
        "bootstrap log_loss": lambda: paired.paired_bootstrap(
            "binary", "log_loss", label, candidate, incumbent, resamples=args.resamples),
        "bootstrap accuracy": lambda: paired.paired_bootstrap(
            "binary", "accuracy", label, candidate, incumbent, resamples=args.resamples),
    }
    for name, work in runs.items():
        wall, cpu, found = best_of(3, work)
        target = TARGETS.get(name)
        ratio = f"   {wall / target:.2f} of the {target:g} s target" if target else ""
        print(f"{name:<22} {wall:7.3f} s wall {cpu:7.3f} s cpu{ratio}")
        print(f"{'':<22} difference {found.difference:+.6f}, {found.confidence:.0%} CI "
              f"[{found.low:+.6f}, {found.high:+.6f}]"
              + (f", p {found.p_value:.3g}" if found.p_value is not None else ""))


if __name__ == "__main__":
    main()
