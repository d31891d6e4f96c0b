"""The bootstrap interval of any task's metric, and the confidence and slices gates on a
multiclass or regression evaluation, checked against scikit-learn with the same weights."""

from __future__ import annotations

import numpy as np
import pytest

from mlgate.config.model import ConfidenceGate, SlicesGate
from mlgate.evaluation import binary, interval, metrics, resample
from mlgate.gates import from_predictions, kinds
from tests.evaluation.test_metrics import REFERENCE, sample

CASES = [(task, name) for task in ("multiclass", "regression")
         for name in metrics.METRICS[task]]


def draws(seed: int, resamples: int, n: int) -> np.ndarray:
    """The Poisson weights the interval draws, drawn again here through the same seeds."""
    drawn: list[np.ndarray] = []

    def keep(rng: np.random.Generator, rows: int) -> np.ndarray:
        drawn.append(resample.weight_rows(rng, rows, n))
        return np.zeros(rows)

    resample.chunked(seed, resamples, resample.chunk_rows(n), keep)
    return np.concatenate(drawn)


@pytest.mark.parametrize(("task", "name"), CASES)
def test_interval_equals_sklearn_on_the_same_resamples(task: metrics.Task, name: str) -> None:
    y, s = sample(task, 7, n=300)
    found = interval.bootstrap_interval(task, name, y, s, resamples=200, level=0.9, seed=5)
    assert found.point == pytest.approx(REFERENCE[task][name](y, s), rel=1e-9, abs=1e-12)
    values = []
    for w in draws(5, 200, len(y)):
        try:
            values.append(REFERENCE[task][name](y, s, sample_weight=w))
        except ValueError:  # a class drawn with no weight: the metric has no value
            continue
    low, high = np.quantile(values, [0.05, 0.95])
    assert (found.low, found.high) == pytest.approx((low, high), rel=1e-9, abs=1e-12)
    assert found.resamples_used == len(values) and found.low <= found.point <= found.high


def test_binary_interval_is_binarys_own() -> None:
    y, s = sample("binary", 3, n=400)
    assert interval.bootstrap_interval("binary", "roc_auc", y, s, resamples=300, seed=2) == \
        binary.bootstrap_interval("roc_auc", y, s, resamples=300, seed=2)


def test_interval_of_a_metric_undefined_on_the_data() -> None:
    y, s = sample("regression", 1, n=200)
    y[3] = 0.0
    with pytest.raises(binary.UndefinedMetric, match="mape divides by the label"):
        interval.bootstrap_interval("regression", "mape", y, s, resamples=100)


def test_confidence_gate_on_a_regression_evaluation() -> None:
    y, s = sample("regression", 2, n=500)
    predictions = kinds.Predictions(label=y, score=s, task="regression")
    gate = ConfidenceGate(kind="confidence", label=None, index=0, metric="rmse", max=4.5, resamples=300,
                          seed=1)
    verdict = from_predictions.confidence(gate, predictions, None)
    expected = interval.bootstrap_interval("regression", "rmse", y, s, resamples=300, seed=1)
    assert verdict.details["point"] == pytest.approx(REFERENCE["regression"]["rmse"](y, s))
    assert verdict.observed == expected.high
    assert verdict.passed == (expected.high <= 4.5)
    strict = from_predictions.confidence(ConfidenceGate(kind="confidence", label=None, index=0, metric="rmse",
                                             max=expected.low, resamples=300, seed=1),
                              predictions, None)
    assert not strict.passed and "upper bound" in strict.why


def test_slices_gate_on_a_multiclass_evaluation() -> None:
    y, s = sample("multiclass", 4, n=600)
    region = np.array(["north", "south", "east"] * 200, dtype=object)
    predictions = kinds.Predictions(label=y, score=s, columns={"region": region},
                                    task="multiclass")
    gate = SlicesGate(kind="slices", label=None, index=0, column="region", metric="f1_macro", min=0.0,
                      min_size=10)
    verdict = from_predictions.slices(gate, False, predictions, None)
    by_name = {row["slice"]: row["value"] for row in verdict.details["slices"]}
    for name in ("north", "south", "east"):
        rows = region == name
        assert by_name[name] == pytest.approx(
            REFERENCE["multiclass"]["f1_macro"](y[rows], s[rows]))
    assert verdict.passed
    worst = min(by_name.values())
    failing = from_predictions.slices(SlicesGate(kind="slices", label=None, index=0, column="region",
                                      metric="f1_macro", min=worst + 1e-9, min_size=10),
                           False, predictions, None)
    assert not failing.passed and "f1_macro" in failing.why


def test_slices_gate_rmse_is_lower_better_and_a_foreign_metric_is_named() -> None:
    y, s = sample("regression", 6, n=300)
    group = np.array([0, 1] * 150, dtype=object)
    predictions = kinds.Predictions(label=y, score=s, columns={"g": group}, task="regression")
    values = [REFERENCE["regression"]["rmse"](y[group == g], s[group == g]) for g in (0, 1)]
    ceiling = (min(values) + max(values)) / 2
    verdict = from_predictions.slices(SlicesGate(kind="slices", label=None, index=0, column="g", metric="rmse",
                                      min=ceiling, min_size=10), True, predictions, None)
    assert not verdict.passed and f"> {ceiling}"[:6] in verdict.why
    foreign = from_predictions.slices(SlicesGate(kind="slices", label=None, index=0, column="g", metric="roc_auc",
                                      min=0.5), False, predictions, None)
    assert (foreign.passed, foreign.why) == (False, "'roc_auc' is no regression metric")
