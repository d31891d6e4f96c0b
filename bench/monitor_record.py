"""What `monitor --record` adds to `mlgate monitor` (issue 19: under 0.5 s).

Builds the monitored scenario (tests/resources/monitored: training data, model, recorded
metrics and reference profile made by real DVC stages), promotes it to production (a
ledger and registry tags, pushed to a bare origin), writes a production batch of 200,000
rows with the scenario's generator, then times, each the median of a few runs in a new
process: `mlgate monitor scored --current BATCH`, the same with `--record` (each run
appends a monitoring record to the local ledger: sha256 of the batch, the record, one
ledger commit, one ref transaction) and with `--record --push` (fetch of the registry
from the origin and one atomic push; on GitHub that is a network round trip); and, in this
process, the recording step alone (`record_monitoring`), which the differences between
whole commands measure with the noise of process start-up and a loaded machine.

Run from the repository root: `.venv/bin/python bench/monitor_record.py [--rows N]`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import compile_mlgate

ROOT = Path(__file__).resolve().parent.parent
TARGET = 0.5
ENV = {**os.environ, "DVC_NO_ANALYTICS": "1", "ITERATIVE_DO_NOT_TRACK": "1",
       "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "Bench", "GIT_COMMITTER_NAME": "Bench",
       "GIT_AUTHOR_EMAIL": "bench@example.com", "GIT_COMMITTER_EMAIL": "bench@example.com",
       "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
for _name in [n for n in ENV if n.startswith("GITHUB_") or n == "MLGATE_FAILPOINT"]:
    del ENV[_name]
MLGATE = [sys.executable, "-m", "mlgate"]


def run(argv: list[str], cwd: Path, ok: tuple[int, ...] = (0,)) -> None:
    proc = subprocess.run(argv, cwd=cwd, env=ENV, capture_output=True, check=False)
    if proc.returncode not in ok:
        raise SystemExit(f"{' '.join(argv[:5])} failed:\n{proc.stdout.decode()[-2000:]}"
                         f"{proc.stderr.decode()[-2000:]}")


def make_repo(where: Path) -> Path:
    work, origin, remote = where / "work", where / "origin.git", where / "dvc-remote"
    shutil.copytree(ROOT / "tests" / "resources" / "monitored", work)
    remote.mkdir()
    run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], where)
    run(["git", "init", "-q", "-b", "main"], work)
    dvc = [sys.executable, "-m", "dvc"]
    run([*dvc, "init", "-q"], work)
    run([*dvc, "config", "core.analytics", "false"], work)
    run([*dvc, "remote", "add", "-d", "local", str(remote)], work)
    run([*dvc, "repro", "-q"], work)
    run([*dvc, "push", "-q"], work)
    run(["git", "add", "-A"], work)
    run(["git", "commit", "-q", "-m", "initial"], work)
    run(["git", "remote", "add", "origin", str(origin)], work)
    run(["git", "push", "-q", "origin", "main"], work)
    run([*MLGATE, "promote", "scored", "--env", "production", "--push"], work)
    return work


def median_wall(argv: list[str], cwd: Path, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run(argv, cwd, ok=(0, 1))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    compile_mlgate()
    with tempfile.TemporaryDirectory(prefix="mlgate-bench-") as scratch:
        work = make_repo(Path(scratch))
        batch = Path(scratch) / "batch.parquet"
        run([sys.executable, "src/make_data.py", "--rows", str(args.rows), "--seed", "2",
             "--out", str(batch)], work)
        size = batch.stat().st_size / 1e6
        print(f"monitored scenario in production; batch of {args.rows:,} rows ({size:.1f} MB)")
        monitor = [*MLGATE, "monitor", "scored", "--env", "production", "--current", str(batch)]
        plain = median_wall(monitor, work, args.runs)
        recorded = median_wall([*monitor, "--record"], work, args.runs)
        pushed = median_wall([*monitor, "--record", "--push"], work, args.runs)
        print(f"  mlgate monitor                    {plain:6.3f} s")
        print(f"  mlgate monitor --record           {recorded:6.3f} s   adds "
              f"{recorded - plain:+.3f} s; target < {TARGET} s")
        print(f"  mlgate monitor --record --push    {pushed:6.3f} s   adds "
              f"{pushed - plain:+.3f} s (local bare origin: fetch + one atomic push)")
        print(f"  recording alone, in-process       {in_process(work, batch, args.runs):6.3f} s"
              f"   (median; target < {TARGET} s): what the differences above measure, "
              "without the noise of two processes")


def in_process(work: Path, batch: Path, runs: int) -> float:
    """`record_monitoring` on one monitoring result: batch sha256, the record, the ledger
    commit and the ref transaction."""
    from datetime import UTC, datetime

    from mlgate.monitor.watch import monitor_model
    from mlgate.promote.monitoring_record import record_monitoring

    os.environ.update({k: v for k, v in ENV.items() if k.startswith("GIT_")})
    result = monitor_model(work, "scored", "production", [str(batch)], (), now=datetime.now(UTC))
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        record_monitoring(work, result, push=False, remote="origin", now=datetime.now(UTC))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


if __name__ == "__main__":
    main()
