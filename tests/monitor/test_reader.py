from __future__ import annotations

import gzip
import itertools
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

from mlgate.errors import MlgateError
from mlgate.monitor import (
    CategoricalSummary,
    expand_paths,
    iter_batches,
    profile_files,
    profile_table,
)
from tests.support.monitor import assert_same_profile


def _table(n: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, n)
    x[rng.random(n) < 0.05] = np.nan
    city = rng.choice(np.array(["Lyon", "Paris", "Nice"]), n)
    return pa.table(
        {
            "x": pa.array(x, from_pandas=True),
            "count": pa.array(rng.integers(-5, 50, n)),
            "city": pa.array(city, pa.string()),
            "score": pa.array(rng.random(n)),
        }
    )


def _write_parts(table: pa.Table, directory: Path, suffix: str, parts: int) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    bounds = np.linspace(0, table.num_rows, parts + 1).astype(int)
    for i, (start, stop) in enumerate(itertools.pairwise(bounds)):
        part = table.slice(start, stop - start)
        path = directory / f"part-{i:02d}{suffix}"
        if suffix == ".parquet":
            pq.write_table(part, path, row_group_size=700)
        elif suffix == ".csv":
            pcsv.write_csv(part, path)
        else:
            with gzip.open(path, "wb") as handle:
                pcsv.write_csv(part, handle)
        paths.append(path)
    return paths


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".csv.gz"])
def test_streaming_many_files_equals_profiling_the_whole_table(tmp_path: Path, suffix: str) -> None:
    table = _table(9_000, seed=1)
    _write_parts(table, tmp_path / "batch", suffix, parts=4)
    streamed = profile_files(
        str(tmp_path / "batch" / f"*{suffix}"), score_column="score", batch_rows=1_000
    )
    assert_same_profile(streamed, profile_table(table, score_column="score"))


def test_directory_source_and_column_subset(tmp_path: Path) -> None:
    table = _table(3_000, seed=2)
    _write_parts(table, tmp_path / "data" / "a", ".parquet", parts=2)
    _write_parts(table, tmp_path / "data" / "b", ".csv", parts=2)
    streamed = profile_files(tmp_path / "data", columns=["city"], score_column="score")
    assert streamed.rows == 6_000
    assert [name for name, _ in streamed.schema] == ["city", "score"]
    city = streamed.columns["city"]
    assert isinstance(city, CategoricalSummary)
    assert city.count == 6_000


def test_csv_categorical_columns_are_read_as_strings(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("zip,amount\n007,1.5\n010,\n,3\n007,NA\n")
    profile = profile_files(tmp_path / "a.csv", categorical=["zip"])
    assert profile.types == {"zip": "string", "amount": "double"}
    assert profile.columns["zip"] == CategoricalSummary(1, {"007": 2, "010": 1})
    assert profile.columns["amount"].null_count == 2


def test_csv_type_inferred_differently_per_file_is_widened(tmp_path: Path) -> None:
    (tmp_path / "1.csv").write_text("v\n1\n2\n")
    (tmp_path / "2.csv").write_text("v\n2.5\n")
    (tmp_path / "3.csv").write_text("v\nNA\n")  # all null: arrow type "null"
    profile = profile_files(sorted(tmp_path.glob("*.csv")))
    assert profile.types == {"v": "double"}
    assert (profile.columns["v"].count, profile.columns["v"].null_count) == (3, 1)


def test_empty_parquet_file_still_contributes_its_schema(tmp_path: Path) -> None:
    pq.write_table(pa.table({"x": pa.array([], pa.float64())}), tmp_path / "empty.parquet")
    batches = list(iter_batches(tmp_path / "empty.parquet"))
    assert [b.num_rows for b in batches] == [0]
    profile = profile_files(tmp_path / "empty.parquet")
    assert (profile.rows, profile.types) == (0, {"x": "double"})


def test_expand_paths_dedups_and_sorts(tmp_path: Path) -> None:
    for name in ("b.parquet", "a.parquet", "notes.txt"):
        (tmp_path / name).write_text("")
    found = expand_paths([str(tmp_path / "*.parquet"), tmp_path / "a.parquet"])
    assert found == [tmp_path / "a.parquet", tmp_path / "b.parquet"]


@pytest.mark.parametrize(
    ("source", "rendered"),
    [
        (
            "nothing-*.parquet",
            "no file matches 'nothing-*.parquet'\n  hint: check the pattern and the cwd",
        ),
        (
            "missing.parquet",
            "missing.parquet: no such file or directory\n"
            "  hint: relative paths are read from the current directory",
        ),
        (
            "notes.txt",
            "notes.txt: cannot tell the file format from the name\n"
            "  hint: use a .parquet or .csv suffix, or pass the format explicitly",
        ),
        (
            "bad.csv",
            "bad.csv: column(s) not in the table: score\n  hint: the table has: a",
        ),
    ],
)
def test_user_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, rendered: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("a\n1\n")
    (tmp_path / "bad.csv").write_text("a\n1\n")
    with pytest.raises(MlgateError) as raised:
        profile_files(source, score_column="score" if source == "bad.csv" else None)
    assert raised.value.render() == rendered


def test_missing_parquet_column_is_an_error(tmp_path: Path) -> None:
    """Arrow reads a Parquet file without a requested column silently; mlgate does not."""
    pq.write_table(pa.table({"a": [1], "b": [2]}), tmp_path / "t.parquet")
    with pytest.raises(MlgateError) as raised:
        profile_files(tmp_path / "t.parquet", columns=["a", "c"])
    assert raised.value.render() == (
        f"{tmp_path / 't.parquet'}: column(s) not in the file: c\n  hint: the file has: a, b")
