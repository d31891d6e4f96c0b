"""dvc.yaml, dvc.lock and metrics files of odd shapes, as a pull request may commit them:
`mlgate check` and `report` exit 2 with file:line, what was expected and a hint, never 3,
and write nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.project import Project, make_project
from tests.support.registry import all_refs, copy_project

Cli = Callable[..., Any]
LOCK_HINT = ("  hint: dvc.lock is written by DVC: restore it from git, or re-create it with "
             "`dvc repro` or `dvc commit`")
YAML_HINT = "  hint: see https://dvc.org/doc/user-guide/project-structure/dvcyaml-files"
METRICS_HINT = ("  hint: the metrics file is written by the pipeline; re-run it "
                "(`mlgate run`)")


@pytest.fixture(scope="module")
def tiny_once(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return make_project(tmp_path_factory.mktemp("tiny"), "tiny")


@pytest.fixture
def repo(tiny_once: Project, tmp_path: Path) -> Project:
    return copy_project(tiny_once, tmp_path)


def run_bad(cli: Cli, repo: Project, path: str, content: str | bytes, *args: str) -> str:
    """Commit ``content`` at ``path`` and run ``args``: exit 2, nothing written; the error."""
    target = repo.path / path
    target.write_bytes(content if isinstance(content, bytes) else content.encode())
    if repo.git("status", "--porcelain"):  # the same content for the next verb
        repo.commit_all(f"an odd {path}")
        repo.push_main()  # merged: promote reads only what the default branch reaches
    before = (all_refs(repo.path), sorted(p.name for p in repo.path.iterdir()))
    result = cli(*args, cwd=repo.path)
    assert result.code == 2, result.err + result.out
    assert (all_refs(repo.path), sorted(p.name for p in repo.path.iterdir())) == before
    assert repo.git("status", "--porcelain") == ""
    return str(result.err.strip())


LOCKS = [
    pytest.param("schema: '2.0'\nstages: 5\n",
                 "dvc.lock:2:9: stages: expected a mapping of stage names to stages, got 5",
                 id="stages-a-number"),
    pytest.param("schema: '2.0'\nstages: [1]\n",
                 "dvc.lock:2:9: stages: expected a mapping of stage names to stages, got a list",
                 id="stages-a-list"),
    pytest.param("stages:\n  train: python src/train.py\n",
                 "dvc.lock:2:10: stages.train: expected a stage (a mapping with `cmd:`), got "
                 "'python src/train.py'", id="stage-a-string"),
    pytest.param("stages:\n  train:\n    cmd: python src/train.py\n    outs: 7\n",
                 "dvc.lock:4:11: stages.train.outs: expected a list of entries, got 7",
                 id="outs-a-number"),
    pytest.param("stages:\n  train:\n    outs:\n    - path: [a]\n",
                 "dvc.lock:4:13: stages.train.outs[0].path: expected a path, got a list",
                 id="path-a-list"),
    pytest.param("stages:\n  train:\n    deps:\n    - path: a\n      md5: 5\n",
                 "dvc.lock:5:12: stages.train.deps[0].md5: expected a hash (a string), got 5",
                 id="md5-a-number"),
    pytest.param("stages:\n  train:\n    params:\n      params.yaml: [1]\n",
                 "dvc.lock:4:20: stages.train.params.params.yaml: expected a mapping of "
                 "parameters to values, got a list", id="params-a-list"),
]


@pytest.mark.parametrize(("content", "message"), LOCKS)
def test_a_dvc_lock_of_the_wrong_shape(repo: Project, cli: Cli, content: str,
                                       message: str) -> None:
    for verb in (("check", "tiny", "--env", "staging"), ("report", "tiny")):
        assert run_bad(cli, repo, "dvc.lock", content, *verb) == f"{message}\n{LOCK_HINT}"


YAMLS = [
    pytest.param("stages: 5\n",
                 "dvc.yaml:1:9: stages: expected a mapping of stage names to stages, got 5",
                 id="stages-a-number"),
    pytest.param("stages:\n  train: python src/train.py\n",
                 "dvc.yaml:2:10: stages.train: expected a stage (a mapping with `cmd:`), got "
                 "'python src/train.py'", id="stage-a-string"),
    pytest.param("stages:\n  train:\n    cmd: [1]\n",
                 "dvc.yaml:3:10: stages.train.cmd: expected a command (a string or a list of "
                 "strings), got a list", id="cmd-of-numbers"),
    pytest.param("stages:\n  train:\n    cmd: x\n    outs: 7\n",
                 "dvc.yaml:4:11: stages.train.outs: expected a list of paths, got 7",
                 id="outs-a-number"),
    pytest.param("stages:\n  train:\n    cmd: x\n    params:\n    - params.yaml: 3\n",
                 "dvc.yaml:5:20: stages.train.params[0].params.yaml: expected a list of "
                 "parameter names, got 3", id="params-keys-a-number"),
    pytest.param("stages:\n  train:\n    foreach: [1]\n    do: 3\n",
                 "dvc.yaml:4:9: stages.train.do: expected a stage (a mapping with `cmd:`), "
                 "got 3", id="do-a-number"),
]


@pytest.mark.parametrize(("content", "message"), YAMLS)
def test_a_dvc_yaml_of_the_wrong_shape(repo: Project, cli: Cli, content: str,
                                       message: str) -> None:
    for verb in (("check", "tiny", "--env", "staging"), ("validate",)):
        assert run_bad(cli, repo, "dvc.yaml", content, *verb) == f"{message}\n{YAML_HINT}"


METRICS = [
    pytest.param("[" * 5000 + "]" * 5000, "eval/metrics.json:1:65: nested more than 64 "
                 "levels deep", id="nested-lists"),
    pytest.param('{"a":' * 5000 + "1" + "}" * 5000, "eval/metrics.json:1:321: nested more "
                 "than 64 levels deep", id="nested-objects"),
    pytest.param(b'{"roc_auc": 0.9, "note": "\xff"}', "eval/metrics.json:1:27: not valid "
                 "UTF-8: byte 0xff cannot be decoded", id="not-utf-8"),
    pytest.param("[0.9]", "eval/metrics.json:1: expected a JSON object of metrics",
                 id="a-list"),
]


@pytest.mark.parametrize(("content", "message"), METRICS)
def test_an_odd_metrics_file(repo: Project, cli: Cli, content: str | bytes,
                             message: str) -> None:
    hint = "  hint: save the file as UTF-8" if b"\xff" in (
        content if isinstance(content, bytes) else b"") else METRICS_HINT
    for verb in (("check", "tiny", "--env", "staging"), ("report", "tiny"),
                 ("promote", "tiny", "--env", "staging", "--dry-run")):
        err = run_bad(cli, repo, "eval/metrics.json", content, *verb)
        assert err == (message if "a JSON object" in message else f"{message}\n{hint}")
