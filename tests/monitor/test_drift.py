from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pytest

from mlgate.monitor import (
    CategoricalSummary,
    DriftConfig,
    FeatureDrift,
    Level,
    SchemaIssue,
    Thresholds,
    VerdictRule,
    categorical_drift,
    compare,
    jensen_shannon,
    logical_type,
    profile_table,
    psi,
    schema_checks,
    verdict,
)

ROWS = 1_000_000

# -- the statistics themselves ---------------------------------------------------------


@pytest.mark.parametrize(
    ("reference", "current", "expected"),
    [
        ([10, 20, 70], [10, 20, 70], 0.0),
        ([1, 1], [3, 3], 0.0),  # shares, not counts
        ([50, 50], [40, 60], 0.1 * math.log(0.6 / 0.5) - 0.1 * math.log(0.4 / 0.5)),
        ([100, 0], [99, 1], 0.0099 * math.log(0.01 / 1e-4) - 0.01 * math.log(0.99)),  # floored
        ([0, 0], [1, 1], math.nan),
    ],
)
def test_psi(reference: list[int], current: list[int], expected: float) -> None:
    assert psi(reference, current) == pytest.approx(expected, nan_ok=True)


@pytest.mark.parametrize(
    ("reference", "current", "expected"),
    [
        ([1, 2, 3], [2, 4, 6], 0.0),
        ([1, 0], [0, 1], 1.0),
        ([50, 50], [40, 60], 0.0854351026),
        ([99, 1, 0], [99, 0, 1], math.sqrt(0.01)),
        ([0], [1], math.nan),
    ],
)
def test_jensen_shannon(reference: list[int], current: list[int], expected: float) -> None:
    assert jensen_shannon(reference, current) == pytest.approx(expected, nan_ok=True)


@pytest.mark.parametrize(
    ("value", "level"),
    [
        (0.0, "ok"),
        (0.0999, "ok"),
        (0.1, "warn"),
        (0.2499, "warn"),
        (0.25, "alert"),
        (math.inf, "alert"),
        (-1.0, "ok"),
        (math.nan, "warn"),
    ],
)
def test_threshold_classification(value: float, level: Level) -> None:
    assert Thresholds(0.1, 0.25).classify(value) == level


def test_thresholds_must_be_ordered() -> None:
    with pytest.raises(ValueError) as raised:
        Thresholds(0.3, 0.2)
    assert str(raised.value) == "warn threshold 0.3 exceeds alert threshold 0.2"


# -- the requirements: effect sizes at 1M rows -----------------------------------------

Generator = Callable[[np.random.Generator, int], np.ndarray]
DISTRIBUTIONS: dict[str, Generator] = {
    "normal": lambda rng, n: rng.normal(50.0, 8.0, n),
    "lognormal": lambda rng, n: rng.lognormal(0.0, 0.75, n),
    "uniform": lambda rng, n: rng.uniform(-3.0, 9.0, n),
}


def _numeric_level(distribution: str, shift_sd: float, scale: float) -> FeatureDrift:
    draw = DISTRIBUTIONS[distribution]
    reference = draw(np.random.default_rng(1), ROWS)
    mean, sd = reference.mean(), reference.std()
    current = draw(np.random.default_rng(2), ROWS)
    current = (current - mean) * scale + mean + shift_sd * sd
    report = compare(
        profile_table(pa.table({"x": reference})), profile_table(pa.table({"x": current}))
    )
    (feature,) = report.features
    return feature


@pytest.mark.parametrize("distribution", sorted(DISTRIBUTIONS))
@pytest.mark.parametrize(
    ("shift_sd", "scale", "level"),
    [
        (0.0, 1.0, "ok"),
        (0.02, 1.0, "ok"),
        (-0.02, 1.0, "ok"),
        (0.5, 1.0, "alert"),
        (-0.5, 1.0, "alert"),
        (0.0, 1.5, "alert"),
        (0.0, 1 / 1.5, "alert"),
    ],
)
def test_numeric_requirements(distribution: str, shift_sd: float, scale: float, level: str) -> None:
    feature = _numeric_level(distribution, shift_sd, scale)
    assert feature.level == level, feature.statistics


def _mix(shares: list[float], seed: int) -> pa.Table:
    names = np.array([f"cat-{i}" for i in range(len(shares))])
    codes = np.random.default_rng(seed).choice(len(shares), ROWS, p=np.array(shares) / sum(shares))
    return pa.table({"c": pa.array(names[codes])})


BASE_MIXES = {
    "five": [0.35, 0.25, 0.20, 0.15, 0.05],
    "two even": [0.5, 0.5],
    "ten even": [0.1] * 10,
    "with a rare one": [0.60, 0.37, 0.03],
}


def _move(shares: list[float], moves: dict[int, float]) -> list[float]:
    moved = list(shares)
    for index, delta in moves.items():
        moved[index] += delta
    assert math.isclose(sum(moved), 1.0) and min(moved) >= 0
    return moved


@pytest.mark.parametrize("mix", sorted(BASE_MIXES))
@pytest.mark.parametrize(
    ("name", "level"),
    [
        ("unchanged", "ok"),
        ("1 point from the largest to the smallest", "ok"),
        ("1 point from the smallest to the largest", "ok"),
        ("10 points from the largest to the smallest", "alert"),
        ("10 points spread over every category", "alert"),
    ],
)
def test_categorical_requirements(mix: str, name: str, level: str) -> None:
    shares = BASE_MIXES[mix]
    order = np.argsort(shares, kind="stable")
    big, small, k = int(order[-1]), int(order[0]), len(shares)
    half = k // 2
    moves: dict[int, float] = {
        "unchanged": {},
        "1 point from the largest to the smallest": {big: -0.01, small: 0.01},
        "1 point from the smallest to the largest": {big: 0.01, small: -0.01},
        "10 points from the largest to the smallest": {big: -0.1, small: 0.1},
        "10 points spread over every category": {
            **{i: -0.1 / half for i in range(half)},
            **{i: 0.1 / (k - half) for i in range(half, k)},
        },
    }[name]
    if mix == "with a rare one" and name == "10 points spread over every category":
        moves = {0: -0.05, 1: -0.05, 2: 0.1}
    report = compare(profile_table(_mix(shares, 1)), profile_table(_mix(_move(shares, moves), 2)))
    (feature,) = report.features
    assert feature.level == level, feature.statistics


# -- schema, nulls, unseen categories, score -------------------------------------------


@pytest.mark.parametrize(
    ("current", "issues"),
    [
        (pa.table({"a": [1], "b": ["x"]}), ()),
        (pa.table({"b": ["x"]}), (SchemaIssue("missing_column", "a", "int64", None, "alert"),)),
        (
            pa.table({"a": [1], "b": ["x"], "c": [1.0]}),
            (SchemaIssue("new_column", "c", None, "double", "warn"),),
        ),
        (
            pa.table({"a": [1.0], "b": ["x"]}),
            (SchemaIssue("type_changed", "a", "int64", "double", "warn"),),
        ),
        (
            pa.table({"a": ["1"], "b": ["x"]}),
            (SchemaIssue("type_changed", "a", "int64", "string", "alert"),),
        ),
        # storage variants of one logical type are no change
        (pa.table({"a": [1], "b": pa.array(["x"], pa.large_string())}), ()),
        (pa.table({"a": [1], "b": pa.array(["x"]).dictionary_encode()}), ()),
    ],
)
def test_schema_checks(current: pa.Table, issues: tuple[SchemaIssue, ...]) -> None:
    reference = profile_table(pa.table({"a": [1, 2], "b": ["x", "y"]}))
    assert schema_checks(reference, profile_table(current)) == issues


@pytest.mark.parametrize(
    ("arrow_type", "logical"),
    [
        ("large_string", "string"),
        ("string", "string"),
        ("dictionary<values=string, indices=int8, ordered=0>", "string"),
        ("dictionary<values=large_string, indices=int32, ordered=1>", "string"),
        ("dictionary<values=int64, indices=int8, ordered=0>", "int64"),
        ("large_binary", "binary"),
        ("int32", "int32"),
        ("timestamp[us]", "timestamp[us]"),
    ],
)
def test_logical_type(arrow_type: str, logical: str) -> None:
    assert logical_type(arrow_type) == logical


@pytest.mark.parametrize(
    ("reference_nulls", "current_nulls", "level"),
    [(0, 0, "ok"), (10, 0, "ok"), (0, 1, "ok"), (0, 2, "warn"), (5, 14, "warn"), (0, 10, "alert")],
)
def test_null_rate_jump(reference_nulls: int, current_nulls: int, level: str) -> None:
    def column(nulls: int) -> pa.Table:
        return pa.table(
            {"x": pa.array([float(i % 7) for i in range(100 - nulls)] + [None] * nulls)}
        )

    (feature,) = compare(
        profile_table(column(reference_nulls)), profile_table(column(current_nulls))
    ).features
    jump = feature.statistic("null_rate_jump")
    assert jump.value == pytest.approx((current_nulls - reference_nulls) / 100)
    assert jump.level == level
    assert feature.level == level


def test_unseen_categories_are_listed_with_their_share_of_rows() -> None:
    reference = CategoricalSummary(0, {"a": 50, "b": 50})
    current = CategoricalSummary(10, {"a": 40, "b": 44, "new": 4, "newer": 2})
    feature = categorical_drift("c", reference, current)
    assert feature.unseen_categories == (("new", 0.04), ("newer", 0.02))
    share = feature.statistic("unseen_share")
    assert (share.name, share.level) == ("unseen_share", "alert")
    assert share.value == pytest.approx(0.06)
    assert (feature.reference_null_rate, feature.current_null_rate) == (0.0, 0.1)


def test_score_column_is_reported_as_prediction_drift() -> None:
    rng = np.random.default_rng(5)

    def table(score_shift: float) -> pa.Table:
        return pa.table(
            {"f": rng.normal(0, 1, 50_000), "score": rng.beta(2, 5, 50_000) + score_shift}
        )

    report = compare(
        profile_table(table(0.0), score_column="score"),
        profile_table(table(0.2), score_column="score"),
    )
    assert [f.column for f in report.features] == ["f"]
    assert report.features[0].level == "ok"
    assert report.score is not None and report.score.level == "alert"
    assert report.verdict() == "alert"
    assert report.verdict(VerdictRule.at_least(2)) == "warn"


def test_empty_current_batch_warns_rather_than_passing() -> None:
    reference = profile_table(pa.table({"x": [1.0, 2.0], "c": ["a", "b"]}))
    current = profile_table(
        pa.table({"x": pa.array([], pa.float64()), "c": pa.array([], pa.string())})
    )
    report = compare(reference, current)
    assert [f.level for f in report.features] == ["warn", "warn"]
    assert math.isnan(report.features[0].statistic("wasserstein").value)


def test_constant_reference_column() -> None:
    reference = profile_table(pa.table({"x": [3.0] * 10}))
    same = compare(reference, profile_table(pa.table({"x": [3.0] * 5})))
    moved = compare(reference, profile_table(pa.table({"x": [4.0] * 5})))
    assert same.features[0].statistic("wasserstein").value == 0.0
    assert moved.features[0].statistic("wasserstein").value == math.inf
    assert (same.verdict(), moved.verdict()) == ("ok", "alert")


def test_custom_thresholds_apply() -> None:
    reference = profile_table(pa.table({"x": np.arange(1000.0)}))
    current = profile_table(pa.table({"x": np.arange(1000.0) + 50}))
    strict = DriftConfig(wasserstein=Thresholds(0.01, 0.1), psi=Thresholds(0.01, 0.02))
    assert compare(reference, current).features[0].level == "warn"
    assert compare(reference, current, strict).features[0].level == "alert"


# -- dataset-level verdict ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("levels", "rule", "expected"),
    [
        ([], VerdictRule(), "ok"),
        (["ok", "ok"], VerdictRule(), "ok"),
        (["ok", "warn"], VerdictRule(), "warn"),
        (["ok", "alert"], VerdictRule(), "alert"),
        (["alert", "ok", "ok"], VerdictRule.at_least(2), "warn"),
        (["alert", "alert", "ok"], VerdictRule.at_least(2), "alert"),
        (["alert", "ok", "ok", "ok"], VerdictRule.share(0.25), "alert"),
        (["alert", "ok", "ok", "ok", "ok"], VerdictRule.share(0.25), "warn"),
        (
            ["alert", "alert", "ok", "ok", "ok"],
            VerdictRule(min_alerts=3, min_alert_share=0.4),
            "alert",
        ),
        (["ok", "ok"], VerdictRule.share(0.0), "ok"),
    ],
)
def test_verdict(levels: list[Level], rule: VerdictRule, expected: Level) -> None:
    assert verdict(levels, rule) == expected
