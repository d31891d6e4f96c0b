"""The tallies an engine that joins labels itself (Spark) hands the gap: every metric of a
task is computed from them, and a metric they cannot compute is refused, not guessed."""

from __future__ import annotations

import pytest

from mlgate.errors import MlgateError
from mlgate.evaluation import metrics
from mlgate.monitor.tallies import MULTICLASS, REGRESSION, RegressionTally, check_reducible


def test_every_metric_of_each_task_is_reducible() -> None:
    assert sorted(REGRESSION) == sorted(metrics.METRICS["regression"])
    assert sorted(MULTICLASS) == sorted(metrics.METRICS["multiclass"])
    for task in metrics.TASKS:
        for metric in metrics.METRICS[task]:
            check_reducible(task, metric)


def test_a_metric_no_tally_computes_is_exit_2_naming_it() -> None:
    with pytest.raises(MlgateError) as caught:
        RegressionTally(n=10, squared=4.0, spread=9.0).value("median_absolute_error")
    assert caught.value.message == (
        "--engine spark cannot compute the regression metric 'median_absolute_error' from "
        "aggregates (it computes rmse, mae, mape, r2)")
    assert caught.value.hint == "run this model's monitor with the local engine"
    assert RegressionTally(n=10, squared=4.0, spread=9.0).value("r2") == (
        pytest.approx(1 - 4 / 9), None)
