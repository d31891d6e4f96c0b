"""A monorepo: one DVC pipeline per model, in `models/alpha/dvc.yaml` and
`models/beta/dvc.yaml`, both running the repository's shared code (`src/`). As in DVC,
each pipeline's paths are relative to its directory and its dvc.lock sits beside it.

Built here with real git and DVC, it goes through `init --pipeline`, `validate`, `run`,
`check`, `promote`, `report`, `history`, `matrix`, `audit verify` and `reproduce`, each
model through its own pipeline; a change to one model's directory concerns that model
alone, a change to the shared code both."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.support.project import RESOURCES, Project, make_project

MODELS = ("alpha", "beta")

PIPELINE = """\
stages:
  train:
    cmd: python ../../src/train.py
    deps:
      - ../../src/train.py
      - data/input.csv
    params:
      - train
    outs:
      - model/model.bin
  evaluate:
    cmd: python ../../src/evaluate.py
    deps:
      - ../../src/evaluate.py
      - model/model.bin
      - data/input.csv
    outs:
      - eval/predictions.csv
    metrics:
      - eval/metrics.json:
          cache: false
"""


def pipelines(tmp_path: Path, folders: list[str], pipeline: str) -> Project:
    """The tiny project made a monorepo: ``pipeline`` (a dvc.yaml) in each of ``folders``,
    with params and data of its own, reproduced and committed; no declaration yet."""
    project = make_project(tmp_path, "tiny", repro=False)
    for name in ("dvc.yaml", "params.yaml", "pipelines/tiny.yaml"):
        (project.path / name).unlink()
    shutil.rmtree(project.path / "data")
    for i, folder in enumerate(folders):
        project.write(f"{folder}/dvc.yaml", pipeline)
        project.write(f"{folder}/params.yaml",
                      f"train:\n  seed: {3 + i}\n  quality: 0.8\n  rows: 400\n")
        (project.path / folder / "data").mkdir()
        shutil.copy(RESOURCES / "tiny/data/input.csv", project.path / folder / "data")
    project.dvc("repro", "-q", "--all-pipelines")
    project.commit_all(f"{len(folders)} pipelines, one a folder, shared code")
    return project


@pytest.fixture
def mono(tmp_path: Path) -> Project:
    project = pipelines(tmp_path, [f"models/{model}" for model in MODELS], PIPELINE)
    project.push_main()
    project.dvc("push", "-q")
    return project


def adopt(cli: Any, project: Project) -> None:
    for model in MODELS:
        result = cli("init", "--pipeline", f"models/{model}/dvc.yaml", "--model", model,
                     cwd=project.path)
        assert result.code == 0, result.out + result.err
    project.commit_all("adopt mlgate")
    project.push_main()


def test_init_validate_check_promote_report_history(mono: Project, cli: Any) -> None:
    adopt(cli, mono)
    written = (mono.path / "pipelines/alpha.yaml").read_text()
    assert 'pipeline: "models/alpha/dvc.yaml"' in written
    assert 'artifact: "models/alpha/model/model.bin"' in written  # from the root
    assert '  files: ["models/alpha/eval/metrics.json"]' in written
    assert (mono.path / ".github/workflows/mlgate-promote.yml").is_file()
    assert cli("validate", cwd=mono.path).code == 0

    ran = cli("run", "--format", "json", cwd=mono.path)
    assert ran.code == 0, ran.out + ran.err
    metrics = json.loads(ran.out)
    assert metrics["alpha"]["roc_auc"] != metrics["beta"]["roc_auc"]  # each its own run
    for model in MODELS:
        checked = cli("check", model, "--env", "staging", "--format", "json", cwd=mono.path)
        assert checked.code == 0, checked.out + checked.err
        rows = {r["gate"]: r for r in json.loads(checked.out)["results"]}
        assert rows["metrics recomputed"]["passed"], rows  # re-run in models/<model>/
        assert rows["reproducible"]["passed"], rows

    records = {}
    for model in MODELS:
        promoted = cli("promote", model, "--env", "staging", "--push", "--format", "json",
                       cwd=mono.path)
        assert promoted.code == 0, promoted.out + promoted.err
        records[model] = json.loads(promoted.out)["record"]["predicate"]
    assert records["alpha"]["dvc_lock"]["path"] == "models/alpha/dvc.lock"
    assert records["beta"]["metrics"]["roc_auc"] == metrics["beta"]["roc_auc"]
    assert "models/beta/params.yaml" in records["beta"]["params"]
    history = cli("history", "alpha", "--format", "json", cwd=mono.path)
    assert history.code == 0, history.err
    assert "alpha@v1.0.0" in history.out and "beta@" not in history.out
    verified = cli("audit", "verify", cwd=mono.path)
    assert verified.code == 0, verified.out + verified.err

    # a pull request that changes alpha's params: its report diffs alpha's params file
    mono.git("checkout", "-q", "-b", "better-alpha")
    params = mono.path / "models/alpha/params.yaml"
    params.write_text(params.read_text().replace("quality: 0.8", "quality: 0.9"))
    assert cli("run", "alpha", cwd=mono.path).code == 0
    mono.commit_all("a better alpha")
    report = cli("report", "alpha", "--base", "refs/heads/main", "--format", "json",
                 cwd=mono.path)
    assert report.code == 0, report.out + report.err
    shown = json.loads(report.out)
    assert [(p["name"], p["base"], p["head"]) for p in shown["params"]] == [
        ("models/alpha/params.yaml:train.quality", 0.8, 0.9)]
    beta = cli("report", "beta", "--base", "refs/heads/main", "--format", "json",
               cwd=mono.path)
    assert beta.code == 0, beta.out + beta.err
    assert json.loads(beta.out)["params"] == []  # alpha's params are not beta's


def matrix_since(cli: Any, project: Project, rev: str) -> list[str]:
    result = cli("matrix", "--since", rev, "--format", "json", cwd=project.path)
    assert result.code == 0, result.out + result.err
    return sorted(entry["model"] for entry in json.loads(result.out))


def test_a_change_concerns_the_models_whose_pipelines_it_touches(mono: Project,
                                                                 cli: Any) -> None:
    adopt(cli, mono)
    params = mono.path / "models/alpha/params.yaml"
    params.write_text(params.read_text().replace("quality: 0.8", "quality: 0.85"))
    mono.dvc("repro", "-q", "models/alpha/dvc.yaml")
    mono.commit_all("alpha's params")
    assert matrix_since(cli, mono, "HEAD~1") == ["alpha"]

    # shared code, changed without reproducing: both pipelines run it
    evaluate = mono.path / "src/evaluate.py"
    evaluate.write_text(evaluate.read_text() + "# shared by every model\n")
    mono.commit_all("shared code")
    assert matrix_since(cli, mono, "HEAD~1") == ["alpha", "beta"]

    mono.write("models/beta/NOTES.md", "beta's own notes\n")  # in beta's directory only
    mono.commit_all("beta's notes")
    assert matrix_since(cli, mono, "HEAD~1") == ["beta"]

    mono.write("README.md", "a README\n")
    mono.commit_all("docs")
    assert matrix_since(cli, mono, "HEAD~1") == []


def test_reproduce_reruns_the_models_own_pipeline(mono: Project, cli: Any) -> None:
    adopt(cli, mono)
    promoted = cli("promote", "beta", "--env", "staging", "--push", cwd=mono.path)
    assert promoted.code == 0, promoted.out + promoted.err
    result = cli("reproduce", "beta@v1.0.0", "--format", "json", cwd=mono.path)
    assert result.code == 0, result.out + result.err
    stages = json.loads(result.out)["stages"]
    assert stages == ["models/beta/dvc.yaml:train", "models/beta/dvc.yaml:evaluate"]


def test_a_pipeline_that_does_not_exist_is_bad_input(mono: Project, cli: Any) -> None:
    adopt(cli, mono)
    path = mono.path / "pipelines/alpha.yaml"
    path.write_text(path.read_text().replace("models/alpha/dvc.yaml", "models/gamma/dvc.yaml"))
    result = cli("validate", cwd=mono.path)
    assert result.code == 2
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1)
                if text.startswith("pipeline:"))
    assert f"pipelines/alpha.yaml:{line}:" in result.err
    assert "there is no models/gamma/dvc.yaml" in result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize("given", ["../other/dvc.yaml", "/abs/dvc.yaml", "models/a/x.yaml"])
def test_a_pipeline_outside_the_repository_is_refused_by_the_schema(
        mono: Project, cli: Any, given: str) -> None:
    adopt(cli, mono)
    path = mono.path / "pipelines/alpha.yaml"
    path.write_text(path.read_text().replace('"models/alpha/dvc.yaml"', json.dumps(given)))
    result = cli("validate", cwd=mono.path)
    assert result.code == 2, result.out + result.err
    assert "pipelines/alpha.yaml:" in result.err and "pipeline" in result.err


TEMPLATED = """\
vars:
  - regions: [north, south]
stages:
  prepare:
    foreach: ${regions}
    do:
      cmd: python ../../src/split.py ${item}
      deps: [../../src/split.py, data/input.csv]
      outs: ["data/${item}.csv"]
  train:
    cmd: python ../../src/train.py
    deps: [../../src/train.py, data/input.csv, data/north.csv, data/south.csv]
    params:
      - train
      - tuning.yaml:
    outs: [model/model.bin]
  evaluate:
    cmd: python ../../src/evaluate.py
    deps: [../../src/evaluate.py, model/model.bin, data/input.csv]
    outs: [eval/predictions.csv]
    metrics:
      - eval/metrics.json:
          cache: false
artifacts:
  alpha:
    path: model/model.bin
    type: model
    desc: alpha, from its own pipeline
"""
SPLIT = "import shutil, sys\nshutil.copy('data/input.csv', f'data/{sys.argv[1]}.csv')\n"


@pytest.fixture
def templated(mono: Project) -> Project:
    """alpha's pipeline as DVC's documentation writes one: a `foreach` over `vars:`, a
    whole params file, and an `artifacts:` entry, all relative to models/alpha/."""
    mono.write("models/alpha/dvc.yaml", TEMPLATED)
    mono.write("models/alpha/tuning.yaml", "lr: 0.1\n")
    mono.write("src/split.py", SPLIT)
    mono.dvc("repro", "-q", "models/alpha/dvc.yaml")
    mono.commit_all("alpha: foreach, a params file, an artifact")
    return mono


def test_a_templated_subdirectory_pipeline_reads_as_dvc_ran_it(templated: Project,
                                                               cli: Any) -> None:
    from mlgate.config.declarations import read_dvc_yaml, workspace_reader
    from mlgate.config.dvcfiles import parse_dvc_lock

    root = templated.path
    lock = parse_dvc_lock((root / "models/alpha/dvc.lock").read_bytes(),
                          "models/alpha/dvc.lock")
    parsed = read_dvc_yaml(workspace_reader(root), path="models/alpha/dvc.yaml")
    assert parsed is not None
    assert {s.name for s in parsed.stages} == set(lock.stages)  # as DVC named them
    north = parsed.stage("models/alpha/dvc.yaml:prepare@north")
    assert north is not None and north.outs == ("models/alpha/data/north.csv",)
    assert north.deps[0] == "src/split.py"  # `../../src/split.py`, from the root
    train = parsed.stage("models/alpha/dvc.yaml:train")
    assert train is not None
    assert "models/alpha/tuning.yaml:" in train.params  # the whole file, rooted
    assert "models/alpha/tuning.yaml" in lock.stages["models/alpha/dvc.yaml:train"].params

    result = cli("init", "--pipeline", "models/alpha/dvc.yaml", cwd=root)
    assert result.code == 0, result.out + result.err
    written = (root / "pipelines/alpha.yaml").read_text()
    assert 'dvc_artifact: "models/alpha:alpha"' in written  # GTO's address of it
    assert 'artifact: "models/alpha/model/model.bin"' in written
    assert 'description: "alpha, from its own pipeline"' in written
    checked = cli("validate", cwd=root)
    assert checked.code == 0, checked.out + checked.err


def test_a_dvc_artifact_outside_the_models_pipeline_is_bad_input(templated: Project,
                                                                 cli: Any) -> None:
    root = templated.path
    assert cli("init", "--pipeline", "models/alpha/dvc.yaml", cwd=root).code == 0
    path = root / "pipelines/alpha.yaml"
    before = path.read_text()
    path.write_text(before.replace('"models/alpha:alpha"', '"models/beta:alpha"'))
    result = cli("validate", cwd=root)
    assert result.code == 2, result.out + result.err
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1)
                if text.startswith("dvc_artifact:"))
    assert f"pipelines/alpha.yaml:{line}:" in result.err
    assert "models/beta/dvc.yaml" in result.err and "models/alpha/dvc.yaml" in result.err
    assert "Traceback" not in result.err
