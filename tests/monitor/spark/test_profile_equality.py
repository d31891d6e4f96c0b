"""The Spark engine's profile equals the local engine's on the same rows: on the example's
data and on generated data with planted shifts, over several partitions per file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from mlgate.monitor.drift import compare
from mlgate.monitor.reader import profile_files
from mlgate.monitor.spark import profile_dataframe, quiet_pandas
from tests.monitor.spark.compare import assert_same_profile
from tests.monitor.spark.data import table, write

pytestmark = pytest.mark.spark

EXAMPLE = Path(__file__).parents[3] / "data" / "source"


def test_example_data_profiles_alike(spark: Any) -> None:
    files = sorted(EXAMPLE.glob("acs_employment_ma_201[56].parquet"))
    df = spark.read.parquet(*map(str, files))
    assert df.rdd.getNumPartitions() > 2  # the merge across partitions is exercised
    ours = profile_dataframe(df, columns=[c for c in df.columns if c != "id"],
                             score_column="employed")
    theirs = profile_files(files, columns=[c for c in df.columns if c != "id"],
                           score_column="employed")
    assert ours.rows == theirs.rows > 100_000
    assert_same_profile(ours, theirs)


@pytest.mark.parametrize(("shift", "recode"), [(0.0, False), (0.5, True)])
def test_generated_data_with_planted_shifts_profiles_alike(spark: Any, tmp_path: Path,
                                                           shift: float, recode: bool) -> None:
    reference_files = write(tmp_path / "ref", [table(30_000, 1), table(20_000, 2)])
    current_files = write(tmp_path / "cur", [table(25_000, 3, shift, recode),
                                             table(100, 4, shift, recode)])
    options: dict[str, Any] = {"categorical": ["code"], "score_column": "score"}
    reference = profile_files(reference_files, **options)
    local = profile_files(current_files, **options)
    ours = profile_dataframe(spark.read.parquet(*map(str, current_files)), **options)
    assert_same_profile(ours, local)
    assert_same_profile(profile_dataframe(spark.read.parquet(*map(str, reference_files)),
                                          **options), reference)
    # the drift statistics computed from either are the same
    a, b = compare(reference, ours), compare(reference, local)
    assert [(f.column, f.level) for f in a.features] == [(f.column, f.level) for f in b.features]
    for x, y in zip(a.features, b.features, strict=True):
        assert [s.value for s in x.statistics] == pytest.approx([s.value for s in y.statistics],
                                                                rel=1e-9, abs=1e-12)
    levels = {f.column: f.level for f in a.features}
    if shift:
        assert levels["x"] != "ok" and levels["color"] != "ok"
    else:
        assert (levels["x"], levels["color"]) == ("ok", "ok")


def test_a_spark_dataframe_from_memory_and_an_empty_one(spark: Any, tmp_path: Path) -> None:
    """Any DataFrame, not only files: here one made in the session; and a filter that
    leaves no row gives the profile of no rows, with the schema."""
    data = table(3_000, 7)
    with quiet_pandas():  # PySpark checks the pandas version on the way
        df = spark.createDataFrame(data).repartition(3)
    ours = profile_dataframe(df.select("x", "color", "code", "y"), categorical=["code"])
    local = profile_files(write(tmp_path, [data.select(["x", "color", "code", "y"])]),
                          categorical=["code"])
    assert_same_profile(ours, local)
    empty = profile_dataframe(df.where("x > 1000").select("x", "color"))
    assert empty.rows == 0 and empty.schema == (("x", "double"), ("color", "string"))
    assert empty.columns["x"].count == 0 and empty.columns["color"].count == 0


def test_large_string_batches_profile_as_plain_strings(spark: Any) -> None:
    from mlgate.monitor.spark.partitions import plain

    batch = pa.RecordBatch.from_pydict({"s": pa.array(["a", None], pa.large_string())})
    assert plain(batch).schema.field("s").type == pa.string()
