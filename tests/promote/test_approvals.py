"""Approvals through `mlgate promote`, as an adversary would write them: the approval gate
counts GitHub logins of the right type only, and never lets an author of the change approve
it, even when the file names no author or several."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.project import Project, make_project
from tests.support.registry import all_refs, copy_project, mlgate

APPROVED_BY_ALICE = {"state": "approved", "user": {"login": "alice"},
                     "environments": [{"name": "production"}]}


@pytest.fixture(scope="module")
def staged_tiny(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """tiny in staging (production requires it), pushed with its outputs (made once)."""
    project = make_project(tmp_path_factory.mktemp("staged"), "tiny")
    project.dvc("push", "-q")
    staged = mlgate("promote", "tiny", "--env", "staging", "--push", cwd=project.path)
    assert staged.code == 0, staged.out + staged.err
    return project


@pytest.fixture
def repo(staged_tiny: Project, tmp_path: Path) -> Project:
    return copy_project(staged_tiny, tmp_path)


def approval_row(repo: Project, approvals: Path) -> tuple[int, dict[str, object]]:
    result = mlgate("promote", "tiny", "--env", "production", "--approvals", str(approvals),
                    "--format", "json", cwd=repo.path)
    assert result.code in (0, 1), result.out + result.err
    rows = json.loads(result.out)["decision"]["results"]
    row: dict[str, object] = next(r for r in rows if r["gate"] == "approval")
    return result.code, row


@pytest.mark.parametrize("author", [{"author": ""}, {"author": None}, {}, {"authors": []}],
                         ids=["empty", "null", "missing", "empty-list"])
def test_unknown_authors_are_a_refusal(repo: Project, tmp_path: Path,
                                       author: dict[str, object]) -> None:
    """alice wrote the change and approves it; git's author name ("Test User") is no GitHub
    login, so comparing with it would let her through."""
    path = tmp_path / "approvals.json"
    path.write_text(json.dumps({**author, "approvals": [APPROVED_BY_ALICE]}))
    code, row = approval_row(repo, path)
    assert code == 1
    assert (row["passed"], row["why"]) == (
        False, "the change's authors are not known, so their own approvals cannot be excluded")


def test_an_author_among_several_cannot_approve(repo: Project, tmp_path: Path) -> None:
    """The merger of a pull request is one author; alice, who wrote a commit of it, is
    another, and her approval does not count."""
    path = tmp_path / "approvals.json"
    path.write_text(json.dumps({"author": "merger", "authors": ["merger", "alice", "bob"],
                                "approvals": [APPROVED_BY_ALICE]}))
    code, row = approval_row(repo, path)
    assert code == 1
    assert (row["passed"], row["why"]) == (
        False, "0 distinct approvers (alice, the candidate's author, does not count); 1 needed")


@pytest.mark.parametrize(("approval", "message"), [
    pytest.param({"state": "approved", "user": {"login": 5},
                  "environments": [{"name": "production"}]},
                 ":3:43: $.approvals[0].user.login: expected a string, got 5\n"
                 "  hint: the approver's GitHub login", id="login-a-number"),
    pytest.param({"state": "approved", "user": {"login": "carol"},
                  "environments": "production"},
                 ":3:69: $.approvals[0].environments: expected a list, got 'production' "
                 "(a string)\n  hint: \"environments\": [{\"name\": \"production\"}]",
                 id="environments-a-string"),
])
def test_values_of_the_wrong_type_are_refused(repo: Project, tmp_path: Path,
                                              approval: dict[str, object], message: str) -> None:
    path = tmp_path / "approvals.json"
    path.write_text('{"authors": ["dana"],\n "approvals": [\n  '
                    + json.dumps(approval) + "]}\n")
    before = (all_refs(repo.path), all_refs(repo.origin))
    result = mlgate("promote", "tiny", "--env", "production", "--approvals", str(path),
                    "--push", cwd=repo.path)
    assert result.code == 2, result.out + result.err
    assert result.err.strip() == f"{path}{message}"
    assert (all_refs(repo.path), all_refs(repo.origin)) == before  # no tag, no ledger commit
