"""A regression (diabetes) and a multiclass (wine) project, real git and DVC, through
`init`, `validate`, `check`, `promote`, `report`, `evaluate` and `monitor` with labels:
every figure mlgate shows is the one scikit-learn computes on the same holdout rows."""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sklearn import metrics as skm

from tests.support.project import make_project
from tests.support.tasks import declare, holdout, production_batch, retrain_worse

Cli = Callable[..., Any]


def holdout_metric(project_path: Path, name: str, metric: str) -> float:
    """What scikit-learn makes of the working tree's model on the holdout."""
    with (project_path / "model/model.pkl").open("rb") as fh:
        model = pickle.load(fh)
    rows = holdout(name)
    features = rows[model.feature_names_in_]
    if name == "diabetes":
        predicted = model.predict(features)
        return float({"rmse": skm.root_mean_squared_error, "r2": skm.r2_score}[metric](
            rows["target"], predicted))
    p = model.predict_proba(features)
    if metric == "accuracy":
        return float(skm.accuracy_score(rows["target"], p.argmax(axis=1)))
    return float(skm.log_loss(rows["target"], p))


@pytest.mark.slow
@pytest.mark.parametrize(("name", "threshold", "paired"), [
    ("diabetes", "r2", "rmse"),
    ("wine", "accuracy", "log_loss"),
])
def test_task_project_end_to_end(tmp_path: Path, cli: Cli, name: str, threshold: str,
                                 paired: str) -> None:
    project = make_project(tmp_path, name)
    result = cli("init", cwd=project.path)
    assert result.code == 0, result.err
    assert (project.path / "pipelines" / f"{name}.yaml").is_file()
    declare(project, name)
    result = cli("validate", cwd=project.path)
    assert result.code == 0, result.out + result.err

    result = cli("check", name, "--env", "staging", "--format", "json", cwd=project.path)
    assert result.code == 0, result.out + result.err
    result = cli("promote", name, "--env", "staging", "--push", cwd=project.path)
    assert result.code == 0, result.out + result.err
    served = holdout_metric(project.path, name, threshold)

    # production: the served model's scores on rows it never saw, labels arriving apart
    batch, labels = production_batch(project, name, tmp_path)
    result = cli("monitor", name, "--current", str(batch), "--labels", str(labels), "--env",
                 "staging", "--format", "json", cwd=project.path)
    assert result.code in (0, 1), result.err
    perf = json.loads(result.out)["performance"]
    monitored = {"diabetes": "rmse", "wine": "accuracy"}[name]
    assert perf["metric"] == monitored
    assert perf["production"] == pytest.approx(holdout_metric(project.path, name, monitored),
                                               rel=1e-6)
    assert (perf["labelled_rows"], perf["unlabelled_rows"]) == (len(holdout(name)), 0)

    # a much worse candidate: the independent metrics and the paired comparison say so
    retrain_worse(project, name)
    result = cli("evaluate", name, "--against", "staging", "--format", "json",
                 cwd=project.path)
    assert result.code == 0, result.err
    data = json.loads(result.out)
    ev = data["evaluation"]
    assert ev["rows"] == len(holdout(name))
    assert ev["incumbents"]["staging"]["metrics"][threshold] == pytest.approx(served, rel=1e-6)
    assert ev["candidate"]["metrics"][paired] == pytest.approx(
        holdout_metric(project.path, name, paired), rel=1e-6)
    (comparison,) = data["paired"]
    assert comparison["metric"] == paired
    assert comparison["low"] <= comparison["difference"] <= comparison["high"]
    assert comparison["low"] > 0  # rmse and log_loss rose: worse, beyond doubt

    result = cli("check", name, "--env", "staging", cwd=project.path)
    assert result.code == 1, result.out + result.err
    result = cli("report", name, "--format", "json", cwd=project.path)
    assert result.code in (0, 1), result.err
    assert paired in result.out


@pytest.mark.slow
def test_multiclass_monitor_refuses_a_label_that_is_no_class(tmp_path: Path, cli: Cli) -> None:
    project = make_project(tmp_path, "wine")
    assert cli("init", cwd=project.path).code == 0
    declare(project, "wine")
    assert cli("promote", "wine", "--env", "staging", "--push", cwd=project.path).code == 0
    batch, labels = production_batch(project, "wine", tmp_path)
    frame = pd.read_csv(labels)
    frame.loc[3, "target"] = 7
    frame.to_csv(labels, index=False)
    result = cli("monitor", "wine", "--current", str(batch), "--labels", str(labels), "--env",
                 "staging", cwd=project.path)
    assert (result.code, result.err) == (2, (
        f"{labels}: label column 'target' holds '7', which is none of the model's classes "
        "(0, 1, 2)\n  hint: the classes are evaluation.classes in the model declaration\n"))
