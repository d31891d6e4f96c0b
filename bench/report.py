"""`mlgate report --base main` wall time next to `dvc metrics diff main` + `dvc params diff
main`, run separately on the same repository in the same run.

Clones this repository into a temp dir, reproduces the example, then on a branch changes
one param (`train.learning_rate`), reproduces and commits, as a pull request would. The
three commands then run in turn, RUNS times, and the medians are compared.
Target (issue 6): `mlgate report` no slower than the two DVC commands together, although
it also runs `dvc status` and evaluates the production gates (a 1,000-resample bootstrap,
slices), reads the registry and the data dependencies.

Run from the repository root: `.venv/bin/python bench/report.py`.
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
RUNS = 7
ENV = {**os.environ, "DVC_NO_ANALYTICS": "1", "ITERATIVE_DO_NOT_TRACK": "1",
       "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
COMMANDS = {
    "mlgate report --base main": [sys.executable, "-m", "mlgate", "report", "--base", "main"],
    "dvc metrics diff main": [sys.executable, "-m", "dvc", "metrics", "diff", "main"],
    "dvc params diff main": [sys.executable, "-m", "dvc", "params", "diff", "main"],
}


def run(argv: list[str], cwd: Path) -> None:
    subprocess.run(argv, cwd=cwd, env=ENV, check=True, stdout=subprocess.DEVNULL)


def prepare(repo: Path) -> None:
    run(["git", "clone", "-q", str(ROOT), str(repo)], ROOT)
    run(["git", "checkout", "-q", "-B", "main"], repo)
    run([sys.executable, "-m", "dvc", "repro", "-q"], repo)
    run(["git", "commit", "-q", "--allow-empty", "-am", "reproduced"], repo)
    run(["git", "checkout", "-q", "-b", "slower-learning"], repo)
    params = repo / "params.yaml"
    text = params.read_text()
    params.write_text(text.replace("learning_rate: 0.1 ", "learning_rate: 0.05", 1))
    if params.read_text() == text:
        raise SystemExit("bench: params.yaml has no `learning_rate: 0.1` to change")
    run([sys.executable, "-m", "dvc", "repro", "-q"], repo)
    run(["git", "commit", "-q", "-am", "learning rate 0.05"], repo)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "example"
        prepare(repo)
        times: dict[str, list[float]] = {name: [] for name in COMMANDS}
        for _ in range(RUNS):  # interleaved, so that a busy moment hurts all three alike
            for name, argv in COMMANDS.items():
                start = time.perf_counter()
                subprocess.run(argv, cwd=repo, env=ENV, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, check=False)
                times[name].append(time.perf_counter() - start)
    median = {name: statistics.median(found) for name, found in times.items()}
    for name, took in median.items():
        spread = f"{min(times[name]):.3f}-{max(times[name]):.3f}"
        print(f"{name:<28} {took:.3f} s (median of {RUNS}; range {spread} s)")
    dvc_both = median["dvc metrics diff main"] + median["dvc params diff main"]
    ours = median["mlgate report --base main"]
    print(f"{'dvc metrics + params diff':<28} {dvc_both:.3f} s")
    print(f"mlgate report / (dvc metrics diff + dvc params diff) = {ours / dvc_both:.2f} "
          f"(target: at most 1.00)")


if __name__ == "__main__":
    main()
