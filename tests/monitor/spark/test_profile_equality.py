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


@pytest.mark.parametrize("metric", ["accuracy", "roc_auc", "log_loss"])
def test_the_gap_reduces_to_pair_counts_with_the_local_metric(spark: Any, tmp_path: Path,
                                                              metric: str) -> None:
    """The labels join runs in Spark; the driver gets (score, label) counts (at most four
    for a threshold metric), and the metric from them is the one of every row."""
    from mlgate.evaluation.binary import metric_value
    from mlgate.monitor.batch import Pairs
    from mlgate.monitor.spark.scan import SparkScanner

    parts = [table(20_000, 21), table(5_000, 22)]
    batches = write(tmp_path / "b", [p.drop_columns(["y"]) for p in parts])
    labelled = pa.concat_tables(parts).slice(0, 22_000).select(["id", "y"])
    write(tmp_path / "labels", [labelled])
    reference = profile_files(batches, categorical=["code"], score_column="score")
    scan = SparkScanner(spark)([str(p) for p in batches], reference=reference, ignore=(),
                               label="y", id_column="id",
                               labels=[str(tmp_path / "labels")], metric=metric)
    assert scan.tallied is not None
    pairs = scan.tallied.overall
    assert isinstance(pairs, Pairs)
    assert (pairs.rows, scan.tallied.unlabelled) == (22_000, 3_000)
    if metric == "accuracy":
        assert pairs.score.size <= 4
    rows = pa.concat_tables(parts).slice(0, 22_000)
    expected, _ = metric_value(metric, rows.column("y").to_numpy(), rows.column("score").to_numpy())
    got, _ = pairs.value(metric)
    assert got == pytest.approx(expected, rel=1e-12)
    assert_same_profile(scan.profile, profile_files(batches, categorical=["code"],
                                                    score_column="score"))


def test_repeated_label_ids_are_refused(spark: Any, tmp_path: Path) -> None:
    from mlgate.errors import MlgateError
    from mlgate.monitor.spark.scan import SparkScanner

    data = table(1_000, 31)
    batches = write(tmp_path / "b", [data.drop_columns(["y"])])
    ids = data.select(["id", "y"])
    write(tmp_path / "labels", [pa.concat_tables([ids, ids.slice(0, 3)])])
    reference = profile_files(batches, score_column="score")
    with pytest.raises(MlgateError, match=r"the labels hold 3 repeated id\(s\), e\.g\. 31000000"):
        SparkScanner(spark)([str(p) for p in batches], reference=reference, ignore=(), label="y",
                            id_column="id", labels=[str(tmp_path / "labels")], metric="roc_auc")


def test_nothing_imports_pyspark_without_the_spark_engine(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = ("import sys, mlgate.cli, mlgate.monitor, mlgate.commands.profile, "
            "mlgate.commands.monitor, mlgate.monitor.runner\n"
            "assert 'pyspark' not in sys.modules, 'pyspark imported'\n"
            "sys.exit(mlgate.cli.main(['profile', '--help']))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert "--engine {local,spark}" in done.stdout
