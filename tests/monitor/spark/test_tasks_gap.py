"""The Spark scanner's performance gap for multiclass and regression models, overall and
per slice, against the local engine's metrics on the same rows (real Parquet files, a real
local Spark): every metric of each task, labels in the batch or joined from a file, and
input the task does not allow stopped as the local engine stops it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlgate.errors import MlgateError
from mlgate.evaluation import metrics
from mlgate.monitor.batch import Labels, scan_batches
from mlgate.monitor.expectations import measured_slices
from mlgate.monitor.summaries import profile_table
from tests.monitor.test_task_labels import CLASSES, MULTI, multiclass_batch

pytestmark = pytest.mark.spark


def write(folder: Path, table: pa.Table, parts: int = 3) -> list[Path]:
    """``table`` as ``parts`` Parquet files (several partitions, merged in Spark)."""
    folder.mkdir(parents=True)
    size = -(-table.num_rows // parts)
    paths = []
    for i in range(parts):
        paths.append(folder / f"part-{i}.parquet")
        pq.write_table(table.slice(i * size, size), paths[-1])
    return paths


def regression_batch(rows: int, seed: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    y = rng.gamma(2, 50, rows) + 10
    y[::97] = np.round(y[::97])  # repeated labels and predictions: ties
    value = y + rng.normal(0, 20, rows)
    region = rng.choice(["north", "south", "east"], rows).astype(object)
    region[::13] = None  # no slice value: left out of the slices, as locally
    return pa.table({"id": np.arange(rows), "x": rng.normal(size=rows), "price": value,
                     "y": y, "region": pa.array(region, pa.string()),
                     "band": rng.integers(1, 4, rows).astype(np.float64)})


def both(spark: Any, paths: list[Path], how: Labels, metric: str, *, label: str,
         score: str | None, labels: tuple[str, ...] = (), id_column: str | None = None
         ) -> tuple[Any, Any]:
    """The Spark scan and the local one of ``paths``."""
    from mlgate.monitor.spark.scan import SparkScanner

    reference = profile_table(pq.read_table(paths[0]).select(
        ["x", *([score] if score else [])]), score_column=score)
    common = {"reference": reference, "ignore": (label, "id"), "id_column": id_column}
    ours = SparkScanner(spark)([str(p) for p in paths], label=label, labels=list(labels),
                               metric=metric, labels_as=how, slices=("region", "band"),
                               **common)
    local = scan_batches(paths, label=label if not labels else None, labels_as=how,
                         slices=("region", "band"), **common)
    return ours, local


@pytest.mark.parametrize("metric", metrics.METRICS["regression"])
def test_regression_metrics_overall_and_per_slice_equal_the_local(
        spark: Any, tmp_path: Path, metric: str) -> None:
    paths = write(tmp_path / "b", regression_batch(6000, seed=3))
    how = Labels("regression")
    ours, local = both(spark, paths, how, metric, label="y", score="price")
    assert ours.tallied is not None and local.label is not None
    assert (ours.tallied.overall.rows, ours.tallied.unlabelled) == (6000, 0)
    expected = metrics.value(metrics.prepare("regression", local.label, local.score), metric)
    assert ours.tallied.overall.value(metric) == (pytest.approx(expected[0], rel=1e-12), None)
    found = measured_slices(metric, local.label, local.score, local.slices, task="regression")
    assert sorted(ours.tallied.slices) == sorted(found) == ["band", "region"]
    for column, values in found.items():
        assert sorted(ours.tallied.slices[column]) == [v for v, _, _ in values]
        for value, rows, measure in values:
            tally = ours.tallied.slices[column][value]
            assert tally.rows == rows
            assert tally.value(metric) == (pytest.approx(measure()[0], rel=1e-12), None)


def test_regression_metrics_undefined_as_locally(spark: Any, tmp_path: Path) -> None:
    table = regression_batch(500, seed=4)
    y = table.column("y").to_numpy().copy()
    y[7] = 0.0
    table = table.set_column(3, "y", pa.array(y)).set_column(5, "band", pa.array(
        np.full(500, 2.0)))
    paths = write(tmp_path / "b", table)
    how = Labels("regression")
    ours, _ = both(spark, paths, how, "mape", label="y", score="price")
    assert ours.tallied.overall.value("mape") == (
        None, "1 label(s) are 0; mape divides by the label")
    assert ours.tallied.overall.value("r2")[0] is not None
    constant = pa.table({"x": np.zeros(50), "price": np.arange(50.0), "y": np.full(50, 3.5)})
    paths = write(tmp_path / "c", constant, parts=2)
    ours, local = both(spark, paths, how, "r2", label="y", score="price")
    assert ours.tallied.overall.value("r2") == metrics.value(
        metrics.prepare("regression", local.label, local.score), "r2") == (
        None, "every label is 3.5; r2 needs labels that vary")


@pytest.mark.parametrize("metric", metrics.METRICS["multiclass"])
def test_multiclass_metrics_with_labels_joined_equal_the_local(
        spark: Any, tmp_path: Path, metric: str) -> None:
    """Labels (class names) in a file, some rows without one; probabilities logged with
    six decimals (rescaled, as locally); slices of text and of whole floats."""
    table, _, _ = multiclass_batch(5000, seed=5)
    rounded = {c: pa.array(np.round(table.column(c).to_numpy(), 6)) for c in CLASSES}
    for c, values in rounded.items():
        table = table.set_column(table.schema.get_field_index(c), c, values)
    rng = np.random.default_rng(6)
    table = table.append_column("region", pa.array(rng.choice(["a", "b"], 5000))).append_column(
        "band", pa.array(rng.integers(0, 2, 5000).astype(np.float64)))
    paths = write(tmp_path / "b", table.drop_columns(["species"]))
    write(tmp_path / "labels", table.select(["id", "species"]).slice(0, 4500), parts=1)
    ours, local = both(spark, paths, MULTI, metric, label="species", score=None,
                       labels=(str(tmp_path / "labels"),), id_column="id")
    assert ours.tallied is not None
    assert (ours.tallied.overall.rows, ours.tallied.unlabelled) == (4500, 500)
    codes = table.column("species").to_numpy(zero_copy_only=False)[:4500]
    label = np.array([CLASSES.index(c) for c in codes])
    score = metrics.normalise(local.score[:4500])
    expected = metrics.value(metrics.prepare("multiclass", label, score), metric)
    assert ours.tallied.overall.value(metric) == (pytest.approx(expected[0], rel=1e-12), None)
    slices = {c: v[:4500] for c, v in local.slices.items()}
    for column, values in measured_slices(metric, label, local.score[:4500], slices,
                                          task="multiclass").items():  # rescaled there too
        assert sorted(ours.tallied.slices[column]) == [v for v, _, _ in values]
        for value, rows, measure in values:
            tally = ours.tallied.slices[column][value]
            assert tally.rows == rows
            assert tally.value(metric) == (pytest.approx(measure()[0], rel=1e-12), None)
    assert sorted(ours.tallied.slices["band"]) == ["0", "1"]  # whole floats, as Arrow writes


def test_multiclass_input_the_task_does_not_allow(spark: Any, tmp_path: Path) -> None:
    table, _, _ = multiclass_batch(300, seed=7)
    labels = table.column("species").to_pylist()
    labels[17] = "iris"
    odd = table.set_column(table.schema.get_field_index("species"), "species", pa.array(labels))
    paths = write(tmp_path / "a", odd)
    with pytest.raises(MlgateError) as caught:
        both(spark, paths, MULTI, "accuracy", label="species", score=None)
    assert caught.value.message == ("label column 'species' holds 'iris', which is none of "
                                    "the model's classes (setosa, versicolor, virginica)")
    halves = table.set_column(table.schema.get_field_index("setosa"), "setosa",
                              pa.array(table.column("setosa").to_numpy() / 2))
    from mlgate.monitor.spark.scan import SparkScanner

    scan = SparkScanner(spark)([str(p) for p in write(tmp_path / "b", halves)],
                               reference=profile_table(table.select(["x"])), ignore=("id",),
                               label="species", id_column=None, labels=[], metric="log_loss",
                               labels_as=MULTI)
    assert scan.tallied is not None
    with pytest.raises(MlgateError, match=r"the class probabilities of \d+ row\(s\) do not sum "
                                          r"to 1 \(within 0.0001\), one to 0\.\d+"):
        scan.tallied.overall.value("log_loss")
