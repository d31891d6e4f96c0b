"""mlgate's own overhead around the two scoring runs of an independent evaluation.

Run from the repository root: `.venv/bin/python bench/evaluate_overhead.py [--rows N]`.

Builds a real git + DVC repository in a temp dir with a DVC-tracked holdout (100,000 rows
by default: id, two features, a slice column, the label) and a scorer script, then times
:func:`mlgate.gates.independent.score_models` for a candidate and an incumbent (pin-free:
the holdout read from the DVC cache, the label taken out, the features written, a
temporary worktree of the commit made and removed, two scorer runs, both score files read,
checked and aligned, every metric and each slice's computed) and, separately, the same
scorer command run twice by itself on the same files. The overhead is the difference.
Target (the issue "Independent evaluation"): under 0.5 s. Median of 5 runs each.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from mlgate.evaluation.pinned import pin  # noqa: E402
from mlgate.gates import independent  # noqa: E402
from mlgate.plumbing import git  # noqa: E402

TARGET = 0.5
RUNS = 5
SCORER = '''import csv, sys
args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
with open(args["--data"]) as fh, open(args["--out"], "w") as out:
    out.write("id,score\\n")
    rows = csv.reader(fh)
    header = next(rows)
    i, x = header.index("id"), header.index("x")
    out.writelines(f"{r[i]},{min(max(0.5 + float(r[x]) / 8, 0), 1):.6f}\\n" for r in rows)
'''
DECLARATION = """name: bench
description: bench
owner: {{name: b, email: b@example.com}}
risk_tier: low
intended_use: bench
review: {{last_validated: "2026-01-01", interval_days: 365}}
artifact: model.bin
metrics: {{files: [metrics.json]}}
evaluation:
  task: binary
  holdout: holdout.csv
  label: label
  id: id
  slices: [g]
  score: python score.py --model {{artifact}} --data {{features}} --out {{scores}}
promotion:
  environments:
    - name: production
"""


def sh(*argv: str, cwd: Path) -> None:
    subprocess.run(argv, cwd=cwd, check=True, capture_output=True,
                   env={**os.environ, "DVC_NO_ANALYTICS": "1"})


def build(work: Path, rows: int) -> Path:
    import numpy as np

    repo = work / "repo"
    repo.mkdir()
    rng = np.random.default_rng(0)
    x = rng.normal(size=rows)
    label = ((x + rng.normal(scale=1.0, size=rows)) > 0).astype(int)
    lines = ["id,x,z,g,label"] + [f"{i},{x[i]:.5f},{i % 7},{'ab'[i % 2]},{label[i]}"
                                  for i in range(rows)]
    (repo / "holdout.csv").write_text("\n".join(lines) + "\n")
    (repo / "score.py").write_text(SCORER)
    (repo / "pipelines").mkdir()
    (repo / "pipelines" / "bench.yaml").write_text(DECLARATION.format())
    sh("git", "init", "-q", "-b", "main", cwd=repo)
    sh(sys.executable, "-m", "dvc", "init", "-q", cwd=repo)
    sh(sys.executable, "-m", "dvc", "add", "-q", "holdout.csv", cwd=repo)
    sh("git", "add", "-A", cwd=repo)
    sh("git", "-c", "user.name=b", "-c", "user.email=b@example.com", "commit", "-q", "-m",
       "bench", cwd=repo)
    return repo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    rows = parser.parse_args().rows
    with tempfile.TemporaryDirectory(prefix="mlgate-bench-") as tmp:
        work = Path(tmp)
        repo = build(work, rows)
        ref = git.resolve_ref("refs/heads/main", cwd=repo)
        pinned = pin(repo, "bench", ref)
        assert pinned is not None
        models = []
        for name in ("candidate", "incumbent"):
            path = work / f"{name}.bin"
            path.write_bytes(name.encode())
            models.append(path)
        features = work / "features.csv"
        subprocess.run(["cut", "-d,", "-f1-4", str(repo / "holdout.csv")], check=True,
                       stdout=features.open("w"))
        totals, alone, split = [], [], []
        for _ in range(RUNS):
            start = time.perf_counter()
            found = independent.score_models(
                repo, pinned, ("c" * 32, models[0], "the candidate"),
                {"production": ("v1.0.0", "i" * 32, models[1])})
            totals.append(time.perf_counter() - start)
            split.append(found.seconds)
            start = time.perf_counter()
            for model in models:
                subprocess.run([sys.executable, "score.py", "--model", str(model), "--data",
                                str(features), "--out", str(work / "alone.csv")],
                               cwd=repo, check=True)
            alone.append(time.perf_counter() - start)
    total, scorer = statistics.median(totals), statistics.median(alone)
    overhead = total - scorer
    parts = {k: statistics.median(s[k] for s in split) for k in split[0]}
    print(f"holdout rows:                       {rows:,}")
    print(f"evaluation, candidate + incumbent:  {total:.3f} s "
          f"(holdout {parts['prepare']:.3f} s, scoring {parts['score']:.3f} s, "
          f"metrics {parts['metrics']:.3f} s)")
    print(f"the scorer run twice by itself:     {scorer:.3f} s")
    print(f"mlgate's overhead:                  {overhead:.3f} s "
          f"(target < {TARGET} s: {overhead / TARGET:.2f}x the target)")


if __name__ == "__main__":
    main()
