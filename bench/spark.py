"""Profile N generated rows three ways and compare: single-process streaming (the local
engine), Spark local[2], and a two-worker standalone cluster on localhost.

Prints, per way: wall time of the profile (the Spark session's start apart), the peak RSS
of the Python driver and of the driver JVM (the Spark session's, with mlgate's driver
defaults), their sum, each against the target (the driver stays under 300 MB whatever the
row count), and whether the profile equals the local engine's (counts, categories,
sketches exactly, moments to 1e-12). In local[2] the tasks run inside the driver JVM; on
the cluster they run in the executors, whose peak is printed apart. Peaks are the
kernel's high-water marks (VmHWM), not samples; each way runs in a fresh process, so
peaks are its own.

    python bench/spark.py --rows 10000000 [--rows 50000000] [--work /tmp/mlgate-bench-spark]
        [--spark-conf KEY=VALUE ...]   (e.g. to measure Spark's own driver defaults)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FILE_ROWS = 1_000_000
TARGET_MB = 300


def generate(directory: Path, rows: int) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    if (directory / "done").exists():
        return
    directory.mkdir(parents=True, exist_ok=True)
    colors = np.array(["red", "green", "blue", "grey", "black"])
    for i, start in enumerate(range(0, rows, FILE_ROWS)):
        n = min(FILE_ROWS, rows - start)
        rng = np.random.default_rng(i)
        x = rng.normal(0.3 if i % 2 else 0.0, 1.0, n)  # a planted shift in every other file
        pq.write_table(pa.table({
            "x": x,
            "z": pa.array(rng.lognormal(0, 1, n), mask=rng.random(n) < 0.05),
            "color": colors[rng.choice(5, n, p=[0.4, 0.3, 0.2, 0.05, 0.05])],
            "code": rng.integers(0, 20, n).astype(np.int32),
            "score": (1 / (1 + np.exp(-x))).round(4),
        }), directory / f"part-{i:04d}.parquet", row_group_size=131_072)
    (directory / "done").write_text("")


def _peak_mb(pid: int) -> float:
    """A process's peak RSS (VmHWM: unlike ru_maxrss, not inherited from the parent)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def _jvm_peaks_mb() -> tuple[float, float]:
    """The driver JVM's peak RSS (launched by PySpark through SparkSubmit), and the
    largest executor's (0 in local mode: the tasks run in the driver JVM)."""
    import psutil

    driver, executor = 0.0, 0.0
    for child in psutil.Process().children(recursive=True):
        try:
            command = " ".join(child.cmdline())
        except psutil.Error:  # a launcher script that has exited since
            continue
        if "org.apache.spark.deploy.SparkSubmit" in command:
            driver = max(driver, _peak_mb(child.pid))
        elif "CoarseGrainedExecutorBackend" in command:
            executor = max(executor, _peak_mb(child.pid))
    return driver, executor


def _executors_up(session: Any, executors: int) -> None:
    """Waits until ``executors`` executors registered, without running a job: a job would
    load classes into the driver JVM that the profile alone does not need."""
    status = session.sparkContext._jsc.sc()
    while status.getExecutorMemoryStatus().size() < executors + 1:  # and the driver's
        time.sleep(0.2)


def run(way: str, data: Path, out: Path, work: Path, spark_conf: list[str]) -> None:
    """One way, in this process; prints a JSON line."""
    from mlgate.monitor.codec import dumps

    files = sorted(str(p) for p in data.glob("*.parquet"))
    start = time.perf_counter()
    jvm, executor = 0.0, 0.0
    startup = 0.0
    if way == "local":
        from mlgate.monitor.reader import profile_files

        profile = profile_files(files, categorical=["code"], score_column="score")
    else:
        from mlgate.monitor.spark import profile_dataframe
        from mlgate.monitor.spark.session import spark_session

        conf = list(spark_conf)
        if way == "cluster":
            from tests.support.sparkcluster import standalone_cluster

            cluster = standalone_cluster(work / "cluster")
            master = cluster.__enter__()
            conf += ["spark.driver.host=127.0.0.1", "spark.executor.memory=768m"]
        else:
            master = "local[2]"
        start = time.perf_counter()  # the cluster's own start is not the profile's time
        with spark_session(master, conf) as session:
            _executors_up(session, 2 if way == "cluster" else 0)
            startup = time.perf_counter() - start
            start = time.perf_counter()
            profile = profile_dataframe(session.read.parquet(*files), categorical=["code"],
                                        score_column="score")
            jvm, executor = _jvm_peaks_mb()
        if way == "cluster":
            cluster.__exit__(None, None, None)
    seconds = time.perf_counter() - start
    out.write_text(dumps(profile))
    print(json.dumps({"way": way, "seconds": seconds, "rows": profile.rows, "startup": startup,
                      "driver_mb": _peak_mb(os.getpid()),
                      "jvm_mb": jvm, "executor_mb": executor}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, action="append")
    parser.add_argument("--work", type=Path, default=Path("/tmp/mlgate-bench-spark"))
    parser.add_argument("--ways", default="local,spark,cluster")
    parser.add_argument("--spark-conf", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--run", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        run(args.run, args.data, args.out, args.work, args.spark_conf)
        return
    from mlgate.monitor.codec import read_profile
    from tests.monitor.spark.compare import assert_same_profile

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT / "src"), str(ROOT), os.environ.get("PYTHONPATH", "")])}
    for rows in args.rows or [10_000_000]:
        data = args.work / f"rows-{rows}"
        generate(data, rows)
        results = {}
        for way in args.ways.split(","):
            out = args.work / f"profile-{rows}-{way}.json"
            done = subprocess.run([sys.executable, __file__, "--run", way, "--data", str(data),
                                   "--out", str(out), "--work", str(args.work),
                                   *(a for c in args.spark_conf for a in ("--spark-conf", c))],
                                  env=env, capture_output=True, text=True, check=False)
            if done.returncode:
                print(f"{way}: failed\n{done.stderr[-3000:]}")
                continue
            results[way] = json.loads(done.stdout.strip().splitlines()[-1])
            equal = "reference"
            if way != "local" and "local" in results:
                try:
                    assert_same_profile(read_profile(out), read_profile(
                        args.work / f"profile-{rows}-local.json"))
                    equal = "equal"
                except AssertionError as error:
                    equal = f"DIFFERENT: {error}"
            r = results[way]
            ratio = r["seconds"] / results["local"]["seconds"] if "local" in results else 0
            print(f"{rows:>11,} rows {way:8} {r['seconds']:7.1f} s (x{ratio:.2f} of local; "
                  f"+{r['startup']:.0f} s to start Spark)  {_memory(r)}  profile {equal}",
                  flush=True)


def _memory(r: dict[str, float]) -> str:
    """Each driver peak against the target, their sum, and the executors' apart."""
    def mb(value: float) -> str:
        return f"{value:.0f} MB (x{value / TARGET_MB:.2f} of {TARGET_MB})"

    python, jvm = r["driver_mb"], r["jvm_mb"]
    if not jvm:
        return f"python peak {mb(python)}"
    text = f"python peak {mb(python)}  driver jvm peak {mb(jvm)}  sum {mb(python + jvm)}"
    return text + (f"  executor peak {r['executor_mb']:.0f} MB" if r["executor_mb"] else "")


if __name__ == "__main__":
    main()
