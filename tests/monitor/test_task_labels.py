"""The monitor's performance gap for every task: batches and label files read as the task
allows (real Parquet and CSV files), the gap computed by mlgate.evaluation.metrics, bad
input stopped with the file and the value."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn import metrics as skm

from mlgate.errors import MlgateError
from mlgate.monitor.batch import Labels, join_labels, read_labels, scan_batches
from mlgate.monitor.performance import check_performance
from mlgate.monitor.summaries import profile_table

CLASSES = ("setosa", "versicolor", "virginica")
MULTI = Labels("multiclass", CLASSES, CLASSES)


def multiclass_batch(rows: int, seed: int = 0) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 3, rows)
    logits = 1.5 * np.eye(3)[codes] + rng.normal(size=(rows, 3))
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    table = pa.table({"id": np.arange(rows), "x": rng.normal(size=rows),
                      **{c: p[:, i] for i, c in enumerate(CLASSES)},
                      "species": [CLASSES[c] for c in codes]})
    return table, codes, p


def reference_of(table: pa.Table, score: str | None = None) -> object:
    return profile_table(table.select(["x", *([score] if score else [])]), score_column=score)


def test_multiclass_batch_with_labels_in_the_batch(tmp_path: Path) -> None:
    table, codes, p = multiclass_batch(500)
    pq.write_table(table, tmp_path / "batch.parquet")
    scan = scan_batches([tmp_path / "batch.parquet"], reference=reference_of(table),
                        ignore=("id", "species"), label="species", labels_as=MULTI)
    assert scan.has_score and scan.score.shape == (500, 3)
    assert scan.label is not None and scan.label.tolist() == codes.tolist()
    found = check_performance("f1_macro", scan.label, scan.score, recorded=0.9,
                              recorded_source="test", max_gap=0.05, min_rows=100,
                              task="multiclass")
    expected = skm.f1_score(codes, p.argmax(axis=1), average="macro")
    assert found.production == pytest.approx(expected, rel=1e-12)
    assert found.shortfall == pytest.approx(0.9 - expected, rel=1e-12)
    assert (found.level, found.direction) == ("alert" if 0.9 - expected > 0.05 else "ok",
                                              "higher")


def test_multiclass_labels_file_with_integer_classes_joined_on_id(tmp_path: Path) -> None:
    """Classes 0, 1, 2 (declared as integers) in a CSV label file with a null label: read
    as numbers with a gap, they are still the classes."""
    table, codes, p = multiclass_batch(300, seed=1)
    numbered = ("0", "1", "2")
    renamed = table.rename_columns(["id", "x", *numbered, "species"]).drop(["species"])
    pq.write_table(renamed, tmp_path / "batch.parquet")
    lines = ["id,y"] + [f"{i},{'' if i == 5 else float(c)}" for i, c in enumerate(codes)]
    (tmp_path / "labels.csv").write_text("\n".join(lines) + "\n")
    how = Labels("multiclass", numbered, numbered)
    scan = scan_batches([tmp_path / "batch.parquet"], reference=reference_of(renamed),
                        ignore=("id",), id_column="id", labels_as=how)
    ids, labels = read_labels([tmp_path / "labels.csv"], id_column="id", label="y",
                              labels_as=how)
    assert scan.ids is not None
    label, score, unlabelled = join_labels(scan.ids, scan.score, ids, labels)
    assert unlabelled == 1
    keep = np.arange(300) != 5
    assert label.tolist() == codes[keep].tolist()
    np.testing.assert_array_equal(score, p[keep])
    found = check_performance("log_loss", label, score, recorded=0.5, recorded_source="t",
                              max_gap=0.1, min_rows=10, task="multiclass")
    assert found.production == pytest.approx(skm.log_loss(codes[keep], p[keep]), rel=1e-12)
    assert found.direction == "lower"


def test_regression_gap(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    y = rng.gamma(2, 50, 400) + 10
    value = y + rng.normal(0, 20, 400)
    table = pa.table({"x": rng.normal(size=400), "price": value, "y": y})
    pq.write_table(table, tmp_path / "batch.parquet")
    scan = scan_batches([tmp_path / "batch.parquet"], reference=reference_of(table, "price"),
                        ignore=("y",), label="y", labels_as=Labels("regression"))
    assert scan.label is not None
    for metric, expected in (("rmse", skm.root_mean_squared_error(y, value)),
                             ("mape", skm.mean_absolute_percentage_error(y, value)),
                             ("r2", skm.r2_score(y, value))):
        found = check_performance(metric, scan.label, scan.score, recorded=expected,
                                  recorded_source="t", max_gap=0.01, min_rows=10,
                                  task="regression")
        assert found.production == pytest.approx(expected, rel=1e-12)
        assert (found.level, found.shortfall) == ("ok", pytest.approx(0.0, abs=1e-12))
    zero = check_performance("mape", np.r_[0.0, y], np.r_[1.0, value], recorded=0.1,
                             recorded_source="t", max_gap=0.01, min_rows=10, task="regression")
    assert (zero.level, zero.note) == ("warn", "1 label(s) are 0; mape divides by the label: "
                                               "not judged")


def test_a_label_that_is_no_class_stops_the_run(tmp_path: Path) -> None:
    table, _, _ = multiclass_batch(50)
    labels = table.column("species").to_pylist()
    labels[17] = "iris"
    table = table.set_column(table.schema.get_field_index("species"), "species",
                             pa.array(labels))
    pq.write_table(table, tmp_path / "batch.parquet")
    with pytest.raises(MlgateError) as caught:
        scan_batches([tmp_path / "batch.parquet"], reference=reference_of(table),
                     ignore=("id", "species"), label="species", labels_as=MULTI)
    assert caught.value.render() == (
        f"{tmp_path / 'batch.parquet'}: label column 'species' holds 'iris', which is none of "
        "the model's classes (setosa, versicolor, virginica)\n"
        "  hint: the classes are evaluation.classes in the model declaration")


def test_a_row_scored_for_some_classes_only_stops_the_run(tmp_path: Path) -> None:
    table, _, _ = multiclass_batch(50)
    scores = table.column("versicolor").to_pylist()
    scores[9] = None
    table = table.set_column(table.schema.get_field_index("versicolor"), "versicolor",
                             pa.array(scores))
    pq.write_table(table, tmp_path / "batch.parquet")
    with pytest.raises(MlgateError) as caught:
        scan_batches([tmp_path / "batch.parquet"], reference=reference_of(table),
                     ignore=("id", "species"), label="species", labels_as=MULTI)
    assert caught.value.message == ("row 10 of a batch has a score for some classes and not "
                                    "others (versicolor missing)")


def test_a_batch_without_the_class_columns_has_no_scores(tmp_path: Path) -> None:
    table, _, _ = multiclass_batch(50)
    pq.write_table(table.drop(["virginica"]), tmp_path / "batch.parquet")
    scan = scan_batches([tmp_path / "batch.parquet"], reference=reference_of(table),
                        ignore=("id", "species"), label="species", labels_as=MULTI)
    assert (scan.has_score, scan.score.shape) == (False, (0, 3))


@pytest.mark.parametrize(("task", "label", "score", "message"), [
    ("binary", [0, 1], [0.2, 1.7], "score of row 1 is outside [0, 1]; binary scores are "
                                   "probabilities"),
    ("multiclass", [0, 1], [[0.2, 0.3], [0.5, 0.5]],
     "the class probabilities of row 0 sum to 0.5, not 1 (within 0.0001)"),
    ("multiclass", [0, 1], [[0.5, 0.5], [0.33333, 0.66699]],
     "the class probabilities of row 1 sum to 1.00032, not 1 (within 0.0001)"),
    ("multiclass", [0, 3], [[0.5, 0.5], [0.5, 0.5]],
     "label of row 1 is class 3, but the scores have 2 class columns (codes 0 to 1)"),
    ("regression", [1.0, 2.0], [1.0, np.inf], "1 score(s) are NaN or infinite, the first in "
                                              "row 1"),
])
def test_scores_the_task_does_not_allow(task: str, label: list[object], score: list[object],
                                        message: str) -> None:
    with pytest.raises(MlgateError) as caught:
        check_performance("accuracy" if task != "regression" else "rmse", np.array(label),
                          np.array(score), recorded=0.5, recorded_source="t", max_gap=0.1,
                          min_rows=1, task=task)  # type: ignore[arg-type]
    assert caught.value.message == message


def test_probabilities_logged_with_six_decimals_are_rescaled() -> None:
    rng = np.random.default_rng(4)
    codes = rng.integers(0, 3, 300)
    p = rng.dirichlet([1, 1, 1], 300)
    logged = np.round(p, 6)
    assert np.abs(logged.sum(axis=1) - 1).max() > 1e-6  # prepare alone would refuse them
    found = check_performance("log_loss", codes, logged, recorded=1.0, recorded_source="t",
                              max_gap=0.5, min_rows=10, task="multiclass")
    expected = skm.log_loss(codes, logged / logged.sum(axis=1, keepdims=True))
    assert found.production == pytest.approx(expected, rel=1e-12)
