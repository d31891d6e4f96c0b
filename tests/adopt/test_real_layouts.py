"""Projects laid out as DVC's documentation lays them out, built here with real git and
DVC: a `foreach`/`matrix` pipeline with params in a second file, data brought in with
`dvc import` from a second repository, and an `artifacts:` section naming two models.
Each goes through `init`, `validate`, `check`, `promote`, `report` and `history`."""

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
    from mlgate.config.declarations import load_model, read_dvc_yaml, workspace_reader
    from mlgate.config.dvcfiles import parse_dvc_lock
    from mlgate.config.stages import model_stages

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
    rows = ok(cli, foreach, "history", "tiny", "--format", "json")["history"]
    assert [(r["action"], r["version"]) for r in rows] == [("promote", "1.0.0")]


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


def source_repository(tmp_path: Path) -> tuple[Path, str]:
    """A second git + DVC repository holding data/raw.csv in its DVC remote."""
    src = tmp_path / "source"
    (src / "data").mkdir(parents=True)
    run("git", "init", "-q", cwd=src)
    for args in (["init", "-q"], ["config", "core.analytics", "false"],
                 ["remote", "add", "-d", "store", str(tmp_path / "source-remote")]):
        run(sys.executable, "-m", "dvc", *args, cwd=src)
    (src / "data/raw.csv").write_text("a,b\n1,2\n3,4\n")
    run(sys.executable, "-m", "dvc", "add", "-q", "data/raw.csv", cwd=src)
    run(sys.executable, "-m", "dvc", "push", "-q", cwd=src)
    run("git", "add", "-A", cwd=src)
    run("git", "commit", "-q", "-m", "raw data", cwd=src)
    run("git", "tag", "data-v1", cwd=src)
    return src, run("git", "rev-parse", "HEAD", cwd=src).strip()


@pytest.mark.slow
def test_imported_data_names_its_source(tmp_path: Path, cli: Any) -> None:
    src, commit = source_repository(tmp_path)
    project = make_project(tmp_path, "tiny", repro=False)
    project.dvc("import", "-q", str(src), "data/raw.csv", "-o", "data/raw.csv", "--rev",
                "data-v1")
    text = (project.path / "dvc.yaml").read_text()
    project.write("dvc.yaml", text.replace("      - data/input.csv\n",
                                           "      - data/input.csv\n      - data/raw.csv\n", 1))
    project.dvc("repro", "-q")
    project.commit_all("train on imported data too")
    project.push_main()
    project.dvc("push", "-q")

    ok(cli, project, "validate")
    ok(cli, project, "check", "tiny", "--env", "staging")
    promoted = ok(cli, project, "promote", "tiny", "--env", "staging", "--push", "--format",
                  "json")
    data = {d["path"]: d for d in promoted["record"]["predicate"]["data"]}
    assert data["data/raw.csv"]["source"] == {
        "repo": str(src), "path": "data/raw.csv", "rev": "data-v1", "rev_lock": commit,
        "dvc_file": "data/raw.csv.dvc"}
    assert "source" not in data["data/input.csv"]  # in git: no import
    ok(cli, project, "audit", "verify")
    forged_source(project, cli)

    project.git("checkout", "-q", "-b", "change")
    project.write("params.yaml", (project.path / "params.yaml").read_text().replace(
        "quality: 0.8", "quality: 0.85"))
    project.dvc("repro", "-q")
    project.commit_all("a change")
    report = ok(cli, project, "report", "tiny", "--format", "json")
    assert report["imports"] == [{"dependency": "data/raw.csv", "repo": str(src),
                                  "path": "data/raw.csv", "rev": "data-v1",
                                  "rev_lock": commit, "dvc_file": "data/raw.csv.dvc"}]
    markdown = ok(cli, project, "report", "tiny")
    assert (f"- `data/raw.csv`: imported from `data/raw.csv` of repository `{src}` at "
            f"`data-v1` (commit `{commit}`), recorded in `data/raw.csv.dvc`") in markdown
    ok(cli, project, "history", "tiny")


def forged_source(project: Project, cli: Any) -> None:
    """A record that claims its data came from elsewhere than the commit's `.dvc` file
    says is a finding of `audit verify` (without the check: none)."""
    from tests.support.audit import append, forged

    record = forged(project, "staging", action="promote")
    for entry in record["predicate"]["data"]:
        if "source" in entry:
            entry["source"] = {**entry["source"], "repo": "https://example.com/vetted.git"}
    append(project, record)
    result = cli("audit", "verify", "--format", "json", cwd=project.path)
    assert result.code == 1
    messages = [f["message"] for f in json.loads(result.out)["findings"]]
    assert any("data: data/raw.csv: the record says it was imported from" in m
               and "https://example.com/vetted.git" in m for m in messages), messages
    project.git("update-ref", "refs/heads/mlgate/ledger", "refs/heads/mlgate/ledger~1")


ARTIFACTS = """\
  package:
    cmd: python -c "import shutil; shutil.copy('model/model.bin', 'model/copy.bin')"
    deps: [model/model.bin]
    outs: [model/copy.bin]
  evaluate-copy:
    cmd: python src/evaluate_copy.py
    deps: [src/evaluate_copy.py, model/copy.bin, data/input.csv]
    outs: [evalcopy/predictions.csv]
    metrics:
      - evalcopy/metrics.json:
          cache: false
artifacts:
  tiny:
    path: model/model.bin
    type: model
    desc: The tiny classifier.
    labels: [credit, tiny]
  tiny-copy:
    path: model/copy.bin
    type: model
  notes:
    path: eval/predictions.csv
    type: data
"""


@pytest.mark.slow
def test_an_artifacts_section_with_two_models(tmp_path: Path, cli: Any) -> None:
    project = make_project(tmp_path, "tiny", repro=False)
    text = (project.path / "dvc.yaml").read_text()
    project.write("dvc.yaml", text + ARTIFACTS)
    evaluate = (project.path / "src/evaluate.py").read_text()
    project.write("src/evaluate_copy.py", evaluate.replace("model/model.bin", "model/copy.bin")
                  .replace('"eval"', '"evalcopy"').replace("eval/", "evalcopy/"))
    (project.path / "pipelines/tiny.yaml").unlink()
    project.dvc("repro", "-q")
    project.commit_all("two models")
    project.push_main()
    project.dvc("push", "-q")

    made = ok(cli, project, "init", "--format", "json")
    assert made["models"] == ["tiny", "tiny-copy"]
    tiny = (project.path / "pipelines/tiny.yaml").read_text()
    assert 'description: "The tiny classifier."' in tiny
    assert 'dvc_artifact: "tiny"' in tiny and 'labels: ["credit", "tiny"]' in tiny
    assert 'artifact: "model/copy.bin"' in (project.path / "pipelines/tiny-copy.yaml").read_text()
    ok(cli, project, "validate")
    project.commit_all("adopt mlgate")
    project.push_main()

    for name in ("tiny", "tiny-copy"):
        ok(cli, project, "check", name, "--env", "staging")
        ok(cli, project, "promote", name, "--env", "staging", "--push")
    shown = ok(cli, project, "show", "--format", "json")
    assert {m: v["environments"]["staging"]["version"] for m, v in shown["models"].items()} \
        == {"tiny": "v1.0.0", "tiny-copy": "v1.0.0"}
    history = ok(cli, project, "history", "--format", "json")["history"]
    assert {r["model"] for r in history} == {"tiny", "tiny-copy"}

    # the declaration and dvc.yaml's `artifacts:` disagree: file:line, exit 2
    project.write("pipelines/tiny.yaml", tiny.replace('artifact: "model/model.bin"',
                                                      'artifact: "model/copy.bin"'))
    line = 1 + tiny.splitlines().index(next(x for x in tiny.splitlines()
                                            if x.startswith("artifact:")))
    result = cli("validate", cwd=project.path)
    assert result.code == 2
    assert (f"pipelines/tiny.yaml:{line}:11: artifact: 'model/copy.bin' differs from the "
            "path of artifact 'tiny' in dvc.yaml: 'model/model.bin'") in result.err
    project.write("pipelines/tiny.yaml", tiny.replace('dvc_artifact: "tiny"',
                                                      'dvc_artifact: "notes"'))
    result = cli("validate", cwd=project.path)
    assert result.code == 2 and "artifact 'notes' in dvc.yaml has type 'data'" in result.err
