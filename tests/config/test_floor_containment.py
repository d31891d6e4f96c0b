"""What "contains the floor" means, gate by gate: a table, no files."""

from __future__ import annotations

from typing import Any

import pytest

from mlgate.config.floors import as_strict, shortfall
from mlgate.config.model import build_environment, build_gate


def gate(**raw: Any) -> Any:
    return build_gate(raw, 0)


@pytest.mark.parametrize(("mine", "floor", "holds"), [
    ({"kind": "threshold", "metric": "auc", "min": 0.8}, {"kind": "threshold", "metric": "auc",
                                                          "min": 0.8}, True),
    ({"kind": "threshold", "metric": "auc", "min": 0.79}, {"kind": "threshold",
                                                           "metric": "auc", "min": 0.8}, False),
    ({"kind": "threshold", "metric": "acc", "min": 0.9}, {"kind": "threshold", "metric": "auc",
                                                          "min": 0.8}, False),
    ({"kind": "threshold", "metric": "loss", "max": 0.4}, {"kind": "threshold",
                                                           "metric": "loss", "max": 0.5}, True),
    ({"kind": "threshold", "metric": "loss", "min": 0.0}, {"kind": "threshold",
                                                           "metric": "loss", "max": 0.5}, False),
    ({"kind": "confidence", "metric": "roc_auc", "min": 0.85, "level": 0.9},
     {"kind": "confidence", "metric": "roc_auc", "min": 0.8}, False),  # a looser level
    ({"kind": "confidence", "metric": "roc_auc", "min": 0.85, "level": 0.99,
      "min_samples": 500}, {"kind": "confidence", "metric": "roc_auc", "min": 0.8}, True),
    ({"kind": "no_regression", "metric": "auc", "tolerance": 0.02},
     {"kind": "no_regression", "metric": "auc", "tolerance": 0.01}, False),
    ({"kind": "no_regression", "metric": "auc", "tolerance": 0.01, "relative": True},
     {"kind": "no_regression", "metric": "auc", "tolerance": 0.01}, False),
    ({"kind": "slices", "column": "SEX", "metric": "log_loss", "min": 0.4},
     {"kind": "slices", "column": "SEX", "metric": "log_loss", "min": 0.5}, True),  # a ceiling
    ({"kind": "slices", "column": "SEX", "metric": "roc_auc", "min": 0.8, "min_size": 50},
     {"kind": "slices", "column": "SEX", "metric": "roc_auc", "min": 0.8}, False),
    ({"kind": "freshness", "max_age": "30d"}, {"kind": "freshness", "max_age": "12w"}, True),
    ({"kind": "reproducible"}, {"kind": "reproducible"}, True),
    ({"kind": "reproducible"}, {"kind": "freshness", "max_age": "1d"}, False),
])
def test_as_strict(mine: dict[str, Any], floor: dict[str, Any], holds: bool) -> None:
    assert as_strict(gate(**mine), gate(**floor)) is holds


def test_shortfall_names_what_is_missing() -> None:
    env = build_environment({"name": "production", "allow_unmerged": True,
                             "approval": {"min_approvers": 2, "exclude_author": False},
                             "requires": {"environment": "staging", "soak": "1h"}})
    floor = build_environment({"name": "production", "approval": {"min_approvers": 1},
                               "requires": {"environment": "staging", "soak": "1d"},
                               "gates": [{"kind": "reproducible"}]})
    assert shortfall(env, floor) == [
        "a gate at least as strict as `reproducible`",
        "approval with exclude_author: true",
        "requires staging with soak of at least 1d",
        "allow_unmerged: false (the floor does not allow unmerged commits)"]
