"""The report's comparisons, pure: deltas and their direction, changed values, metric rows
with their slices' sizes, and the order of what moved. No git, no files."""

from __future__ import annotations

from typing import Any

import pytest

from mlgate.pullrequest.compare import (
    ABSENT,
    ValueChange,
    delta,
    diff_values,
    flatten,
    metric_rows,
    moved,
)


@pytest.mark.parametrize(("head", "base", "direction", "expected"), [
    (0.8712, 0.8612, "higher", ("+0.01", "better")),
    (0.8612, 0.8712, "higher", ("-0.01", "worse")),
    (0.30, 0.35, "lower", ("-0.05", "better")),
    (0.9, 0.9, "higher", ("±0", "same")),
    (410, 400, None, ("+10", None)),
    (1, 0.5, "higher", ("+0.5", "better")),
])
def test_delta(head: float, base: float, direction: Any, expected: tuple[str, Any]) -> None:
    found = delta(head, base, direction)
    assert found is not None
    assert (found.signed(), found.movement) == expected


@pytest.mark.parametrize(("head", "base"), [(None, 0.5), (0.5, None), ("x", 0.5),
                                             (float("nan"), 0.5), (True, 0.5)])
def test_no_delta_without_two_numbers(head: Any, base: Any) -> None:
    assert delta(head, base, "higher") is None


def test_diff_values() -> None:
    base = flatten({"train": {"lr": 0.1, "years": [2015], "flag": True, "gone": 1}})
    head = flatten({"train": {"lr": 0.1, "years": [2015, 2016], "flag": 1, "new": "x"}})
    assert diff_values(base, head) == [
        ValueChange("train.flag", True, 1),
        ValueChange("train.gone", 1, ABSENT),
        ValueChange("train.new", ABSENT, "x"),
        ValueChange("train.years", [2015], [2015, 2016]),
    ]
    assert [c.kind for c in diff_values(base, head)] == ["modified", "removed", "added",
                                                         "modified"]


def test_slice_metrics_carry_their_size() -> None:
    head = flatten({"auc": 0.9, "slices": {"SEX": {"1": {"auc": 0.8, "n": 120}}}})
    base = flatten({"auc": 0.8, "slices": {"SEX": {"1": {"auc": 0.85, "n": 100}}}})
    rows = metric_rows(["auc", "slices.SEX.1.auc", "slices.SEX.1.n"], head, base, {},
                       lambda name: None if name.endswith(".n") else "higher")
    assert [(r.support, r.vs_base and r.vs_base.movement) for r in rows] == [
        (None, "better"), (120, "worse"), (None, None)]  # a count is no count's size


def test_moved_metrics_by_how_much_they_moved_then_counts() -> None:
    """A slice that grew by 1,200 rows moved no metric: counts are the slices' sizes, and a
    loss in its own units moves by its change relative to its size."""
    head = flatten({"auc": 0.90, "rmse": 110.0, "n": 1500, "slices": {"g": {
        "a": {"auc": 0.80, "n": 738}, "b": {"auc": 0.95, "n": 762}, "c": {"n": 5}}}})
    base = flatten({"auc": 0.89, "rmse": 100.0, "n": 300, "slices": {"g": {
        "a": {"auc": 0.85, "n": 153}, "b": {"auc": 0.95, "n": 147}, "c": {"n": 2}}}})
    names = ["auc", "rmse", "n", "slices.g.a.auc", "slices.g.a.n", "slices.g.b.auc",
             "slices.g.b.n", "slices.g.c.n"]
    directions = {"auc": "higher", "rmse": "lower"}
    rows = moved(metric_rows(names, head, base, {},
                             lambda name: directions.get(name.rsplit(".", 1)[-1])))
    assert [(r.name, r.vs_base and r.vs_base.movement, r.support_base, r.support_head)
            for r in rows] == [
        ("rmse", "worse", None, None),  # 10 / 110
        ("slices.g.a.auc", "worse", 153, 738),  # 0.05
        ("auc", "better", None, None),  # 0.01
        ("n", None, None, None),
        ("slices.g.b.n", None, None, None),  # b's metric did not move: its size did
        ("slices.g.c.n", None, None, None),
    ]
