"""A lapsed model validation refuses every promotion, with its date, on real repos; a
rollback to an earlier version still serves it (see gates.process.validation)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.project import Project, make_project
from tests.support.registry import copy_project, new_candidate, registry_refs

Cli = Callable[..., Any]
F = "pipelines/tiny.yaml"
LAPSED = 'review:\n  last_validated: "2020-01-01"\n  interval_days: 30\n'
WHY = ("the model's validation lapsed after 2020-01-31 (last validated 2020-01-01); "
       "revalidate it and update review: in its declaration on the default branch")


@pytest.fixture(scope="module")
def pushed_tiny(tmp_path_factory: pytest.TempPathFactory) -> Project:
    project = make_project(tmp_path_factory.mktemp("pushed"), "tiny")
    project.dvc("push", "-q")
    return project


@pytest.fixture
def repo(pushed_tiny: Project, tmp_path: Path) -> Project:
    return copy_project(pushed_tiny, tmp_path)


def lapse(project: Project) -> None:
    """The declaration on main now says the validation ended on 2020-01-31."""
    text = (project.path / F).read_text()
    project.write(F, text[:text.index("review:")] + LAPSED + text[text.index("artifact:"):])
    project.commit_all("validation lapsed")
    project.push_main()


def validation_row(results: list[dict[str, Any]]) -> dict[str, Any]:
    [row] = [r for r in results if r["kind"] == "validation"]
    return row


def test_a_lapsed_validation_refuses_the_promotion_with_its_date(repo: Project, cli: Cli
                                                                 ) -> None:
    lapse(repo)
    before = registry_refs(repo.origin)
    promoted = cli("promote", "tiny", "--env", "staging", "--push", "--format", "json",
                   cwd=repo.path)
    assert promoted.code == 1, promoted.err
    data = json.loads(promoted.out)
    row = validation_row(data["decision"]["results"])
    assert (row["passed"], row["observed"], row["why"]) == (False, "lapsed 2020-01-31", WHY)
    assert [r["kind"] for r in data["decision"]["results"] if not r["passed"]] == ["validation"]
    after = registry_refs(repo.origin)  # no tag; the refusal is on the ledger, as any is
    assert {r for r in after if r.startswith("refs/tags/")} == {
        r for r in before if r.startswith("refs/tags/")}
    checked = cli("check", "tiny", "--env", "staging", "--format", "json", cwd=repo.path)
    assert checked.code == 1
    assert validation_row(json.loads(checked.out)["results"]) == row  # one judging path
    text = cli("check", "tiny", "--env", "staging", cwd=repo.path).out
    assert "lapsed 2020-01-31" in text


def test_a_rollback_still_serves_an_earlier_version(repo: Project, cli: Cli) -> None:
    assert cli("promote", "tiny", "--env", "staging", "--push", cwd=repo.path).code == 0
    new_candidate(repo, "second")
    assert cli("promote", "tiny", "--env", "staging", "--push", cwd=repo.path).code == 0
    lapse(repo)
    rolled = cli("rollback", "tiny", "--env", "staging", "--reason", "bad batch", "--push",
                 "--format", "json", cwd=repo.path)
    assert rolled.code == 0, rolled.out + rolled.err
    data = json.loads(rolled.out)
    assert data["version"] == "1.0.0"
    assert not [r for r in data["decision"]["results"] if r["kind"] == "validation"]
    again = cli("promote", "tiny", "--env", "staging", "--format", "json", cwd=repo.path)
    assert again.code == 1  # the newest version, promoted again: refused
