"""`no_regression` on the same rows, judged purely from scores: the interval's bound on the
worse side against the tolerance, for each direction, relative tolerances, DeLong."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from mlgate.config.model import NoRegressionGate
from mlgate.evaluation import metrics
from mlgate.gates import paired_gate
from mlgate.gates.independent import Independent, Scored


def scored(task: str, labels: Any, scores: Any, who: str) -> Scored:
    return Scored(who, who * 8, scores, dict(metrics.compute(task, labels, scores)))  # type: ignore[arg-type]


def independent(candidate_noise: float, incumbent_noise: float, *, task: str = "binary",
                rows: int = 2000) -> Independent:
    rng = np.random.default_rng(5)
    signal = rng.normal(size=rows)
    if task == "binary":
        labels = (signal + rng.normal(size=rows) > 0).astype(float)

        def score(noise: float) -> Any:
            return 1 / (1 + np.exp(-(signal + rng.normal(scale=noise, size=rows))))
    else:
        labels = signal * 3 + 1

        def score(noise: float) -> Any:
            return labels + rng.normal(scale=noise, size=rows)
    cand, inc = score(candidate_noise), score(incumbent_noise)
    return Independent(pinned=_Pinned(task), rows=rows, labels=labels, classes=(),  # type: ignore[arg-type]
                       candidate=scored(task, labels, cand, "candidate"),
                       incumbents={"production": scored(task, labels, inc, "v1.0.0")})


class _Pinned:
    def __init__(self, task: str) -> None:
        self.evaluation = type("E", (), {"task": task})()


def gate(metric: str = "roc_auc", **kw: Any) -> NoRegressionGate:
    return NoRegressionGate(kind="no_regression", label=None, index=0, metric=metric, **kw)


@pytest.mark.parametrize(("cand", "inc", "tolerance", "method", "passed"), [
    (0.2, 2.0, 0.0, "bootstrap", True),    # clearly better: the lower bound is above 0
    (2.0, 0.2, 0.0, "bootstrap", False),   # clearly worse
    (2.0, 0.2, 0.5, "bootstrap", True),    # worse, within a (large) tolerance
    (0.2, 2.0, 0.0, "delong", True),
    (2.0, 0.2, 0.01, "delong", False),
])
def test_higher_is_better(cand: float, inc: float, tolerance: float, method: str,
                          passed: bool) -> None:
    found = independent(cand, inc)
    verdict = paired_gate.no_regression(gate(tolerance=tolerance, method=method),  # type: ignore[arg-type]
                                        "production", found)
    p = verdict.details["paired"]
    assert verdict.passed is passed
    assert p["method"] == method and p["rows"] == 2000
    assert p["low"] <= p["difference"] <= p["high"]
    assert p["difference"] == pytest.approx(found.candidate.metrics["roc_auc"]
                                            - found.incumbents["production"].metrics["roc_auc"])  # type: ignore[union-attr]
    assert verdict.passed is (p["low"] >= -tolerance)
    assert verdict.why.startswith("roc_auc on the same 2,000 holdout rows: candidate ")


def test_lower_is_better_judges_the_upper_bound() -> None:
    found = independent(0.5, 0.4, task="regression")
    verdict = paired_gate.no_regression(gate("rmse", tolerance=0.0), "production", found)
    p = verdict.details["paired"]
    assert p["difference"] > 0 and not verdict.passed  # a larger error is worse
    relative = paired_gate.no_regression(gate("rmse", tolerance=1.0, relative=True),
                                         "production", found)
    assert relative.passed  # within 100% of the incumbent's rmse
    assert relative.details["allowed"] == pytest.approx(p["incumbent"])


def test_no_incumbent_passes_saying_so() -> None:
    found = independent(0.5, 0.5)
    verdict = paired_gate.no_regression(gate(), "staging", found)
    assert verdict.passed and verdict.why == "no incumbent in staging: nothing to regress from"


def test_a_metric_the_task_lacks_fails_naming_the_task_metrics() -> None:
    verdict = paired_gate.no_regression(gate("rmse"), "production", independent(0.5, 0.5))
    assert not verdict.passed
    assert verdict.why.startswith("'rmse' is no binary metric that mlgate computes; binary "
                                  "metrics: roc_auc, ")


def test_the_bootstrap_is_seeded() -> None:
    found = independent(1.0, 1.1)
    a = paired_gate.no_regression(gate(seed=3), "production", found).details["paired"]
    b = paired_gate.no_regression(gate(seed=3), "production", found).details["paired"]
    c = paired_gate.no_regression(gate(seed=4), "production", found).details["paired"]
    assert a == b and (a["low"], a["high"]) != (c["low"], c["high"])
