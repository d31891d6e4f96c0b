"""Projects laid out as DVC's documentation lays them out, built here with real git, DVC and
GTO: a `foreach`/`matrix` pipeline with params in a second file, data brought in with
`dvc import` from a second repository, an `artifacts:` section naming two models, and a
registry that GTO made before mlgate came. Each goes through `init`, `validate`, `check`,
`promote`, `report` and `history`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.project import Project, make_project

GTO = [sys.executable, "-m", "gto.cli"]

FOREACH = """\
stages:
  prepare:
    foreach: [north, south]
    do:
      cmd: python src/split.py ${item}
      deps: [src/split.py, data/input.csv]
      outs: ["data/${item}.csv"]
  train:
    cmd: python src/train.py
    deps: [src/train.py, data/input.csv, data/north.csv, data/south.csv]
    params:
      - train
      - tuning.yaml: [lr]
    outs: [model/model.bin]
  evaluate:
    cmd: python src/evaluate.py
    deps: [src/evaluate.py, model/model.bin, data/input.csv]
    outs: [eval/predictions.csv]
    metrics:
      - eval/metrics.json:
          cache: false
  sweep:
    matrix:
      depth: [1, 2]
      crit: [gini, entropy]
    cmd: python src/split.py ${item.crit}-${item.depth}
    deps: [src/split.py, data/input.csv]
    outs: ["data/${item.crit}-${item.depth}.csv"]
"""
SPLIT = "import shutil, sys\nshutil.copy('data/input.csv', f'data/{sys.argv[1]}.csv')\n"


def run(*argv: str, cwd: Path) -> str:
    env = {**os.environ, "ITERATIVE_DO_NOT_TRACK": "1"}
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 0, f"{argv}: {proc.stdout}\n{proc.stderr}"
    return proc.stdout


def ok(cli: Any, project: Project, *args: str) -> Any:
    result = cli(*args, cwd=project.path)
    assert result.code == 0, f"{args}: {result.out}\n{result.err}"
    return json.loads(result.out) if "json" in args else result.out


@pytest.fixture
def foreach(tmp_path: Path) -> Project:
    project = make_project(tmp_path, "tiny", repro=False)
    project.write("dvc.yaml", FOREACH)
    project.write("src/split.py", SPLIT)
    project.write("tuning.yaml", "lr: 0.1\nunused: 1\n")
    project.dvc("repro", "-q")
    project.commit_all("a foreach pipeline")
    project.push_main()
    project.dvc("push", "-q")
    return project


@pytest.mark.slow
def test_a_foreach_pipeline_end_to_end(foreach: Project, cli: Any) -> None:
    from mlgate.config.declarations import read_dvc_yaml, workspace_reader
    from mlgate.config.dvcfiles import parse_dvc_lock
    from mlgate.config.stages import model_stages
    from mlgate.config.declarations import load_model

    lock = parse_dvc_lock((foreach.path / "dvc.lock").read_bytes())
    parsed = read_dvc_yaml(workspace_reader(foreach.path))
    assert parsed is not None
    assert {s.name for s in parsed.stages} == set(lock.stages) == {
        "prepare@north", "prepare@south", "train", "evaluate", "sweep@1-gini",
        "sweep@1-entropy", "sweep@2-gini", "sweep@2-entropy"}
    model = load_model(foreach.path, "tiny")
    assert model_stages(model, parsed) == ["prepare@north", "prepare@south", "train",
                                           "evaluate"]

    ok(cli, foreach, "init", "--model", "tiny", "--force")
    foreach.git("checkout", "-q", "--", "pipelines/tiny.yaml")  # keep the real thresholds
    ok(cli, foreach, "validate")
    foreach.commit_all("adopt mlgate")
    foreach.push_main()
    ok(cli, foreach, "check", "tiny", "--env", "staging")  # prepare@* are up to date
    promoted = ok(cli, foreach, "promote", "tiny", "--env", "staging", "--push", "--format",
                  "json")
    assert promoted["record"]["predicate"]["params"]["tuning.yaml"] == {"lr": 0.1}

    foreach.git("checkout", "-q", "-b", "tune")
    foreach.write("tuning.yaml", "lr: 0.2\nunused: 1\n")
    foreach.write("data/input.csv", (foreach.path / "data/input.csv").read_text() + "1,0\n")
    foreach.dvc("repro", "-q")
    foreach.commit_all("tune")
    report = ok(cli, foreach, "report", "tiny", "--format", "json")
    assert [(p["name"], p["base"], p["head"]) for p in report["params"]] == [
        ("tuning.yaml:lr", 0.1, 0.2)]  # `unused` is not tracked
    changed = {d["path"] for d in report["data"]}
    assert {"data/north.csv", "data/south.csv"} <= changed  # outputs of prepare@*
    rows = ok(cli, foreach, "history", "tiny", "--format", "json")
    assert rows


def test_foreach_names_as_dvc_names_them() -> None:
    """The naming rules of DVC 3 (dvc/parsing), for each kind of iterable."""
    from mlgate.config.dvcfiles import load_dvc_yaml

    text = b"""\
stages:
  a:
    foreach: [1, true, x]
    do: {cmd: "echo ${item}", outs: ["o/${item}"]}
  b:
    foreach: {us: {n: 1}, eu: {n: 2}}
    do: {cmd: "echo ${key} ${item.n}", outs: ["o/${key}-${item.n}"]}
  c:
    foreach: [{n: 1}, {n: 2}]
    do: {cmd: "echo ${item.n}", outs: ["o/c${item.n}"]}
  d:
    matrix: {m: [x, y], opts: [[1], [2]]}
    cmd: "echo ${item.m}"
    outs: ["o/d-${key}"]
  e:
    foreach: ${models}
    do: {cmd: "echo ${item}", outs: ["o/e-${item}"]}
vars:
  - models: [gbm, lr]
"""
    stages = {s.name: s for s in load_dvc_yaml(text, context={"models": ["gbm", "lr"]}).stages}
    assert list(stages) == ["a@1", "a@true", "a@x", "b@us", "b@eu", "c@0", "c@1",
                            "d@x-opts0", "d@x-opts1", "d@y-opts0", "d@y-opts1", "e@gbm",
                            "e@lr"]
    assert stages["b@eu"].outs == ("o/eu-2",) and stages["b@eu"].cmd == "echo eu 2"
    assert stages["c@1"].outs == ("o/c2",) and stages["d@y-opts1"].outs == ("o/d-y-opts1",)


def test_a_matrix_too_large_to_read(tmp_path: Path) -> None:
    """dvc.yaml comes with a pull request: a matrix of a billion stages is refused at its
    line, not expanded."""
    from mlgate.config.dvcfiles import load_dvc_yaml
    from mlgate.errors import InvalidFile

    lists = "\n".join(f"      k{i}: [{', '.join(str(n) for n in range(10))}]" for i in range(9))
    text = f"stages:\n  big:\n    matrix:\n{lists}\n    cmd: run\n"
    with pytest.raises(InvalidFile) as caught:
        load_dvc_yaml(text.encode())
    problem = caught.value.problems[0]
    assert (problem.path, problem.line, problem.message) == (
        "dvc.yaml", 4, "matrix generates 1000000000 stages, more than mlgate reads (10000)")
