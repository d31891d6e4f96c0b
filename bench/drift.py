"""Drift monitoring speed and memory, against a straightforward reference in the same run.

Run from the repository root (PYTHONPATH=src, or after installing mlgate):

    .venv/bin/python bench/drift.py                           # 1M rows, in memory
    .venv/bin/python bench/drift.py --rows 10000000 --stream  # 10M rows streamed from Parquet

In memory: 20 numeric and 5 categorical columns with planted shifts, seeded. mlgate
profiles the reference, profiles the current batch and compares the profiles; the
reference implementation computes, per column from the raw reference data, decile PSI
and scipy's ks_2samp (numeric), chi-square (chi2_contingency) and PSI (categorical).
Target: mlgate at least 5x faster.

Streaming: writes a Parquet file chunk by chunk into a temp dir (the features, a row id,
a score and a label, as production logs them), then in a child process does what `mlgate
monitor` does with it (so ru_maxrss is that alone): reads it batch by batch, profiles it
like the reference, keeps score, label and id, compares, computes the production AUC;
as the reference, another child reads the whole file at once and does the same.
Target: streaming peak RSS under 1 GB.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from mlgate.monitor import compare, profile_table  # noqa: E402

N_NUMERIC, N_CATEGORICAL = 20, 5
CHUNK_ROWS = 500_000
# numeric columns 0-3: mean +0.5 sd; 4-6: spread x1.5; 7-9: mean +0.02 sd; the rest unchanged
SHIFT_SD = {0: 0.5, 1: 0.5, 2: 0.5, 3: 0.5, 7: 0.02, 8: 0.02, 9: 0.02}
SCALE = {4: 1.5, 5: 1.5, 6: 1.5}
PLANTED_NUMERIC = {f"num_{i:02d}" for i in range(7)}
# categorical: cat_0 mix moved by 10 points; cat_1 by 1 point; cat_2 gains a new 3% category
PLANTED_CATEGORICAL = {"cat_0", "cat_2"}
CATEGORY_COUNTS = (4, 8, 12, 25, 50)


def _draw(rng: np.random.Generator, i: int, n: int) -> np.ndarray:
    kind = i % 5
    if kind == 0:
        return rng.normal(100.0, 15.0, n)
    if kind == 1:
        return rng.lognormal(0.0, 0.8, n)
    if kind == 2:
        return rng.uniform(-1.0, 1.0, n)
    if kind == 3:
        return rng.exponential(2.0, n)
    return rng.standard_t(5, n)


def _shares(j: int, shifted: bool) -> np.ndarray:
    k = CATEGORY_COUNTS[j]
    shares = np.linspace(2.0, 1.0, k)
    shares /= shares.sum()
    if shifted and j == 0:
        shares[0] -= 0.10
        shares[-1] += 0.10
    if shifted and j == 1:
        shares[0] -= 0.01
        shares[-1] += 0.01
    if shifted and j == 2:
        shares = np.append(shares * 0.97, 0.03)
    return shares


def make_columns(seed: int, n: int, shifted: bool) -> dict[str, np.ndarray]:
    """Raw columns; ``shifted`` plants the drifts above (location/scale from the
    reference's population parameters, estimated on a fixed seed)."""
    rng = np.random.default_rng(seed)
    columns: dict[str, np.ndarray] = {}
    for i in range(N_NUMERIC):
        values = _draw(rng, i, n)
        if shifted and (i in SHIFT_SD or i in SCALE):
            calib = _draw(np.random.default_rng(10_000 + i), i, 200_000)
            mean, sd = calib.mean(), calib.std()
            values = (values - mean) * SCALE.get(i, 1.0) + mean + SHIFT_SD.get(i, 0.0) * sd
        if i in (2, 11):
            values[rng.random(n) < 0.02] = np.nan
        columns[f"num_{i:02d}"] = values
    for j in range(N_CATEGORICAL):
        shares = _shares(j, shifted)
        names = np.array([f"c{j}_{v:03d}" for v in range(shares.size)])
        columns[f"cat_{j}"] = names[rng.choice(shares.size, n, p=shares)]
    return columns


def to_table(columns: dict[str, np.ndarray]) -> pa.Table:
    return pa.table(
        {
            name: pa.array(values, from_pandas=values.dtype.kind == "f")
            for name, values in columns.items()
        }
    )


def _psi(ref: np.ndarray, cur: np.ndarray, eps: float = 1e-4) -> float:
    r = np.maximum(ref / ref.sum(), eps)
    c = np.maximum(cur / cur.sum(), eps)
    return float(np.sum((c - r) * np.log(c / r)))


def reference_drift(ref: dict[str, np.ndarray], cur: dict[str, np.ndarray]) -> dict[str, float]:
    """The straightforward way: per column, from the raw reference data."""
    from scipy import stats  # type: ignore[import-untyped]  # not loaded by the children

    results: dict[str, float] = {}
    for name, ref_values in ref.items():
        cur_values = cur[name]
        if ref_values.dtype.kind == "f":
            r = ref_values[~np.isnan(ref_values)]
            c = cur_values[~np.isnan(cur_values)]
            edges = np.quantile(r, np.linspace(0, 1, 11))
            edges[0], edges[-1] = -np.inf, np.inf
            psi = _psi(np.histogram(r, edges)[0], np.histogram(c, edges)[0])
            results[name] = stats.ks_2samp(r, c).pvalue
            results[name + ":psi"] = psi
        else:
            ref_cats, ref_counts = np.unique(ref_values, return_counts=True)
            cur_cats, cur_counts = np.unique(cur_values, return_counts=True)
            union = np.union1d(ref_cats, cur_cats)
            table = np.zeros((2, union.size))
            table[0, np.searchsorted(union, ref_cats)] = ref_counts
            table[1, np.searchsorted(union, cur_cats)] = cur_counts
            results[name] = stats.chi2_contingency(table).pvalue
            results[name + ":psi"] = _psi(table[0], table[1])
    return results


def in_memory(rows: int, repeat: int) -> None:
    print(f"rows per batch          {rows:,} ({N_NUMERIC} numeric + {N_CATEGORICAL} categorical)")
    ref_cols, cur_cols = make_columns(1, rows, False), make_columns(2, rows, True)
    ref_table, cur_table = to_table(ref_cols), to_table(cur_cols)

    mlgate_times = []
    for _ in range(repeat):
        start = time.perf_counter()
        report = compare(profile_table(ref_table), profile_table(cur_table))
        mlgate_times.append(time.perf_counter() - start)
    mlgate_time = min(mlgate_times)

    reference_times = []
    for _ in range(repeat):
        start = time.perf_counter()
        baseline = reference_drift(ref_cols, cur_cols)
        reference_times.append(time.perf_counter() - start)
    reference_time = min(reference_times)

    alerts = {f.column for f in report.features if f.level == "alert"}
    warns = {f.column for f in report.features if f.level == "warn"}
    planted = PLANTED_NUMERIC | PLANTED_CATEGORICAL
    ks_flagged = {n for n, p in baseline.items() if ":" not in n and p < 0.01}
    print(
        f"mlgate                  {mlgate_time:.3f} s (profile reference + current, compare;"
        f" best of {repeat})"
    )
    print(
        f"reference (numpy/scipy) {reference_time:.3f} s (decile PSI + ks_2samp;"
        f" chi2_contingency + PSI; best of {repeat})"
    )
    print(f"speed-up                {reference_time / mlgate_time:.1f}x (target >= 5x)")
    print(f"planted alerts          {len(planted)}: {', '.join(sorted(planted))}")
    print(f"mlgate alerts           {len(alerts)}: {', '.join(sorted(alerts))}")
    print(f"mlgate warnings         {len(warns)}: {', '.join(sorted(warns)) or '-'}")
    print(f"mlgate verdict          {report.verdict()}")
    print(f"p < 0.01 in reference   {len(ks_flagged)} (includes the 0.02-sd and 1-point shifts)")


def logged(seed: int, n: int, first_id: int, shifted: bool) -> pa.Table:
    """A batch as production logs it: the features, a row id, the model's score and the
    label (what `mlgate monitor` reads and keeps)."""
    columns = make_columns(seed, n, shifted)
    rng = np.random.default_rng(seed + 50_000)
    label = (rng.random(n) < 0.4).astype(np.int64)
    columns["id"] = np.arange(first_id, first_id + n, dtype=np.int64)
    columns["score"] = np.clip(0.35 * label + 0.65 * rng.random(n), 0.0, 1.0)
    columns["label"] = label
    return to_table(columns)


def write_parquet(path: Path, rows: int) -> None:
    schema = logged(2, 1, 0, True).schema
    with pq.ParquetWriter(path, schema) as writer:
        for index, start in enumerate(range(0, rows, CHUNK_ROWS)):
            n = min(CHUNK_ROWS, rows - start)
            writer.write_table(logged(100 + index, n, start, True), row_group_size=n)


def profile_child(path: str, mode: str) -> None:
    """Runs in a child process: what `mlgate monitor` does with the file (profile it like
    the reference, keep score, label and id, compare, the production AUC), streaming or
    from the whole file read at once; reports time and own peak RSS as JSON."""
    from mlgate.evaluation.binary import metric_value
    from mlgate.monitor.batch import scan_batches

    reference = profile_table(logged(1, 200_000, 0, False), score_column="score",
                              columns=[c for c in logged(1, 1, 0, False).column_names
                                       if c not in ("id", "label")])
    start = time.perf_counter()
    if mode == "stream":
        scan = scan_batches([path], reference=reference, ignore=("id", "label"),
                            label="label", id_column="id")
        profile, score, label = scan.profile, scan.score, scan.label
    else:
        table = pq.read_table(path)
        profile = profile_table(table, score_column="score",
                                columns=[c for c in table.column_names
                                         if c not in ("id", "label")])
        score = table.column("score").to_numpy()
        label = table.column("label").to_numpy().astype(float)
    compare(reference, profile)
    auc, _ = metric_value("roc_auc", label, score)
    elapsed = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": elapsed, "peak_mib": peak_kib / 1024, "rows": profile.rows,
                      "auc": auc}))


def run_child(path: Path, mode: str) -> dict[str, float]:
    argv = [sys.executable, __file__, "--profile-child", str(path), "--mode", mode]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    return json.loads(out)  # type: ignore[no-any-return]


def streaming(rows: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "current.parquet"
        start = time.perf_counter()
        write_parquet(path, rows)
        print(
            f"rows in file            {rows:,} ({N_NUMERIC} numeric, {N_CATEGORICAL} categorical)"
        )
        print(
            f"parquet size            {path.stat().st_size / 2**20:.0f} MiB"
            f" (written in {time.perf_counter() - start:.1f} s)"
        )
        streamed = run_child(path, "stream")
        whole = run_child(path, "whole")
    assert streamed["rows"] == whole["rows"] == rows
    print(
        f"mlgate streaming        {streamed['seconds']:.2f} s,"
        f" {rows / streamed['seconds'] / 1e6:.1f} M rows/s"
    )
    print(f"mlgate peak RSS         {streamed['peak_mib']:.0f} MiB (target < 1024 MiB)")
    print(f"reference (read whole)  {whole['seconds']:.2f} s, peak RSS {whole['peak_mib']:.0f} MiB")
    memory_ratio = whole["peak_mib"] / streamed["peak_mib"]
    print(f"memory ratio            {memory_ratio:.1f}x less when streaming")
    print(
        f"time ratio              {streamed['seconds'] / whole['seconds']:.2f}x the whole-file time"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--stream", action="store_true", help="write Parquet, profile streaming")
    parser.add_argument("--repeat", type=int, default=3, help="mlgate runs (best is shown)")
    parser.add_argument("--profile-child", help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="stream", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.profile_child:
        profile_child(args.profile_child, args.mode)
    elif args.stream:
        streaming(args.rows)
    else:
        in_memory(args.rows, args.repeat)


if __name__ == "__main__":
    main()
