"""The deployment record carries the independent evaluation; `audit diff` shows it and
`reproduce` re-runs it and compares, on real git, DVC and CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.evaluated import make_evaluated, promote_staging, retrain
from tests.support.project import Project
from tests.support.registry import tag_record

Cli = Callable[..., Any]


@pytest.fixture(scope="module")
def promoted_twice(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """v1.0.0 (quality 0.8) then v1.1.0 (quality 0.85) promoted to staging."""
    project = make_evaluated(tmp_path_factory.mktemp("twice"))
    promote_staging(project)
    retrain(project, 0.85)
    project.dvc("push", "-q")
    project.push_main()
    project.git("fetch", "-q", "origin")
    promote_staging(project)
    return project


def test_the_record_carries_the_evaluation(promoted_twice: Project) -> None:
    first = tag_record(promoted_twice.path, "tiny#staging#1")["predicate"]["evaluation"]
    second = tag_record(promoted_twice.path, "tiny#staging#2")["predicate"]["evaluation"]
    assert first["holdout"]["md5"] == second["holdout"]["md5"]
    assert first["rows"] == second["rows"] == 600
    assert set(second["code"]) == {"src/score.py"}
    assert second["command"].startswith("python src/score.py --model {artifact}")
    assert first["paired"] == []  # nothing served staging yet
    (paired,) = second["paired"]
    assert paired["metric"] == "roc_auc" and paired["seed"] == 0
    assert paired["incumbent_version"] == "v1.0.0" and paired["environment"] == "staging"
    assert paired["difference"] > 0 and paired["low"] > -0.01
    incumbent = second["incumbents"]["staging"]
    assert incumbent["metrics"]["roc_auc"] == first["candidate"]["metrics"]["roc_auc"]
    assert second["candidate"]["metrics"]["roc_auc"] == pytest.approx(
        incumbent["metrics"]["roc_auc"] + paired["difference"])


def test_audit_diff_shows_the_evaluation(promoted_twice: Project, cli: Cli) -> None:
    result = cli("audit", "diff", "tiny#staging#1", "tiny#staging#2", "--format", "json",
                 cwd=promoted_twice.path)
    assert result.code == 0, result.err
    facts = {r["key"]: r for r in json.loads(result.out)["evaluation"]}
    assert facts["rows"]["a"] == facts["rows"]["b"] == 600
    assert facts["candidate roc_auc"]["a"] < facts["candidate roc_auc"]["b"]
    assert facts["paired roc_auc vs v1.0.0"]["a"] is None
    assert "bootstrap seed 0" in facts["paired roc_auc vs v1.0.0"]["b"]
    text = cli("audit", "diff", "tiny#staging#1", "tiny#staging#2", cwd=promoted_twice.path)
    assert "independent evaluation:" in text.out


@pytest.mark.slow
def test_reproduce_re_runs_the_evaluation(promoted_twice: Project, cli: Cli) -> None:
    result = cli("reproduce", "tiny#staging#2", "--format", "json", cwd=promoted_twice.path)
    assert result.code == 0, result.out + result.err
    data = json.loads(result.out)
    evaluation = [c for c in data["compared"] if c["kind"] == "evaluation"]
    paths = {c["path"] for c in evaluation}
    assert {"holdout md5", "scorer src/score.py", "candidate roc_auc",
            "paired roc_auc vs v1.0.0 low"} <= paths
    assert all(c["same"] for c in evaluation)
