"""`mlgate evaluate` on real git + DVC repositories: the default branch's scorer and
holdout judge the candidate and the incumbent on the same rows."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.evaluated import make_evaluated, promote_staging, retrain
from tests.support.project import Project
from tests.support.registry import copy_project

Cli = Callable[..., Any]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """tiny with an evaluation, v1.0.0 promoted to staging (made once)."""
    project = make_evaluated(tmp_path_factory.mktemp("served"))
    promote_staging(project)
    return project


@pytest.fixture
def repo(served: Project, tmp_path: Path) -> Project:
    return copy_project(served, tmp_path)


def test_evaluate_scores_candidate_and_incumbent_on_the_same_rows(repo: Project, cli: Cli
                                                                  ) -> None:
    retrain(repo, 0.7)
    result = cli("evaluate", "tiny", "--against", "staging", "--format", "json", cwd=repo.path)
    assert result.code == 0, result.err
    data = json.loads(result.out)
    ev = data["evaluation"]
    assert ev["rows"] == 600
    assert ev["ref"] == "refs/remotes/origin/main"
    assert set(ev["code"]) == {"src/score.py"}
    cand = ev["candidate"]["metrics"]
    inc = ev["incumbents"]["staging"]["metrics"]
    assert ev["incumbents"]["staging"]["version"] == "v1.0.0"
    assert cand["roc_auc"] < inc["roc_auc"]  # quality 0.7 separates less than 0.8
    assert set(cand["slices"]["group"]) == {"a", "b"}
    (paired,) = data["paired"]
    assert paired["metric"] == "roc_auc" and paired["rows"] == 600
    assert paired["difference"] == pytest.approx(cand["roc_auc"] - inc["roc_auc"])
    assert paired["low"] <= paired["difference"] <= paired["high"] < 0
    text = cli("evaluate", "tiny", "--against", "staging", cwd=repo.path)
    assert text.code == 0
    assert "on the same 600 holdout rows: candidate" in text.out


def test_report_shows_the_paired_comparison_first(repo: Project, cli: Cli) -> None:
    retrain(repo, 0.7)
    result = cli("report", "tiny", "--base", "origin/main", cwd=repo.path)
    assert result.code == 1, result.err  # staging's no_regression fails on the holdout
    text = result.out
    section = text.index("#### Independent evaluation")
    assert section < text.index("#### Metrics")
    first = text[section:].splitlines()[2]
    assert first.startswith("- `roc_auc` on the same 600 holdout rows: candidate 0.")
    assert ", v1.0.0 in staging 0." in first and "95% CI -0." in first
    assert "committed by the candidate's pipeline" in text
    assert "produced by the candidate's own pipeline" not in text
    data = json.loads(cli("report", "tiny", "--base", "origin/main", "--format", "json",
                          cwd=repo.path).out)
    assert data["metrics_source"] == "independent"
    (comparison,) = data["evaluation"]["comparisons"]
    assert comparison["paired"]["rows"] == 600
    committed = {m["name"]: m for m in data["evaluation"]["metrics"]}["roc_auc"]
    assert committed["committed"] is not None and committed["candidate"] is not None


def test_report_without_evaluation_says_whose_numbers_they_are(tiny: Project, cli: Cli
                                                               ) -> None:
    result = cli("report", "tiny", "--base", "origin/main", "--format", "json", cwd=tiny.path)
    data = json.loads(result.out)
    assert data["metrics_source"] == "candidate_pipeline" and data["evaluation"] is None
    markdown = cli("report", "tiny", "--base", "origin/main", cwd=tiny.path).out
    assert "#### Independent evaluation" not in markdown
    assert "were produced by the candidate's own pipeline" in markdown
