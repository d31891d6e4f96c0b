"""mlgate.evaluation.metrics against scikit-learn for every task and metric, weighted and
not; the input each task refuses; undefined metrics and their reasons; slices."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from sklearn import metrics as skm

from mlgate.errors import MlgateError
from mlgate.evaluation import metrics
from mlgate.evaluation.metrics import Task

Reference = Callable[..., float]


def ks_reference(y: Any, s: Any, sample_weight: Any = None) -> float:
    fpr, tpr, _ = skm.roc_curve(y, s, sample_weight=sample_weight, drop_intermediate=False)
    return float(np.max(np.abs(tpr - fpr)))


REFERENCE: dict[Task, dict[str, Reference]] = {
    "binary": {
        "roc_auc": lambda y, s, **kw: skm.roc_auc_score(y, s, **kw),
        "pr_auc": lambda y, s, **kw: skm.average_precision_score(y, s, **kw),
        "log_loss": lambda y, s, **kw: skm.log_loss(y, s, labels=[0, 1], **kw),
        "brier": lambda y, s, **kw: skm.brier_score_loss(y, s, **kw),
        "accuracy": lambda y, s, **kw: skm.accuracy_score(y, s >= 0.5, **kw),
        "f1": lambda y, s, **kw: skm.f1_score(y, s >= 0.5, **kw),
        "ks": ks_reference,
        "gini": lambda y, s, **kw: 2 * skm.roc_auc_score(y, s, **kw) - 1,
        "precision": lambda y, s, **kw: skm.precision_score(y, s >= 0.5, **kw),
        "recall": lambda y, s, **kw: skm.recall_score(y, s >= 0.5, **kw),
    },
    "multiclass": {
        "accuracy": lambda y, s, **kw: skm.accuracy_score(y, s.argmax(axis=1), **kw),
        "f1_macro": lambda y, s, **kw: skm.f1_score(y, s.argmax(axis=1), average="macro",
                                                    zero_division=0, **kw),
        "f1_weighted": lambda y, s, **kw: skm.f1_score(y, s.argmax(axis=1), average="weighted",
                                                       zero_division=0, **kw),
        "log_loss": lambda y, s, **kw: skm.log_loss(y, s, labels=list(range(s.shape[1])), **kw),
        "roc_auc_ovr": lambda y, s, **kw: skm.roc_auc_score(y, s, multi_class="ovr", **kw),
    },
    "regression": {
        "rmse": lambda y, s, **kw: skm.root_mean_squared_error(y, s, **kw),
        "mae": lambda y, s, **kw: skm.mean_absolute_error(y, s, **kw),
        "r2": lambda y, s, **kw: skm.r2_score(y, s, **kw),
        "mape": lambda y, s, **kw: skm.mean_absolute_percentage_error(y, s, **kw),
    },
}
CASES = [(task, name) for task in metrics.TASKS for name in metrics.METRICS[task]]


def sample(task: Task, seed: int, n: int = 1500) -> tuple[np.ndarray, np.ndarray]:
    """Data with a signal and many ties (rounded scores)."""
    rng = np.random.default_rng(seed)
    if task == "binary":
        y = (rng.random(n) < 0.35).astype(int)
        return y, np.clip(np.round(0.3 * y + 0.7 * rng.random(n), 2), 0.001, 0.999)
    if task == "multiclass":
        y = rng.integers(0, 4, n)
        logits = np.round(rng.normal(size=(n, 4)) + 1.5 * np.eye(4)[y], 1)
        p = np.exp(logits)
        return y, p / p.sum(axis=1, keepdims=True)
    y = rng.gamma(2.0, 10.0, n) + 1
    return y, np.round(y + rng.normal(0, 4, n), 1)


def test_every_task_has_its_reference() -> None:
    assert {t: tuple(REFERENCE[t]) for t in metrics.TASKS} == metrics.METRICS


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(("task", "name"), CASES)
def test_compute_equals_sklearn(task: Task, name: str, seed: int) -> None:
    y, s = sample(task, seed)
    assert metrics.compute(task, y, s)[name] == pytest.approx(REFERENCE[task][name](y, s),
                                                              rel=1e-10)


@pytest.mark.parametrize(("task", "name"), CASES)
def test_weighted_rows_equal_sklearn_sample_weight(task: Task, name: str) -> None:
    y, s = sample(task, 7, n=900)
    rng = np.random.default_rng(8)
    weights = np.stack([rng.random(len(y)) * 3 + 0.01, rng.poisson(1.0, len(y)) + 0.5])
    found = metrics.prepare(task, y, s).rows(name, weights)
    expected = [REFERENCE[task][name](y, s, sample_weight=w) for w in weights]
    assert found == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("task", metrics.TASKS)
def test_integer_weights_equal_repeated_rows(task: Task) -> None:
    """A Poisson weight of 2 is the row drawn twice: what the bootstrap relies on."""
    y, s = sample(task, 3, n=400)
    w = np.random.default_rng(4).poisson(1.0, len(y)).astype(np.uint8)
    data = metrics.prepare(task, y, s)
    repeated = metrics.compute(task, np.repeat(y, w), np.repeat(s, w, axis=0))
    for name in metrics.METRICS[task]:
        assert data.rows(name, w[np.newaxis, :])[0] == pytest.approx(repeated[name], rel=1e-10)


def test_ks_and_gini_on_a_hand_computed_case() -> None:
    y = np.array([0, 0, 1, 0, 1, 1])
    s = np.array([0.1, 0.4, 0.4, 0.6, 0.7, 0.9])
    found = metrics.compute("binary", y, s)
    # thresholds 0.7: TPR 2/3, FPR 0 -> 2/3; the AUC counts the 0.4 tie as one half
    assert found["ks"] == pytest.approx(2 / 3)
    assert found["roc_auc"] == pytest.approx((3 + 2.5 + 2) / 9)
    assert found["gini"] == pytest.approx(2 * found["roc_auc"] - 1)  # type: ignore[operator]


def test_all_tied_scores() -> None:
    y = np.array([0, 1, 0, 1])
    found = metrics.compute("binary", y, np.full(4, 0.5))
    assert (found["roc_auc"], found["ks"], found["pr_auc"]) == (0.5, 0.0, 0.5)


@pytest.mark.parametrize(("task", "labels", "scores", "undefined"), [
    ("binary", [0, 0, 0], [0.1, 0.6, 0.3],
     {"roc_auc": "every label is 0; roc_auc needs both classes",
      "ks": "every label is 0; ks needs both classes",
      "gini": "every label is 0; gini needs both classes",
      "pr_auc": "no label is 1; pr_auc needs a positive",
      "recall": "no label is 1"}),
    ("binary", [1, 1], [0.1, 0.2],
     {"roc_auc": "every label is 1; roc_auc needs both classes",
      "ks": "every label is 1; ks needs both classes",
      "gini": "every label is 1; gini needs both classes",
      "precision": "no prediction is positive (no score >= 0.5)"}),
    ("multiclass", [0, 0, 1], [[0.5, 0.3, 0.2], [0.2, 0.5, 0.3], [0.1, 0.8, 0.1]],
     {"roc_auc_ovr": "class 2 is no label; roc_auc_ovr needs every class among the labels, "
                     "and another"}),
    ("regression", [0.0, 2.0, 3.0], [0.5, 2.0, 2.0],
     {"mape": "1 label(s) are 0; mape divides by the label"}),
    ("regression", [2.0, 2.0], [1.0, 3.0],
     {"r2": "every label is 2; r2 needs labels that vary"}),
    ("binary", [], [], {name: "there are no predictions" for name in metrics.METRICS["binary"]}),
    ("regression", [], [], {name: "there are no rows" for name in metrics.METRICS["regression"]}),
])
def test_undefined_metrics_are_none_with_a_reason(task: Task, labels: list[Any],
                                                  scores: list[Any],
                                                  undefined: dict[str, str]) -> None:
    found = metrics.evaluate(task, np.array(labels), np.array(scores, dtype=float))
    assert {n: why for n, (v, why) in found.items() if why is not None} == undefined
    assert all((v is None) == (n in undefined) for n, (v, _) in found.items())
    assert {n for n, v in metrics.compute(task, labels, scores).items() if v is None} \
        == set(undefined)
    for name in metrics.METRICS[task]:
        assert metrics.undefined_reason(task, name, labels, scores) == undefined.get(name)


@pytest.mark.parametrize(("task", "labels", "message"), [
    ("binary", [0, 2, 1], "label of row 1 is 2; binary labels must be 0 or 1"),
    ("binary", [0.0, 0.5], "label of row 1 is 0.5; binary labels must be 0 or 1"),
    ("binary", [0, np.nan], "label of row 1 is nan; binary labels must be 0 or 1"),
    ("binary", ["yes", "no"], "binary labels must be 0 or 1, got values of type <U3"),
    ("multiclass", [0, -1], "label of row 1 is -1; multiclass labels must be integer class "
                            "codes 0, 1, ..., k-1"),
    ("multiclass", [1.5], "label of row 0 is 1.5; multiclass labels must be integer class "
                          "codes 0, 1, ..., k-1"),
    ("regression", [1.0, np.inf], "label of row 1 is inf; regression labels must be finite "
                                  "numbers"),
])
def test_labels_a_task_does_not_allow(task: Task, labels: list[Any], message: str) -> None:
    with pytest.raises(MlgateError) as caught:
        metrics.check_labels(task, np.array(labels))
    assert caught.value.message == message


@pytest.mark.parametrize(("task", "labels", "scores", "message"), [
    ("binary", [0, 1], [0.2, np.nan], "1 score(s) are NaN or infinite, the first in row 1"),
    ("binary", [0, 1], [0.2, 1.5], "score of row 1 is outside [0, 1]; binary scores are "
                                   "probabilities"),
    ("binary", [0, 1], [0.2], "binary scores must be (n,) one score a row for 2 labels, "
                              "got shape (1,)"),
    ("multiclass", [0, 1], [[0.5, 0.5], [0.5, 0.6]],
     "the class probabilities of row 1 sum to 1.1, not 1 (within 1e-06)"),
    ("multiclass", [0, 2], [[0.5, 0.5], [0.5, 0.5]],
     "label of row 1 is class 2, but the scores have 2 class columns (codes 0 to 1)"),
    ("multiclass", [0, 1], [0.5, 0.5], "multiclass scores must be (n, k) class probabilities "
                                       "for 2 labels, got shape (2,)"),
    ("regression", [1.0, 2.0], [1.0, np.inf], "1 score(s) are NaN or infinite, the first in "
                                              "row 1"),
    ("regression", [1.0], ["a"], "scores must be numbers, got values of type <U1"),
])
def test_scores_a_task_does_not_allow(task: Task, labels: list[Any], scores: list[Any],
                                      message: str) -> None:
    with pytest.raises(MlgateError) as caught:
        metrics.compute(task, np.array(labels), np.array(scores))
    assert caught.value.message == message


def test_unknown_task_and_metric() -> None:
    with pytest.raises(MlgateError, match="unknown task 'ranking'"):
        metrics.compute("ranking", [1], [1.0])  # type: ignore[arg-type]
    with pytest.raises(MlgateError, match="'rmse' is no binary metric"):
        metrics.undefined_reason("binary", "rmse", [0, 1], [0.2, 0.8])


@pytest.mark.parametrize(("metric", "expected"), [
    ("roc_auc", "higher"), ("ks", "higher"), ("gini", "higher"), ("pr_auc", "higher"),
    ("f1_macro", "higher"), ("r2", "higher"), ("log_loss", "lower"), ("brier", "lower"),
    ("rmse", "lower"), ("mae", "lower"), ("mape", "lower"),
])
def test_direction(metric: str, expected: str) -> None:
    assert metrics.direction(metric) == expected


@pytest.mark.parametrize("task", metrics.TASKS)
def test_by_slice_equals_compute_on_each_slice(task: Task) -> None:
    y, s = sample(task, 11, n=600)
    groups = np.array(["b", "a", None, "a"] * 150, dtype=object)
    found = metrics.by_slice(task, y, s, groups)
    assert [(f.value, f.rows) for f in found] == [("a", 300), ("b", 150), ("null", 150)]
    for f, rows in zip(found, [groups == "a", groups == "b", groups == None], strict=True):  # noqa: E711
        assert f.metrics == metrics.compute(task, y[rows], s[rows])


def test_by_slice_with_numeric_groups_and_a_one_class_slice() -> None:
    y = np.array([0, 1, 0, 0])
    found = metrics.by_slice("binary", y, np.array([0.2, 0.7, 0.4, 0.1]),
                             np.array([1.0, 1.0, 2.0, 2.0]))
    assert [(f.value, f.rows, f.metrics["roc_auc"]) for f in found] == [("1.0", 2, 1.0),
                                                                        ("2.0", 2, None)]


@pytest.mark.parametrize("task", metrics.TASKS)
def test_by_slice_many_slices_with_tied_scores_equal_compute_on_each(task: Task) -> None:
    # the slices reuse the whole data's sort: each must equal its rows computed afresh
    y, s = sample(task, 5, n=900)
    if task == "binary":
        s = np.round(s, 1)  # many ties, across classes and slices
    groups = np.random.default_rng(3).integers(0, 7, size=900)
    found = metrics.by_slice(task, y, s, groups)
    assert [f.value for f in found] == [str(g) for g in range(7)]
    for f in found:
        rows = groups == int(f.value)
        assert f.rows == int(rows.sum())
        assert f.metrics == metrics.compute(task, y[rows], s[rows])


def test_by_slice_missing_and_mixed_values() -> None:
    y = np.array([0, 1, 0, 1, 1, 0])
    s = np.array([0.2, 0.7, 0.4, 0.9, 0.3, 0.6])
    nan = metrics.by_slice("binary", y, s, np.array([1.5, np.nan, 1.5, np.nan, 2.0, 2.0]))
    assert [(f.value, f.rows) for f in nan] == [("1.5", 2), ("2.0", 2), ("null", 2)]
    mixed = metrics.by_slice("binary", y, s,
                             np.array([1, "1", None, "x", float("nan"), 1], dtype=object))
    assert [(f.value, f.rows) for f in mixed] == [("1", 3), ("null", 2), ("x", 1)]
    assert mixed[1].metrics == metrics.compute("binary", y[[2, 4]], s[[2, 4]])
