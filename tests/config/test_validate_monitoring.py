"""`mlgate validate`: monitoring.performance judged against the model's task, at its line."""

from __future__ import annotations

import pytest

from tests.support.project import RESOURCES, Project, make_project

F = "pipelines/tiny.yaml"
GOOD = (RESOURCES / "tiny" / "pipelines" / "tiny.yaml").read_text()
MONITORING = ("monitoring:\n  reference: eval/predictions.csv\n  id: id\n  label: label\n"
              "  performance:\n    metric: {metric}\n    max_gap: 0.05\n")
MULTICLASS = ("evaluation:\n  task: multiclass\n  holdout: data/holdout.csv\n  label: label\n"
              "  id: id\n{classes}"
              "  score: python src/score.py --model {{artifact}} --data {{features}} "
              "--out {{scores}}\n")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    project = make_project(tmp_path_factory.mktemp("tiny"), "tiny", repro=False)
    (project.path / "data" / "holdout.csv").write_text("id,x,label\n1,0.5,a\n")
    project.dvc("add", "-q", "data/holdout.csv")
    return project


def validate(project: Project, cli, text: str):  # type: ignore[no-untyped-def]
    (project.path / F).write_text(text)
    return cli("validate", cwd=project.path)


def test_a_metric_of_another_task(project: Project, cli) -> None:  # type: ignore[no-untyped-def]
    result = validate(project, cli, GOOD + MONITORING.format(metric="rmse"))
    assert (result.code, result.err) == (2, (
        f"{F}:44:13: monitoring.performance.metric: 'rmse' is no binary metric\n"
        "  hint: binary metrics: roc_auc, pr_auc, log_loss, brier, accuracy, f1, ks, gini, "
        "precision, recall (a model without `evaluation:` is binary; declare evaluation.task "
        "for another task)\n"))


def test_multiclass_needs_its_classes_and_a_multiclass_metric(project: Project, cli) -> None:  # type: ignore[no-untyped-def]
    declared = GOOD.replace("promotion:\n", MULTICLASS.format(classes="") + "promotion:\n", 1)
    declared = declared.replace("          metric: roc_auc\n          min: 0.7\n",
                                "          metric: accuracy\n          min: 0.7\n")
    result = validate(project, cli, declared + MONITORING.format(metric="roc_auc"))
    assert result.code == 2
    assert result.err.splitlines()[-4:] == [
        f"{F}:50:13: monitoring.performance.metric: 'roc_auc' is no multiclass metric",
        "  hint: multiclass metrics: accuracy, f1_macro, f1_weighted, log_loss, roc_auc_ovr",
        f"{F}:20:9: evaluation.task: monitoring.performance of a multiclass model needs "
        "evaluation.classes: production logs one score column per class, named as the class",
        "  hint: declare evaluation.classes, in the order of the scorer's columns"]


def test_a_multiclass_model_with_classes_and_its_metric_is_valid(project: Project, cli) -> None:  # type: ignore[no-untyped-def]
    declared = GOOD.replace("promotion:\n", MULTICLASS.format(classes="  classes: [a, b]\n")
                            + "promotion:\n", 1)
    result = validate(project, cli, declared + MONITORING.format(metric="f1_macro"))
    assert "monitoring" not in result.err and "classes" not in result.err, result.err

