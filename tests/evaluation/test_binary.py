"""mlgate.evaluation.binary against scikit-learn, the reference; and the bootstrap's properties."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from mlgate.evaluation import binary as classification
from mlgate.evaluation import resample

Reference = Callable[..., float]
REFERENCE: dict[str, Reference] = {
    "roc_auc": lambda y, s, **kw: skm.roc_auc_score(y, s, **kw),
    "accuracy": lambda y, s, **kw: skm.accuracy_score(y, s >= 0.5, **kw),
    "f1": lambda y, s, **kw: skm.f1_score(y, s >= 0.5, **kw),
    "precision": lambda y, s, **kw: skm.precision_score(y, s >= 0.5, **kw),
    "recall": lambda y, s, **kw: skm.recall_score(y, s >= 0.5, **kw),
    "log_loss": lambda y, s, **kw: skm.log_loss(y, s, labels=[0, 1], **kw),
    "brier": lambda y, s, **kw: skm.brier_score_loss(y, s, **kw),
    "pr_auc": lambda y, s, **kw: skm.average_precision_score(y, s, **kw),
    "ks": lambda y, s, **kw: ks_reference(y, s, **kw),
    "gini": lambda y, s, **kw: 2 * skm.roc_auc_score(y, s, **kw) - 1,
}


def ks_reference(label: Any, score: Any, sample_weight: Any = None) -> float:
    """max |TPR - FPR| over scikit-learn's ROC curve."""
    fpr, tpr, _ = skm.roc_curve(label, score, sample_weight=sample_weight,
                                drop_intermediate=False)
    return float(np.max(np.abs(tpr - fpr)))


def sample(seed: int, n: int = 2000, decimals: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Labels with a signal; scores rounded so that many are tied, some exactly 0.5."""
    rng = np.random.default_rng(seed)
    label = (rng.random(n) < 0.35).astype(int)
    score = np.clip(np.round(0.3 * label + 0.7 * rng.random(n), decimals), 0.001, 0.999)
    return label, score


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("name", classification.METRICS)
def test_metric_equals_sklearn(name: str, seed: int) -> None:
    label, score = sample(seed)
    assert classification.metric(name, label, score) == pytest.approx(REFERENCE[name](label, score),
                                                             rel=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("name", classification.METRICS)
def test_weighted_metric_equals_sklearn_sample_weight(name: str, seed: int) -> None:
    label, score = sample(seed, n=1500)
    weight = np.random.default_rng(seed + 100).random(len(label)) * 3
    weight[::7] = 0  # zero weights drop rows
    assert classification.metric(name, label, score, weight) == pytest.approx(
        REFERENCE[name](label, score, sample_weight=weight), rel=1e-10)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 4), st.integers(0, 3)), min_size=2,
                max_size=40))
def test_weighted_auc_equals_sklearn_on_small_tied_inputs(
        rows: list[tuple[bool, int, int]]) -> None:
    label = np.array([r[0] for r in rows], dtype=int)
    score = np.array([r[1] / 4 for r in rows])
    weight = np.array([r[2] for r in rows], dtype=float)
    positive, negative = weight[label == 1].sum(), weight[label == 0].sum()
    if positive == 0 or negative == 0:
        with pytest.raises(classification.UndefinedMetric):
            classification.metric("roc_auc", label, score, weight)
        return
    assert classification.metric("roc_auc", label, score, weight) == pytest.approx(
        skm.roc_auc_score(label, score, sample_weight=weight), rel=1e-12)


def test_auc_takes_the_smaller_class_either_way() -> None:
    label, score = sample(5)
    flipped = classification.metric("roc_auc", 1 - label, 1 - score)  # positives now the majority
    assert flipped == pytest.approx(classification.metric("roc_auc", label, score), rel=1e-12)


def test_log_loss_clips_certain_mistakes() -> None:
    assert classification.metric("log_loss", [1], [0.0]) == -math.log(1e-15)
    # 1 - 1e-15 is not exact in binary, so the other side is only close
    assert classification.metric("log_loss", [0], [1.0]) == pytest.approx(-math.log(1e-15), rel=1e-4)


UNDEFINED = [
    pytest.param("roc_auc", [1, 1, 1], [0.2, 0.6, 0.9],
                 "every label is 1; roc_auc needs both classes", id="auc-only-positives"),
    pytest.param("roc_auc", [0, 0], [0.2, 0.6], "every label is 0; roc_auc needs both classes",
                 id="auc-only-negatives"),
    pytest.param("precision", [0, 1], [0.2, 0.4], "no prediction is positive (no score >= 0.5)",
                 id="precision-no-predicted-positive"),
    pytest.param("recall", [0, 0], [0.2, 0.9], "no label is 1", id="recall-no-positive"),
    pytest.param("f1", [0, 0], [0.2, 0.4], "no label is 1 and no score is >= 0.5",
                 id="f1-nothing-positive"),
    pytest.param("accuracy", [], [], "there are no predictions", id="accuracy-empty"),
    pytest.param("log_loss", [], [], "there are no predictions", id="log-loss-empty"),
    pytest.param("roc_auc", [], [], "there are no predictions", id="auc-empty"),
    pytest.param("brier", [0, 2], [0.1, 0.2], "labels must be 0 or 1, found 2",
                 id="label-not-binary"),
    pytest.param("brier", [0.0, math.nan], [0.1, 0.2], "labels must be 0 or 1, found nan",
                 id="label-missing"),
    pytest.param("brier", ["no", "yes"], [0.1, 0.2], "labels must be 0 or 1, got values of "
                 "type <U3", id="label-text"),
    pytest.param("roc_auc", [0, 1, 1], [0.1, math.nan, math.inf],
                 "2 of 3 scores are missing or not finite", id="score-not-finite"),
]


@pytest.mark.parametrize(("name", "label", "score", "why"), UNDEFINED)
def test_undefined_metric_says_why(name: str, label: list[Any], score: list[float],
                                   why: str) -> None:
    value, reason = classification.metric_value(name, np.array(label), np.array(score))
    assert math.isnan(value) and reason == why
    with pytest.raises(classification.UndefinedMetric, match="^" + why.replace("(", r"\(").replace(
            ")", r"\)") + "$"):
        classification.bootstrap_interval(name, np.array(label), np.array(score), resamples=10)


def test_metric_value_defined() -> None:
    assert classification.metric_value("accuracy", [0, 1, 1], [0.1, 0.7, 0.2]) == (2 / 3, None)


def test_unknown_metric_and_bad_weights_are_errors() -> None:
    with pytest.raises(ValueError, match="unknown metric 'auc'"):
        classification.metric("auc", [0, 1], [0.1, 0.9])
    with pytest.raises(ValueError, match="weight must be"):
        classification.metric("roc_auc", [0, 1], [0.1, 0.9], [1.0, -1.0])


@pytest.mark.parametrize("name", classification.METRICS)
def test_bootstrap_is_reproducible_and_contains_the_point(name: str) -> None:
    label, score = sample(7, n=3000, decimals=3)
    first = classification.bootstrap_interval(name, label, score, resamples=300, seed=11)
    again = classification.bootstrap_interval(name, label, score, resamples=300, seed=11)
    other = classification.bootstrap_interval(name, label, score, resamples=300, seed=12)
    assert first == again
    assert (first.low, first.high) != (other.low, other.high)
    assert first.low <= first.point <= first.high
    assert first.resamples_used == first.resamples == 300
    assert first.point == classification.metric(name, label, score)


def test_bootstrap_does_not_depend_on_threads_or_chunk_order(
        monkeypatch: pytest.MonkeyPatch) -> None:
    label, score = sample(8, n=5000)
    monkeypatch.setattr(resample, "CHUNK_CELLS", 5000 * 16)  # several chunks
    threaded = classification.bootstrap_interval("roc_auc", label, score, resamples=200, seed=1)
    monkeypatch.setattr(resample, "WORKERS", 1)
    assert classification.bootstrap_interval("roc_auc", label, score, resamples=200, seed=1) == threaded


def test_higher_level_is_wider() -> None:
    label, score = sample(9)
    narrow = classification.bootstrap_interval("brier", label, score, resamples=400, level=0.8)
    wide = classification.bootstrap_interval("brier", label, score, resamples=400, level=0.99)
    assert wide.low < narrow.low < narrow.high < wide.high


@pytest.mark.parametrize("name", ["roc_auc", "log_loss", "accuracy"])
def test_bootstrap_agrees_with_the_classical_bootstrap(name: str) -> None:
    """The Poisson bootstrap's interval is close to the multinomial one, done naively."""
    label, score = sample(10, n=1500, decimals=3)
    ours = classification.bootstrap_interval(name, label, score, resamples=2000, level=0.9, seed=0)
    rng = np.random.default_rng(0)
    naive = []
    for _ in range(500):
        rows = rng.integers(0, len(label), len(label))
        naive.append(REFERENCE[name](label[rows], score[rows]))
    low, high = np.quantile(naive, [0.05, 0.95])
    width = high - low
    assert abs(ours.low - low) < 0.15 * width and abs(ours.high - high) < 0.15 * width


def test_resamples_without_a_value_are_left_out() -> None:
    label, score = np.array([0, 1, 0, 1]), np.array([0.1, 0.8, 0.3, 0.6])
    found = classification.bootstrap_interval("roc_auc", label, score, resamples=500, seed=0)
    assert 0 < found.resamples_used < 500  # some resamples drew a single class
    assert found.low <= found.point <= found.high == 1.0


def test_poisson_table_is_poisson_one() -> None:
    table = resample.poisson_table()
    counts = np.bincount(table) / len(table)
    pmf = np.array([math.exp(-1) / math.factorial(k) for k in range(len(counts))])
    assert np.abs(counts - pmf).max() <= 2**-16
    assert table.mean() == pytest.approx(1, abs=1e-4) and table.var() == pytest.approx(1, abs=1e-3)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"level": 1.0}, "level must be between 0 and 1"),
    ({"resamples": 0}, "resamples must be at least 1"),
])
def test_bootstrap_rejects_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        classification.bootstrap_interval("roc_auc", [0, 1], [0.2, 0.8], **kwargs)
