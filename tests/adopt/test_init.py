"""`mlgate init` on a real DVC repository unlike the example: a regression, its own
layout, metrics in YAML, the model named by dvc.yaml's `artifacts:` section."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from mlgate.adopt import scaffold
from mlgate.adopt.infer import infer
from mlgate.config.dvcfiles import load_dvc_yaml
from mlgate.errors import MlgateError
from tests.support.project import RESOURCES, Project, dvc, git

WORKFLOWS = [f".github/workflows/mlgate-{n}.yml"
             for n in ("deploy", "monitor", "promote", "pull-request", "retrain")]
WRITTEN = ["pipelines/house-prices.yaml", ".github/CODEOWNERS", *WORKFLOWS]

EXPECTED = '''\
# house-prices: inferred by `mlgate init` from dvc.yaml. Review every TODO, then add
# thresholds to the gates (README.md, "YAML reference"); `mlgate validate` checks it.
name: house-prices
description: "Predicts a house's sale price (thousands) from its area, rooms and age."
owner:
  name: "Test Author"  # TODO: who answers for the model
  email: "author@example.com"
risk_tier: medium  # TODO: low, medium or high, as the model inventory records it
intended_use: "TODO: what the model may be used for, and what not"
review:
  last_validated: "2026-03-01"  # TODO: date of the last independent validation
  interval_days: 365
artifact: "artifacts/regressor.pkl"  # an output of stage 'fit'
dvc_artifact: "house-prices"  # its name in dvc.yaml's `artifacts:`
# Parameters that make it (recorded with every deployment): featurize.log_area, fit
metrics:
  files: ["results/metrics.yaml"]
  directions:
    "mae": lower
    "r2": higher
    "rmse": lower
  key: ["mae", "r2", "rmse"]
predictions:
  path: "results/predictions.csv"
  label: "y_true"
  score: "y_pred"
promotion:
  environments:
    - name: staging
      gates:
        - kind: reproducible
        - kind: no_regression
          metric: "mae"
          tolerance: 0
    - name: production
      requires:
        environment: staging
      approval:
        min_approvers: 1
      gates:
        - kind: reproducible
        - kind: no_regression
          metric: "mae"
          tolerance: 0
      rollback:
        gates:
          - kind: reproducible
# deploy:  # run by the deploy workflow once the artifact is verified
#   command: ./deploy.sh "$MLGATE_ARTIFACT" "$MLGATE_ENV" "$MLGATE_VERSION"
# retrain:  # run by the retrain workflow before `dvc repro`, to refresh the data
#   command: ./fetch-training-data.sh
'''


def regression_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *,
                    repro: bool = True) -> Project:
    """The scenario repo in git with DVC as `dvc init` leaves it (analytics not set)."""
    work = tmp_path / "houses"
    shutil.copytree(RESOURCES / "regression", work)
    git("init", "-q", cwd=work)
    dvc("init", "-q", cwd=work)
    if repro:
        dvc("repro", "-q", cwd=work)
    monkeypatch.setenv("GIT_COMMITTER_DATE", "2026-03-01T12:00:00Z")
    git("add", "-A", cwd=work)
    git("commit", "-q", "-m", "a regression pipeline", cwd=work)
    monkeypatch.delenv("GIT_COMMITTER_DATE")
    git("remote", "add", "origin", "git@github.com:acme-bank/houses.git", cwd=work)
    return Project(work, tmp_path / "none", tmp_path / "none")


def snapshot(root: Path) -> dict[str, tuple[int, bytes]]:
    return {p: ((root / p).stat().st_mtime_ns, (root / p).read_bytes())
            for p in [*WRITTEN, ".dvc/config"]}


def test_adopts_a_dvc_repository(cli: Any, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    repo = regression_repo(tmp_path, monkeypatch)
    assert "analytics" not in (repo.path / ".dvc" / "config").read_text()
    result = cli("init", cwd=repo.path)
    assert result.code == 0, result.err
    assert [line.split()[0] for line in result.out.splitlines()[2:2 + len(WRITTEN)]] == [
        *WRITTEN[:1], *sorted(WRITTEN[1:])]
    assert (repo.path / "pipelines" / "house-prices.yaml").read_text() == EXPECTED
    config = (repo.path / ".dvc" / "config").read_text()
    assert "analytics = false" in config and "check_update = false" in config

    settings = scaffold.Settings(default_branch="main", python_version="3.11",
                                 install="python -m pip install -r requirements.txt "
                                         "mlgate==0.1.0", owners="@acme-bank")
    assert scaffold.infer_settings(repo.path) == settings
    for relpath, text in scaffold.render_all(settings).items():
        assert (repo.path / relpath).read_text() == text, relpath

    validated = cli("validate", cwd=repo.path)
    assert (validated.code, validated.out) == (
        0, "pipelines/house-prices.yaml: ok (house-prices; staging -> production)\n")
    check = cli("check", "house-prices", "--env", "staging", cwd=repo.path)
    assert check.code == 1  # the new files are not committed yet: the tree is not clean
    assert "git tree" in check.out


def test_running_it_again_changes_nothing(cli: Any, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    repo = regression_repo(tmp_path, monkeypatch)
    assert cli("init", cwd=repo.path).code == 0
    before = snapshot(repo.path)
    again = cli("init", "--format", "json", cwd=repo.path)
    assert again.code == 0
    assert snapshot(repo.path) == before
    assert '"pipelines/house-prices.yaml": "unchanged"' in again.out


def test_never_overwrites_without_force(cli: Any, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    repo = regression_repo(tmp_path, monkeypatch)
    repo.write("pipelines/house-prices.yaml", "name: house-prices\n# mine\n")
    repo.write(".github/workflows/mlgate-deploy.yml", "# my own deploy\n")
    result = cli("init", cwd=repo.path)
    assert result.code == 2
    assert result.err == (
        "pipelines/house-prices.yaml: exists with other content; not overwritten\n"
        "  hint: re-run with --force to overwrite these files (nothing was written)\n"
        ".github/workflows/mlgate-deploy.yml: exists with other content; not overwritten\n"
        "  hint: re-run with --force to overwrite these files (nothing was written)\n")
    assert not (repo.path / ".github" / "CODEOWNERS").exists()
    assert (repo.path / ".github/workflows/mlgate-deploy.yml").read_text() == "# my own deploy\n"

    forced = cli("init", "--force", cwd=repo.path)
    assert forced.code == 0, forced.err
    assert "pipelines/house-prices.yaml                overwritten" in forced.out
    assert (repo.path / "pipelines" / "house-prices.yaml").read_text() == EXPECTED


def test_before_the_pipeline_has_run(cli: Any, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """No metrics or predictions yet: gates that need no threshold, and a TODO."""
    repo = regression_repo(tmp_path, monkeypatch, repro=False)
    assert cli("init", cwd=repo.path).code == 0
    text = (repo.path / "pipelines" / "house-prices.yaml").read_text()
    assert "directions" not in text and "predictions:" not in text
    assert "        # TODO: gates on the metrics, once the pipeline has written them\n" in text
    assert cli("validate", cwd=repo.path).code == 0


def test_outside_a_dvc_repository(cli: Any, tmp_path: Path) -> None:
    git("init", "-q", cwd=tmp_path)
    result = cli("init", cwd=tmp_path)
    assert result.code == 2
    assert result.err == (f"{tmp_path}: not a git repository with DVC initialised\n"
                          "  hint: mlgate works on DVC pipelines in git: `git init`, `dvc init`\n")


STAGE = "  {name}:\n    cmd: run\n    outs: [{outs}]\n    metrics: [{metrics}]\n"


def dvc_yaml(stages: dict[str, tuple[str, str]], artifacts: str = "") -> bytes:
    body = "stages:\n" + "".join(STAGE.format(name=n, outs=o, metrics=m)
                                 for n, (o, m) in stages.items())
    return (body + artifacts).encode()


@pytest.mark.parametrize(("text", "model", "expected"), [
    (dvc_yaml({"train": ("models/churn.joblib", "m.json")}), None,
     ("churn", "models/churn.joblib")),
    (dvc_yaml({"train": ("out/model.bin", "m.json")}), "Churn_V2", ("churn-v2", "out/model.bin")),
    (dvc_yaml({"a": ("models/a.pkl", "a.json"), "b": ("models/b.pkl", "b.json")}), "b",
     ("b", "models/b.pkl")),
    (dvc_yaml({"a": ("x/a.onnx", "a.json"), "b": ("x/b.onnx", "b.json")},
              "artifacts:\n  scorer:\n    path: x/b.onnx\n    type: model\n"
              "  notes:\n    path: x/a.onnx\n    type: doc\n"), None, ("scorer", "x/b.onnx")),
])
def test_which_output_is_the_model(text: bytes, model: str | None,
                                   expected: tuple[str, str], tmp_path: Path) -> None:
    found = infer(load_dvc_yaml(text), lambda _: None, tmp_path, model)
    assert (found.name, found.artifact) == expected


@pytest.mark.parametrize(("text", "model", "message", "hint"), [
    (dvc_yaml({"a": ("models/a.pkl", "a.json"), "b": ("models/b.pkl", "b.json")}), None,
     "cannot tell which output of dvc.yaml is the model: found models/a.pkl, models/b.pkl",
     "name it in dvc.yaml's `artifacts:` section (`dvc stage add` outputs, then "
     "`artifacts: {NAME: {path: ..., type: model}}`), or choose with --model"),
    (dvc_yaml({"prep": ("data/clean.csv", "q.json")}), None,
     "cannot tell which output of dvc.yaml is the model: no output looks like a model",
     "name it in dvc.yaml's `artifacts:` section (`dvc stage add` outputs, then "
     "`artifacts: {NAME: {path: ..., type: model}}`), or choose with --model"),
    (dvc_yaml({"t": ("m/a.pkl", "a.json")},
              "artifacts:\n  a:\n    path: m/a.pkl\n  b:\n    path: m/b.pkl\n"), None,
     "dvc.yaml declares several artifacts: choose one with --model", "artifacts: a, b"),
    (b"stages:\n  train:\n    cmd: run\n    outs: [models/m.pkl]\n", None,
     "dvc.yaml declares no metrics file",
     "gates judge metrics: declare the evaluation's output under `metrics:`, at the top "
     "of dvc.yaml or of its stage (JSON, YAML or TOML)"),
    (dvc_yaml({"t": ("m/a.pkl", "a.json")}, "artifacts:\n  a:\n    path: m/elsewhere.pkl\n"),
     None, "'m/elsewhere.pkl' is not an output of any stage",
     "the model artifact must be written by a stage (`outs:`)"),
])
def test_when_the_model_cannot_be_inferred(text: bytes, model: str | None, message: str,
                                           hint: str, tmp_path: Path) -> None:
    with pytest.raises(MlgateError) as caught:
        infer(load_dvc_yaml(text), lambda _: None, tmp_path, model)
    assert (caught.value.message, caught.value.hint) == (message, hint)


def test_install_line(tmp_path: Path) -> None:
    assert scaffold.install_command(tmp_path) == "python -m pip install mlgate==0.1.0"
    (tmp_path / "requirements.txt").write_text("pandas\nmlgate @ git+https://example/m.git\n")
    (tmp_path / "constraints.txt").write_text("pandas==2.2\n")
    assert scaffold.install_command(tmp_path) == (
        "python -m pip install -c constraints.txt -r requirements.txt")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "houses"\n'
                                             'requires-python = ">=3.12"\n')
    assert scaffold.install_command(tmp_path) == (
        "python -m pip install -c constraints.txt -r requirements.txt -e .")
    assert scaffold.python_version(tmp_path) == "3.12"
    (tmp_path / ".python-version").write_text("3.13.1\n")
    assert scaffold.python_version(tmp_path) == "3.13"
