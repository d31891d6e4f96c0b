"""Generated tables for the Spark tests: numbers with nulls, NaN and infinities, strings,
integers read as categories, booleans, and a score; ``shift`` and ``recode`` plant
changes (a moved mean, a new category)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


def table(rows: int, seed: int, shift: float = 0.0, recode: bool = False) -> pa.Table:
    rng = np.random.default_rng(seed)
    x = rng.normal(shift, 1.0, rows)
    z = rng.lognormal(0.0, 2.0, rows) * rng.choice([-1.0, 1.0], rows)
    z[rng.random(rows) < 0.02] = np.nan
    z[rng.random(rows) < 0.001] = np.inf
    z[rng.random(rows) < 0.01] = 0.0
    colors = np.array(["red", "green", "blue", "grey"])
    color = colors[rng.choice(4, rows, p=[0.4, 0.3, 0.2, 0.1])].astype(object)
    if recode:
        color[rng.random(rows) < 0.2] = "purple"
    color[rng.random(rows) < 0.03] = None
    score = 1 / (1 + np.exp(-(1.5 * x)))
    y = (rng.random(rows) < score).astype(np.int64)
    return pa.table({
        "id": pa.array(np.arange(seed * 1_000_000, seed * 1_000_000 + rows)),
        "x": pa.array(x),
        "z": pa.array(z, mask=rng.random(rows) < 0.05),
        "color": pa.array(color, type=pa.string()),
        "code": pa.array(rng.integers(0, 7, rows), type=pa.int32()),
        "flag": pa.array(rng.random(rows) < 0.3),
        "y": pa.array(y),
        "score": pa.array(score.round(4)),
    })


def write(directory: Path, parts: list[pa.Table], row_group: int = 5_000) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, part in enumerate(parts):
        path = directory / f"part-{i}.parquet"
        pq.write_table(part, path, row_group_size=row_group)
        paths.append(path)
    return paths
