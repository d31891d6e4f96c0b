"""`mlgate check` wall time next to `dvc status` on the same repository, and the bootstrap.

Clones this repository into a temp dir, reproduces the example, then times (median of
several runs) `dvc status`, the re-run of the evaluation stages that recomputes the
metrics (:func:`mlgate.gates.recompute.recompute` in this process: the temporary worktree,
its inputs from the DVC cache, `dvc repro` of `evaluate`), and `mlgate check employment
--env staging` and `--env production` (which adds a 1,000-resample bootstrap and slice
gates). Target (issues 3 and 17): `mlgate check` at most `dvc status` + 0.3 s plus the
re-run's time.

Run from the repository root: `.venv/bin/python bench/check.py`.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5
ENV = {**os.environ, "DVC_NO_ANALYTICS": "1", "ITERATIVE_DO_NOT_TRACK": "1",
       "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}


def wall(argv: list[str], cwd: Path) -> tuple[float, int]:
    """Median wall time of RUNS runs, and the exit code (the same every run, or the bench
    stops: a command that failed early would be timed as if it had done its work)."""
    times, codes = [], set()
    for _ in range(RUNS):
        start = time.perf_counter()
        proc = subprocess.run(argv, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, check=False)
        times.append(time.perf_counter() - start)
        codes.add(proc.returncode)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}:\n"
                             f"{proc.stderr.decode()[-2000:]}")
    if len(codes) != 1:
        raise SystemExit(f"{' '.join(argv)} gave different exit codes: {sorted(codes)}")
    return statistics.median(times), codes.pop()


def recompute_seconds(repo: Path) -> float:
    """Median time of the metrics' re-run alone, as `check` does it."""
    from mlgate.config.declarations import read_dvc_yaml
    from mlgate.gates.candidate import open_candidate, read_lock
    from mlgate.gates.policy_source import load_policy
    from mlgate.gates.recompute import recompute

    os.environ.update(DVC_NO_ANALYTICS="1", ITERATIVE_DO_NOT_TRACK="1")
    cand = open_candidate(repo, None)
    model = load_policy("employment", cand, None).model
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        done = recompute(cand, model, read_dvc_yaml(cand.read), read_lock(cand))
        times.append(time.perf_counter() - start)
        if not done.row.passed:
            raise SystemExit(f"the re-run failed: {done.row.why}")
    return statistics.median(times)


def bootstrap_seconds() -> float:
    import numpy as np

    from mlgate.evaluation.binary import bootstrap_interval

    rng = np.random.default_rng(0)
    label = rng.integers(0, 2, 100_000)
    score = np.clip(label * 0.3 + rng.random(100_000) * 0.7, 0, 1)
    start = time.perf_counter()
    bootstrap_interval("roc_auc", label, score, resamples=1000, level=0.95, seed=1)
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "example"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(repo)], check=True)
        subprocess.run([sys.executable, "-m", "dvc", "repro", "-q"], cwd=repo, env=ENV,
                       check=True)
        status, _ = wall([sys.executable, "-m", "dvc", "status"], repo)
        print(f"dvc status                          {status:.3f} s (median of {RUNS})")
        rerun = recompute_seconds(repo)
        print(f"re-run of the evaluation stages     {rerun:.3f} s (median of {RUNS})")
        for env in ("staging", "production"):
            took, code = wall([sys.executable, "-m", "mlgate", "check", "employment",
                               "--env", env], repo)
            print(f"mlgate check employment --env {env:<10} {took:.3f} s   "
                  f"= dvc status + re-run {took - status - rerun:+.3f} s (target: at most "
                  f"+0.300 s; exit {code})")
    took = bootstrap_seconds()
    print(f"bootstrap roc_auc, 1,000 resamples of 100,000 predictions: {took:.3f} s "
          f"(target: well under 1 s)")


if __name__ == "__main__":
    main()
