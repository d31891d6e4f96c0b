"""promote, rollback and retire judge by the policy at the default branch and take only
commits it reaches (unless that policy says `allow_unmerged: true`): an older commit or a
branch cannot bring its own, weaker gates. Real git, a bare origin whose default branch
matters, the real CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests.support.project import Project, git

Cli = Callable[..., Any]
F = "pipelines/tiny.yaml"


def dry_run(cli: Cli, project: Project, *args: str) -> tuple[int, dict[str, Any]]:
    result = cli("promote", "tiny", "--env", "staging", "--dry-run", "--format", "json", *args,
                 cwd=project.path)
    assert result.code in (0, 1), result.out + result.err
    data: dict[str, Any] = json.loads(result.out)
    return result.code, data


def failed(data: dict[str, Any]) -> list[str]:
    return [r["gate"] for r in data["decision"]["results"] if not r["passed"]]


def stricter(project: Project, minimum: str) -> None:
    text = (project.path / F).read_text()
    project.write(F, text.replace("          min: 0.7\n", f"          min: {minimum}\n", 1))


def test_an_older_commit_is_judged_by_the_default_branch_policy(tiny: Project, cli: Cli
                                                                ) -> None:
    tiny.dvc("push", "-q")
    older = tiny.git("rev-parse", "HEAD")  # its own policy: staging roc_auc >= 0.7
    stricter(tiny, "0.99")
    tiny.commit_all("staging needs roc_auc 0.99")
    tiny.push_main()

    code, data = dry_run(cli, tiny, "--rev", older)

    assert code == 1
    assert failed(data) == ["threshold roc_auc"]
    policy = data["record"]["predicate"]["policy"]
    assert (policy["ref"], policy["commit"]) == (
        "refs/remotes/origin/main", tiny.git("rev-parse", "HEAD"))


def test_the_default_branch_is_the_one_origin_names(tiny: Project, cli: Cli) -> None:
    """origin's HEAD names `release`, whose policy is stricter than main's: the candidate on
    main is judged by release's."""
    tiny.dvc("push", "-q")
    tiny.git("checkout", "-q", "-b", "release")
    stricter(tiny, "0.99")
    tiny.commit_all("release needs roc_auc 0.99")
    tiny.git("push", "-q", "origin", "release")
    tiny.git("checkout", "-q", "main")
    git("symbolic-ref", "HEAD", "refs/heads/release", cwd=tiny.origin)
    tiny.git("remote", "set-head", "origin", "--auto")

    code, data = dry_run(cli, tiny)
    assert code == 1
    assert failed(data) == ["threshold roc_auc"]
    assert data["record"]["predicate"]["policy"]["ref"] == "refs/remotes/origin/release"
    table = cli("promote", "tiny", "--env", "staging", "--dry-run", cwd=tiny.path)
    assert "policy: pipelines/tiny.yaml at refs/remotes/origin/release" in table.out

    code, data = dry_run(cli, tiny, "--policy-ref", "refs/remotes/origin/main")
    assert (code, data["record"]["predicate"]["policy"]["ref"]) == (
        0, "refs/remotes/origin/main")


def test_a_commit_not_on_the_default_branch_is_refused(tiny: Project, cli: Cli) -> None:
    tiny.dvc("push", "-q")
    tiny.git("checkout", "-q", "-b", "feature")
    stricter(tiny, "0.5")  # its own gates, weaker: never read
    feature = tiny.commit_all("a change nobody merged")
    tiny.write("NOTES.md", "uncommitted\n")

    for args, what in [((), "the working tree's HEAD"), (("--rev", "feature"), "feature")]:
        result = cli("promote", "tiny", "--env", "staging", "--dry-run", *args,
                     cwd=tiny.path)
        assert (result.code, result.out) == (2, "")
        assert result.err == (
            f"{what} (commit {feature[:12]}) is not on refs/remotes/origin/main, where the "
            "policy is read: an unmerged commit cannot be promoted\n"
            "  hint: merge it into refs/remotes/origin/main first (and `git fetch`), or name "
            "the branch that holds it with --policy-ref; an environment that must take "
            "unmerged commits says `allow_unmerged: true` in pipelines/tiny.yaml at "
            "refs/remotes/origin/main\n")


def test_allow_unmerged_is_read_at_the_default_branch(tiny: Project, cli: Cli) -> None:
    tiny.dvc("push", "-q")
    tiny.git("checkout", "-q", "-b", "feature")
    text = (tiny.path / F).read_text()
    allowing = text.replace("    - name: staging\n", "    - name: staging\n"
                            "      allow_unmerged: true\n", 1)
    tiny.write(F, allowing)  # the branch allows itself: not where the policy is read
    tiny.commit_all("a branch that lets itself in")
    refused = cli("promote", "tiny", "--env", "staging", "--dry-run", cwd=tiny.path)
    assert refused.code == 2 and "is not on refs/remotes/origin/main" in refused.err

    tiny.git("checkout", "-q", "main")
    tiny.write(F, allowing)
    tiny.commit_all("staging takes unmerged commits")
    tiny.push_main()
    tiny.git("checkout", "-q", "feature")
    code, data = dry_run(cli, tiny)
    assert (code, failed(data)) == (0, [])


def test_with_no_remote_the_local_main_holds_the_policy(tiny: Project, cli: Cli) -> None:
    tiny.git("remote", "remove", "origin")
    table = cli("promote", "tiny", "--env", "staging", "--dry-run", cwd=tiny.path)
    assert "policy: pipelines/tiny.yaml at refs/heads/main" in table.out

    tiny.git("checkout", "-q", "-b", "feature")
    tiny.write("NOTES.md", "a branch\n")
    tiny.commit_all("not on main")
    refused = cli("promote", "tiny", "--env", "staging", "--dry-run", cwd=tiny.path)
    assert refused.code == 2 and "is not on refs/heads/main" in refused.err

    unfetched = cli("promote", "tiny", "--env", "staging", "--dry-run", "--remote", "upstream",
                    cwd=tiny.path)
    assert unfetched.code == 2
    tiny.git("remote", "add", "upstream", str(tiny.origin))
    unfetched = cli("promote", "tiny", "--env", "staging", "--dry-run", "--remote", "upstream",
                    cwd=tiny.path)
    assert unfetched.err == (
        "cannot find the default branch: remote 'upstream' has none of "
        "refs/remotes/upstream/main, refs/remotes/upstream/master\n"
        "  hint: `git fetch upstream` (and `git remote set-head upstream --auto`), or name the "
        "branch that holds the policy with --policy-ref\n")


def test_rollback_is_judged_by_the_default_branch_policy(tiny: Project, cli: Cli) -> None:
    """A rollback's gates come from the default branch, not from whatever HEAD says."""
    tiny.dvc("push", "-q")
    assert cli("promote", "tiny", "--env", "staging", cwd=tiny.path).code == 0
    tiny.write("NOTES.md", "v1.1.0\n")
    tiny.commit_all("another version")
    tiny.push_main()
    assert cli("promote", "tiny", "--env", "staging", cwd=tiny.path).code == 0
    text = (tiny.path / F).read_text()
    tiny.write(F, text.replace("    - name: production\n", "      rollback:\n        gates:\n"
                               "          - kind: threshold\n            metric: roc_auc\n"
                               "            min: 0.99\n    - name: production\n", 1))
    tiny.commit_all("rollbacks in staging need roc_auc 0.99")
    tiny.push_main()
    tiny.git("reset", "-q", "--hard", "HEAD~1")  # HEAD: the old rules, which had no gates

    result = cli("rollback", "tiny", "--env", "staging", "--reason", "r", "--dry-run",
                 "--format", "json", cwd=tiny.path)
    assert result.code == 1, result.out + result.err
    data = json.loads(result.out)
    assert failed(data) == ["threshold roc_auc"]
    assert data["record"]["predicate"]["policy"]["ref"] == "refs/remotes/origin/main"
