"""`mlgate validate`: a `confidence` or `slices` gate's metric judged against the model's
task (`evaluation.task`; binary without `evaluation:`), at the metric's line."""

from __future__ import annotations

import pytest

from tests.support.project import RESOURCES, Project, make_project

F = "pipelines/tiny.yaml"
GOOD = (RESOURCES / "tiny" / "pipelines" / "tiny.yaml").read_text()
STAGING = "        - kind: reproducible\n"
GATES = ("        - kind: confidence\n          metric: {confidence}\n          max: 60\n"
         "        - kind: slices\n          column: region\n          metric: {slices}\n"
         "          min: 0.1\n")
REGRESSION = ("evaluation:\n  task: regression\n  holdout: data/holdout.csv\n  label: label\n"
              "  id: id\n  score: python src/score.py --model {artifact} --data {features} "
              "--out {scores}\n")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    project = make_project(tmp_path_factory.mktemp("tiny"), "tiny", repro=False)
    (project.path / "data" / "holdout.csv").write_text("id,x,label\n1,0.5,1.5\n")
    project.dvc("add", "-q", "data/holdout.csv")
    return project


def declared(confidence: str, slices: str, evaluation: str = "") -> str:
    text = GOOD.replace(STAGING, STAGING + GATES.format(confidence=confidence, slices=slices),
                        1)
    return text.replace("promotion:\n", evaluation + "promotion:\n", 1)


def validate(project: Project, cli, text: str):  # type: ignore[no-untyped-def]
    (project.path / F).write_text(text)
    return cli("validate", cwd=project.path)


def test_without_evaluation_the_gates_judge_binary_metrics(project: Project, cli) -> None:  # type: ignore[no-untyped-def]
    result = validate(project, cli, declared("rmse", "roc_auc"))
    assert (result.code, result.err) == (2, (
        f"{F}:25:19: promotion.environments[0].gates[1].metric: 'rmse' is no binary metric; "
        "this confidence gate judges the model's task\n"
        "  hint: binary metrics: roc_auc, pr_auc, log_loss, brier, accuracy, f1, ks, gini, "
        "precision, recall (without `evaluation:` the gate reads the binary predictions "
        "file; declare evaluation.task for another task)\n"))


def test_a_regression_model_gates_on_regression_metrics(project: Project, cli) -> None:  # type: ignore[no-untyped-def]
    bad = validate(project, cli, declared("rmse", "roc_auc", REGRESSION))
    assert bad.code == 2
    assert bad.err.splitlines() == [
        f"{F}:35:19: promotion.environments[0].gates[2].metric: 'roc_auc' is no regression "
        "metric; this slices gate judges the model's task",
        "  hint: regression metrics: rmse, mae, r2, mape"]
    good = validate(project, cli, declared("rmse", "r2", REGRESSION))
    assert "metric" not in good.err, good.err
