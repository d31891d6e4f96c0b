"""`mlgate matrix`: the models a workflow acts on, in real repos."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.project import Project

OTHER_STAGE = """
  other:
    cmd: python src/other.py
    deps:
      - src/other.py
    params:
      - other
    outs:
      - other/model.bin
    metrics:
      - other/metrics.json:
          cache: false
"""
OTHER_SCRIPT = """import json, os, yaml
p = yaml.safe_load(open("params.yaml"))["other"]
os.makedirs("other", exist_ok=True)
open("other/model.bin", "w").write(str(p))
json.dump({"roc_auc": p["auc"]}, open("other/metrics.json", "w"))
"""


@pytest.fixture
def two_models(tiny: Project) -> Project:
    """tiny, plus a second model made by a stage of its own."""
    tiny.write("dvc.yaml", (tiny.path / "dvc.yaml").read_text() + OTHER_STAGE)
    tiny.write("src/other.py", OTHER_SCRIPT)
    tiny.write("params.yaml", (tiny.path / "params.yaml").read_text() + "other:\n  auc: 0.9\n")
    declaration = (tiny.path / "pipelines" / "tiny.yaml").read_text()
    other = (declaration.replace("name: tiny", "name: other")
             .replace("model/model.bin", "other/model.bin")
             .replace("eval/metrics.json", "other/metrics.json")
             .replace("predictions:\n  path: eval/predictions.csv\n", ""))
    other = other.split("        - kind: no_regression")[0]  # log_loss: not in its metrics
    tiny.write("pipelines/other.yaml", other)
    tiny.dvc("repro", "-q")
    tiny.commit_all("a second model")
    return tiny


def entries(cli: Any, project: Project, *args: str) -> list[dict[str, str]]:
    result = cli("matrix", *args, cwd=project.path)
    assert result.code == 0, result.err
    assert result.out.count("\n") == 1  # one line, for $GITHUB_OUTPUT
    data: list[dict[str, str]] = json.loads(result.out)
    return data


def test_every_model_into_its_first_environment(cli: Any, two_models: Project) -> None:
    assert entries(cli, two_models) == [{"model": "other", "env": "staging"},
                                        {"model": "tiny", "env": "staging"}]
    lines = cli("matrix", "--format", "lines", cwd=two_models.path)
    assert lines.out == "other staging\ntiny staging\n"


def test_one_model_into_a_named_environment(cli: Any, two_models: Project) -> None:
    assert entries(cli, two_models, "--model", "tiny", "--env", "production") == [
        {"model": "tiny", "env": "production"}]
    wrong = cli("matrix", "--model", "tiny", "--env", "prod", cwd=two_models.path)
    assert wrong.code == 2
    assert wrong.err == ("pipelines/tiny.yaml: model 'tiny' has no environment 'prod'\n"
                         "  hint: declared: staging, production\n")
    unknown = cli("matrix", "--model", "nope", cwd=two_models.path)
    assert unknown.code == 2
    assert "no model named 'nope'" in unknown.err


def test_only_the_models_a_push_changed(cli: Any, two_models: Project) -> None:
    project = two_models
    assert entries(cli, project, "--since", "HEAD") == []
    project.write("README.md", "documentation only\n")
    project.commit_all("docs")
    assert entries(cli, project, "--since", "HEAD~1") == []

    params = (project.path / "params.yaml").read_text()
    project.write("params.yaml", params.replace("auc: 0.9", "auc: 0.91"))
    project.dvc("repro", "-q")
    project.commit_all("other's params")
    assert entries(cli, project, "--since", "HEAD~1") == [{"model": "other", "env": "staging"}]
    assert entries(cli, project, "--since", "HEAD~2") == [{"model": "other", "env": "staging"}]

    policy = (project.path / "pipelines" / "tiny.yaml").read_text()
    project.write("pipelines/tiny.yaml", policy.replace("min: 0.7", "min: 0.71"))
    project.commit_all("tiny's policy")
    assert entries(cli, project, "--since", "HEAD~1") == [{"model": "tiny", "env": "staging"}]
    assert entries(cli, project, "--since", "HEAD~2") == [{"model": "other", "env": "staging"},
                                                          {"model": "tiny", "env": "staging"}]


def test_a_change_not_reproduced_yet_still_counts(cli: Any, two_models: Project) -> None:
    """A pull request's commit may change code or params without a new dvc.lock (CI
    reproduces it): the models whose stages read what it changed are the ones it concerns."""
    project = two_models
    params = (project.path / "params.yaml").read_text()
    project.write("params.yaml", params.replace("auc: 0.9", "auc: 0.95"))
    project.commit_all("other's params, not reproduced")
    assert entries(cli, project, "--since", "HEAD~1") == [{"model": "other", "env": "staging"}]

    project.write("src/evaluate.py", (project.path / "src/evaluate.py").read_text() + "#\n")
    project.commit_all("tiny's code, not reproduced")
    assert entries(cli, project, "--since", "HEAD~1") == [{"model": "tiny", "env": "staging"}]

    project.write("params.yaml", (project.path / "params.yaml").read_text() + "unused: 1\n")
    project.commit_all("a param no stage tracks")
    assert entries(cli, project, "--since", "HEAD~1") == []


@pytest.mark.parametrize("since", ["0" * 40, "f" * 40])
def test_without_a_known_previous_commit_every_model_counts(cli: Any, two_models: Project,
                                                            since: str) -> None:
    """A branch's first push (GitHub's `before` is zeros), or a force push."""
    result = cli("matrix", "--since", since, cwd=two_models.path)
    assert json.loads(result.out) == [{"model": "other", "env": "staging"},
                                      {"model": "tiny", "env": "staging"}]
    assert result.err == f"mlgate: {since!r} is no commit here: every model counts as changed\n"


def test_monitored_models_in_their_last_environment(cli: Any, two_models: Project) -> None:
    assert entries(cli, two_models, "--monitored") == []
    project = two_models
    project.write("pipelines/tiny.yaml", (project.path / "pipelines" / "tiny.yaml").read_text()
                  + "monitoring:\n  reference: eval/predictions.csv\n")
    assert entries(cli, project, "--monitored") == [
        {"model": "tiny", "env": "production", "reference": "eval/predictions.csv"}]


def test_a_declared_retrain_command_comes_along(cli: Any, two_models: Project) -> None:
    """For the retrain workflow, which runs it before `dvc repro`."""
    project = two_models
    declaration = (project.path / "pipelines" / "tiny.yaml").read_text()
    project.write("pipelines/tiny.yaml",
                  declaration + 'retrain:\n  command: ./fetch.sh "$MLGATE_MODEL"\n')
    tiny = {"model": "tiny", "env": "staging", "retrain": './fetch.sh "$MLGATE_MODEL"'}
    assert entries(cli, project, "--model", "tiny") == [tiny]
    assert entries(cli, project) == [{"model": "other", "env": "staging"}, tiny]

    project.write("pipelines/tiny.yaml", declaration + "retrain:\n  command: ''\n")
    empty = cli("matrix", "--model", "tiny", cwd=project.path)
    assert empty.code == 2
    assert empty.err == ("pipelines/tiny.yaml:40:12: retrain.command: expected at least 1 "
                         "characters, got 0\n")
