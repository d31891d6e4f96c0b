"""`mlgate profile`: a reference profile of data files, written whole or not at all."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlgate.monitor import dumps, profile_files, read_profile


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    for day in (1, 2):
        pq.write_table(pa.table({
            "id": [day * 10 + i for i in range(4)],
            "age": [30.0 + day, 40.0, None, 50.0],
            "code": [1, 2, 2, day],
            "city": ["Paris", "Lyon", None, "Paris"],
            "label": [0, 1, 1, 0],
            "score": [0.1, 0.8, 0.7, 0.3],
        }), folder / f"day-{day}.parquet")
    (folder / "day-3.csv").write_text("id,age,code,city,label,score\n31,33.0,007,Nice,1,0.9\n")
    return folder


def test_profile_writes_what_the_library_computes(data: Path, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "ref" / "profile.json"
    result = cli("profile", str(data / "day-*.parquet"), "--out", str(out), "--score-column",
                 "score", "--exclude", "id,label", "--categorical", "code", cwd=tmp_path)
    assert result.code == 0, result.err
    expected = profile_files(data / "day-*.parquet", columns=["age", "code", "city", "score"],
                             categorical=["code"], score_column="score")
    assert out.read_text() == dumps(expected) + "\n"
    profile = read_profile(out)
    assert [name for name, _ in profile.schema] == ["age", "code", "city", "score"]
    assert (profile.rows, profile.score_column, profile.columns["code"].kind) == (
        8, "score", "categorical")
    assert result.out.splitlines()[0] == f"{out}: profile of 8 rows, 4 columns"
    assert [line.split()[0] for line in result.out.splitlines()[3:]] == [
        "age", "code", "city", "score"]


def test_csv_and_json_summary(data: Path, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "p.json"
    result = cli("profile", str(data / "day-3.csv"), "--out", str(out), "--columns",
                 "code,city", "--categorical", "code", "--format", "json", cwd=tmp_path)
    assert result.code == 0, result.err
    assert json.loads(result.out) == {
        "out": str(out), "rows": 1, "files": [str(data / "day-3.csv")], "score_column": None,
        "columns": {"code": "categorical", "city": "categorical"}}
    assert read_profile(out).columns["code"].counts == {"007": 1}  # type: ignore[union-attr]


def test_same_input_same_bytes(data: Path, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """The profile is a DVC output: reproducing the stage must give the same md5."""
    for name in ("a.json", "b.json"):
        cli("profile", str(data), "--out", str(tmp_path / name), "--categorical", "code",
            cwd=tmp_path)
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["missing.parquet"],
         "missing.parquet: no such file or directory\n"
         "  hint: relative paths are read from the current directory\n"),
        (["data/*.feather"],
         "no file matches 'data/*.feather'\n  hint: check the pattern and the cwd\n"),
        (["data/broken.parquet"],
         "data/broken.parquet: cannot read parquet: Parquet magic bytes not found in footer. "
         "Either the file is corrupted or this is not a parquet file.\n"
         "  hint: is it a complete Parquet file? A truncated copy or another format under a "
         ".parquet name reads like this; write it again\n"),
        (["data/day-1.parquet", "--exclude", "nope"],
         "data/day-1.parquet: --exclude names 'nope', which is not a column\n"
         "  hint: the columns are: id, age, code, city, label, score\n"),
        (["data/day-1.parquet", "--columns", "age,nope"],
         "data/day-1.parquet: --columns names 'nope', which is not a column\n"
         "  hint: the columns are: id, age, code, city, label, score\n"),
        (["data/day-1.parquet", "--score-column", "score", "--exclude", "score"],
         "--exclude names the score column 'score'\n"
         "  hint: the score is profiled for prediction drift; keep it\n"),
        (["data/day-1.parquet", "--categorical", ","],
         "argument --categorical: expected column names separated by commas\n"
         "  hint: see `mlgate profile --help`\n"),
    ],
)
def test_bad_input_changes_nothing(  # type: ignore[no-untyped-def]
    data: Path, tmp_path: Path, cli, args: list[str], error: str
) -> None:
    (data / "broken.parquet").write_bytes(b"PAR1 but not really")
    out = tmp_path / "profile.json"
    out.write_text("the previous profile\n")
    result = cli("profile", *args, "--out", str(out), cwd=tmp_path)
    assert (result.code, result.err) == (2, error)
    assert out.read_text() == "the previous profile\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "profile.json"]


def test_out_must_be_json(data: Path, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("profile", str(data), "--out", str(tmp_path / "p.txt"), cwd=tmp_path)
    assert result.code == 2
    assert result.err.endswith("the profile is JSON: give --out a .json file name\n"
                               "  hint: e.g. --out monitoring/reference-profile.json\n")


def test_unwritable_out(data: Path, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "taken").write_text("a file, not a directory")
    result = cli("profile", str(data), "--out", str(tmp_path / "taken" / "p.json"), cwd=tmp_path)
    assert result.code == 2
    assert result.err.startswith(f"{tmp_path / 'taken' / 'p.json'}: cannot write: ")
    assert (tmp_path / "taken").read_text() == "a file, not a directory"
