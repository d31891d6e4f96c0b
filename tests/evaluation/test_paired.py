"""mlgate.evaluation.paired: DeLong against a slow reference written here (O(n^2) placement
values); the paired bootstrap's pairing, determinism, coverage and agreement with DeLong."""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pytest
from sklearn import metrics as skm

from mlgate.errors import MlgateError
from mlgate.evaluation import binary, metrics, paired
from mlgate.evaluation.metrics import Task
from mlgate.evaluation.pairedauc import PairedAuc


def slow_delong(y: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(auc(a) - auc(b), its variance) from DeLong et al. (1988), pair by pair."""
    pos, neg = y == 1, y == 0
    components = []
    for s in (a, b):
        psi = (s[pos][:, None] > s[neg][None, :]) + 0.5 * (s[pos][:, None] == s[neg][None, :])
        components.append((psi.mean(), psi.mean(axis=1), psi.mean(axis=0)))
    (auc_a, v10_a, v01_a), (auc_b, v10_b, v01_b) = components
    s10 = np.cov(np.stack([v10_a, v10_b]))
    s01 = np.cov(np.stack([v01_a, v01_b]))
    var = (s10[0, 0] + s10[1, 1] - 2 * s10[0, 1]) / pos.sum() \
        + (s01[0, 0] + s01[1, 1] - 2 * s01[0, 1]) / neg.sum()
    return float(auc_a - auc_b), float(var)


def correlated(seed: int, n: int, decimals: int = 2) -> tuple[np.ndarray, ...]:
    """Labels, and two models' scores sharing part of their signal and noise (with ties)."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    shared = rng.random(n)
    a = np.round(np.clip(0.3 * y + 0.4 * shared + 0.3 * rng.random(n), 0, 1), decimals)
    b = np.round(np.clip(0.2 * y + 0.4 * shared + 0.4 * rng.random(n), 0, 1), decimals)
    return y, a, b


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("confidence", [0.9, 0.95])
def test_delong_equals_the_slow_reference(seed: int, confidence: float) -> None:
    y, a, b = correlated(seed, 300, decimals=1 + seed % 3)
    found = paired.delong(y, a, b, confidence=confidence)
    difference, var = slow_delong(y, a, b)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    assert found.difference == pytest.approx(difference, abs=1e-12)
    assert found.candidate == pytest.approx(skm.roc_auc_score(y, a), rel=1e-12)
    assert found.incumbent == pytest.approx(skm.roc_auc_score(y, b), rel=1e-12)
    assert (found.low, found.high) == pytest.approx(
        (difference - z * var**0.5, difference + z * var**0.5), abs=1e-12)
    assert found.p_value == pytest.approx(2 * (1 - NormalDist().cdf(abs(difference) / var**0.5)))
    assert (found.method, found.rows, found.confidence, found.resamples, found.seed) == (
        "delong", 300, confidence, None, None)
    numbers = (found.candidate, found.incumbent, found.difference, found.low, found.high,
               found.p_value)
    assert all(type(v) is float for v in numbers)  # plain numbers: they go into records


def test_midranks_average_tied_positions() -> None:
    ranks = paired.midranks(np.array([0.3, 0.1, 0.3, 0.2, 0.3]))
    assert ranks.tolist() == [4.0, 1.0, 4.0, 2.0, 4.0]


def test_delong_of_a_model_with_itself() -> None:
    y, a, _ = correlated(1, 200)
    found = paired.delong(y, a, a)
    assert (found.difference, found.low, found.high, found.p_value) == (0.0, 0.0, 0.0, 1.0)


def test_delong_refuses_one_class() -> None:
    with pytest.raises(MlgateError) as caught:
        paired.delong(np.zeros(4), np.full(4, 0.2), np.full(4, 0.3))
    assert caught.value.message == ("roc_auc is undefined on these rows: every label is 0; "
                                    "DeLong's test needs both classes")


def data(task: Task, seed: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    if task == "binary":
        return correlated(seed, n)
    if task == "multiclass":
        y = rng.integers(0, 3, n)
        shared = rng.normal(size=(n, 3))
        out = []
        for signal in (1.5, 1.0):
            logits = signal * np.eye(3)[y] + shared + rng.normal(size=(n, 3))
            p = np.exp(logits)
            out.append(p / p.sum(axis=1, keepdims=True))
        return y, out[0], out[1]
    y = rng.normal(50, 10, n)
    shared = rng.normal(0, 3, n)
    return y, y + shared + rng.normal(0, 2, n), y + shared + rng.normal(0, 4, n)


CASES = [(task, name) for task in metrics.TASKS for name in metrics.METRICS[task]]


@pytest.mark.parametrize(("task", "metric"), CASES)
def test_identical_models_differ_by_exactly_zero(task: Task, metric: str) -> None:
    y, a, _ = data(task, 0, 400)
    found = paired.paired_bootstrap(task, metric, y, a, a, resamples=200, seed=3)
    assert (found.difference, found.low, found.high) == (0.0, 0.0, 0.0)


@pytest.mark.parametrize(("task", "metric"), CASES)
def test_bootstrap_is_deterministic_for_a_seed(task: Task, metric: str) -> None:
    y, a, b = data(task, 1, 400)
    first = paired.paired_bootstrap(task, metric, y, a, b, resamples=300, seed=7)
    again = paired.paired_bootstrap(task, metric, y, a, b, resamples=300, seed=7)
    other = paired.paired_bootstrap(task, metric, y, a, b, resamples=300, seed=8)
    assert first == again
    assert (first.low, first.high) != (other.low, other.high)
    expected = metrics.compute(task, y, a)[metric], metrics.compute(task, y, b)[metric]
    assert (first.candidate, first.incumbent) == expected
    assert first.difference == expected[0] - expected[1]  # type: ignore[operator]
    assert first.low <= first.difference <= first.high
    assert (first.method, first.rows, first.resamples, first.seed, first.p_value) == (
        "bootstrap", 400, 300, 7, None)
    numbers = (first.candidate, first.incumbent, first.difference, first.low, first.high)
    assert all(type(v) is float for v in numbers)


@pytest.mark.parametrize(("task", "metric"), CASES)
def test_pairing_narrows_the_interval(task: Task, metric: str) -> None:
    """With shared noise, the paired interval is narrower than one from independent
    resamples of each model: the pairing is what cancels the rows' common part."""
    y, a, b = data(task, 2, 1500)
    found = paired.paired_bootstrap(task, metric, y, a, b, resamples=400, seed=0)
    rng = np.random.default_rng(0)
    independent = []
    for _ in range(300):
        ra, rb = rng.integers(0, len(y), len(y)), rng.integers(0, len(y), len(y))
        va = metrics.value(metrics.prepare(task, y[ra], a[ra]), metric)[0]
        vb = metrics.value(metrics.prepare(task, y[rb], b[rb]), metric)[0]
        independent.append(va - vb)  # type: ignore[operator]
    low, high = np.quantile(independent, [0.025, 0.975])
    assert found.high - found.low < high - low


def test_bootstrap_interval_agrees_with_delong() -> None:
    y, a, b = correlated(4, 3000)
    boot = paired.paired_bootstrap("binary", "roc_auc", y, a, b, resamples=2000, seed=1)
    test = paired.delong(y, a, b)
    assert boot.difference == pytest.approx(test.difference, abs=1e-12)
    assert boot.low == pytest.approx(test.low, abs=0.004)
    assert boot.high == pytest.approx(test.high, abs=0.004)


def test_bootstrap_interval_covers_the_true_difference() -> None:
    """Over 60 holdouts drawn from one population, the 90% interval holds the population's
    difference about 90% of the time (binomial: 46 or more of 60 is likely above 99%)."""
    big_y, big_a, big_b = correlated(99, 200_000)
    truth = skm.roc_auc_score(big_y, big_a) - skm.roc_auc_score(big_y, big_b)
    covered = 0
    for seed in range(60):
        y, a, b = correlated(1000 + seed, 800)
        found = paired.paired_bootstrap("binary", "roc_auc", y, a, b, confidence=0.9,
                                        resamples=300, seed=seed)
        covered += found.low <= truth <= found.high
    assert covered >= 46


def test_undefined_on_the_rows_is_bad_input() -> None:
    with pytest.raises(MlgateError) as caught:
        paired.paired_bootstrap("regression", "mape", np.array([0.0, 1.0]),
                                np.array([0.5, 1.0]), np.array([0.2, 1.0]))
    assert caught.value.message == ("mape of the candidate is undefined on these rows: 1 "
                                    "label(s) are 0; mape divides by the label")


def test_resamples_where_a_metric_is_undefined_are_left_out() -> None:
    y = np.array([0] * 40 + [1])  # one positive: many resamples lack it
    a = np.linspace(0.1, 0.9, 41)
    found = paired.paired_bootstrap("binary", "roc_auc", y, a, a[::-1].copy(), resamples=200)
    assert 0 < found.resamples < 200  # type: ignore[operator]


@pytest.mark.parametrize(("confidence", "resamples", "message"), [
    (1.0, 10, "confidence must be between 0 and 1, got 1.0"),
    (0.9, 0, "resamples must be at least 1, got 0"),
])
def test_bad_arguments(confidence: float, resamples: int, message: str) -> None:
    y, a, b = correlated(0, 50)
    with pytest.raises(ValueError, match=message):
        paired.paired_bootstrap("binary", "roc_auc", y, a, b, confidence=confidence,
                                resamples=resamples)


@pytest.mark.parametrize(("positive_share", "decimals"), [(0.3, 2), (0.7, 2), (0.3, 12),
                                                          (0.6, 12), (0.5, 0)])
def test_paired_auc_equals_each_models_weighted_auc(positive_share: float, decimals: int) -> None:
    """The paired hot loop against binary's weighted AUC, model by model: either class the
    smaller, many ties (bounds gathered per distinct pair) or none."""
    rng = np.random.default_rng(5)
    y = rng.random(500) < positive_share
    a = np.round(np.clip(0.3 * y + 0.7 * rng.random(500), 0, 1), decimals)
    b = np.round(rng.random(500), decimals)
    auc = PairedAuc(y, a, b)
    weights = rng.poisson(1.0, (6, 500)).astype(np.uint8)
    weights[0] = 0
    found = auc.rows(weights)
    in_rows = np.empty_like(weights)
    in_rows[:, auc.layout] = weights
    for s, values in zip((a, b), found, strict=True):
        data, order = binary._prepare(y, s)
        expected = binary._auc_rows(data, in_rows[:, order])
        np.testing.assert_allclose(values, expected, rtol=1e-12)
        assert np.isnan(values[0])
