"""A `mlgate promote --push` whose push does not go through, for every reason but a race
won by another promotion (tests/promote/test_race.py has those).

Whatever stops the push, the local registry is put back exactly as it was: no tag and
no ledger record that origin lacks. A refusal by the remote or an unreachable remote
fails at once (exit 2, git's output, a hint); only a remote that moved on is worth
fetching and judging again, and mlgate gives up when it keeps moving.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from mlgate.promote.retry import BUDGET_VAR
from mlgate.registry.ledger import LEDGER_REF
from mlgate.registry.publish import judge_push
from tests.support.project import Project
from tests.support.registry import (
    PROMOTE,
    all_refs,
    assert_registry_whole,
    mlgate,
    registry_refs,
)

NOTHING_KEPT = "nothing was kept locally (tags and ledger are as they were)"


LEDGER = f"{LEDGER_REF}:{LEDGER_REF}"
TAG = "refs/tags/tiny@v1.1.0:refs/tags/tiny@v1.1.0"
LOCK = "remote: error: cannot lock ref 'refs/heads/mlgate/ledger': is at 1 but expected 2\n"


@pytest.mark.parametrize(("out", "err", "status"), [
    (f"!\t{LEDGER}\t[rejected] (non-fast-forward)\n", "", "race"),
    (f"!\t{LEDGER}\t[rejected] (fetch first)\n!\t{TAG}\t[rejected] (atomic push failed)\n",
     "", "race"),
    (f"!\t{TAG}\t[rejected] (already exists)\n", "", "race"),
    (f"!\t{LEDGER}\t[remote rejected] (atomic transaction failed)\n", LOCK, "race"),
    (f"!\t{LEDGER}\t[remote rejected] (pre-receive hook declined)\n", "", "refused"),
    (f"!\t{TAG}\t[remote rejected] (atomic push failure)\n"
     f"!\t{LEDGER}\t[remote rejected] (hook declined)\n", "", "refused"),
    (f"!\t{LEDGER}\t[remote rejected] (protected branch hook declined)\n", "", "refused"),
    (f"!\t{LEDGER}\t[rejected] (non-fast-forward)\n"
     f"!\t{TAG}\t[remote rejected] (pre-receive hook declined)\n", "", "refused"),
    (f"!\t{TAG}\t[rejected] (atomic push failed)\n", "", "refused"),
    ("", "fatal: unable to access 'https://github.com/o/r/': The requested URL returned "
         "error: 403\n", "failed"),
])
def test_why_a_push_failed(out: str, err: str, status: str) -> None:
    """Only a remote that moved on (a concurrent promotion) is a race worth retrying."""
    assert judge_push(f"To origin\n{out}Done\n", err).status == status


def install_hook(project: Project, name: str, script: str) -> Path:
    """A hook of the bare origin; it appends a line to the returned file on every push."""
    calls = project.origin.parent / f"{name}.calls"
    hook = project.origin / "hooks" / name
    hook.write_text(f"#!/bin/sh\ncat >/dev/null\necho push >> '{calls}'\n{script}")
    hook.chmod(0o755)
    return calls


@pytest.mark.parametrize("verdict", ["promoted", "refused"])
def test_an_unreachable_remote_keeps_nothing(repo: Project, verdict: str) -> None:
    """The push URL leads nowhere: the promotion (or, when a gate fails, the refusal's
    ledger record) is undone locally, and the error says why with git's own words."""
    if verdict == "refused":  # a refusal is recorded with --push, so it is pushed too
        shutil.rmtree(repo.dvc_remote)
        repo.dvc_remote.mkdir()
    nowhere = repo.path.parent / "no-such-origin.git"
    repo.git("remote", "set-url", "--push", "origin", str(nowhere))
    before = (all_refs(repo.path), all_refs(repo.origin))

    result = mlgate(*PROMOTE, cwd=repo.path)
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        f"`git push --atomic origin` failed; {NOTHING_KEPT}:\n"
        f"    fatal: '{nowhere}' does not appear to be a git repository\n"
        "    fatal: Could not read from remote repository.\n"
        "    Please make sure you have the correct access rights\n"
        "    and the repository exists.\n"
        "  hint: check that the remote 'origin' is reachable and that this job may push to "
        "it (`git push --dry-run origin`); then run it again\n")
    assert (all_refs(repo.path), all_refs(repo.origin)) == before
    assert_registry_whole(repo.path)

    repo.git("remote", "set-url", "--push", "origin", str(repo.origin))
    rerun = mlgate(*PROMOTE, cwd=repo.path)
    assert rerun.code == (0 if verdict == "promoted" else 1), rerun.out + rerun.err
    assert registry_refs(repo.path) == registry_refs(repo.origin)
    assert len(assert_registry_whole(repo.origin)) == 2  # one record per promotion


def test_a_remote_that_refuses_fails_at_once(repo: Project) -> None:
    """A pre-receive hook (as GitHub's branch protection and rulesets are) declines the
    push: no retry, git's message, a hint about the rules, nothing kept locally."""
    calls = install_hook(repo, "pre-receive",
                         'echo "GH013: Repository rule violations found for '
                         'refs/heads/mlgate/ledger." >&2\nexit 1\n')
    before = (all_refs(repo.path), all_refs(repo.origin))

    result = mlgate(*PROMOTE, cwd=repo.path)
    assert (result.code, result.out) == (2, "")
    declined = "[remote rejected] (pre-receive hook declined)"
    assert result.err == (
        f"the remote 'origin' refused the push; {NOTHING_KEPT}:\n"
        f"    {LEDGER_REF}: {declined}\n"
        f"    refs/tags/tiny@v1.1.0: {declined}\n"
        f"    refs/tags/tiny#staging#2: {declined}\n"
        "    remote: GH013: Repository rule violations found for refs/heads/mlgate/ledger.\n"
        f"    error: failed to push some refs to '{repo.origin}'\n"
        "  hint: branch protection or rulesets on 'origin' must let the promote workflow "
        "push the branch mlgate/ledger and the registry tags (MODEL@vX.Y.Z, MODEL#ENV#N); "
        "then run it again\n")
    assert calls.read_text() == "push\n"  # judged once, pushed once
    assert (all_refs(repo.path), all_refs(repo.origin)) == before


def test_a_remote_that_keeps_moving_on_is_given_up(repo: Project) -> None:
    """Every push loses a race: a hook moves origin's ledger on (as a concurrent
    promotion would) just before the push's own ref transaction. mlgate fetches and
    judges again each time, after a pause that grows, until its time budget
    ($MLGATE_PUSH_BUDGET, seconds) is spent; locally it keeps none of its attempts."""
    calls = install_hook(repo, "pre-receive", f"""\
unset GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES
head=$(git rev-parse {LEDGER_REF})
next=$(git commit-tree "$head^{{tree}}" -p "$head" -m "another registry change")
git update-ref {LEDGER_REF} "$next" "$head"
""")
    tags_before = {r: o for r, o in registry_refs(repo.path).items() if r != LEDGER_REF}

    result = mlgate(*PROMOTE, cwd=repo.path, env={BUDGET_VAR: "1.5"})
    assert (result.code, result.out) == (2, "")
    gave_up = re.fullmatch(
        r"gave up after (\d+) attempts in 1.5 s: other registry changes kept reaching the "
        r"remote first; none of the attempts was kept locally\n"
        rf"  hint: run it again in a moment, or allow more time with {BUDGET_VAR} "
        r"\(seconds; now 1.5\)\n", result.err)
    assert gave_up, result.err
    attempts = int(gave_up[1])
    assert attempts >= 2
    assert calls.read_text() == "push\n" * attempts
    local, remote = registry_refs(repo.path), registry_refs(repo.origin)
    assert local == remote  # the remote's registry, taken as it was at the last fetch
    assert {r: o for r, o in local.items() if r != LEDGER_REF} == tags_before
    assert repo.git("log", "--format=%s", f"-n{attempts + 1}", LEDGER_REF).splitlines() == [
        "another registry change"] * attempts + ["promote tiny v1.0.0 to staging"]


@pytest.mark.parametrize("value", ["soon", "-1", "inf", "nan"])
def test_a_bad_time_budget_is_refused_before_anything(repo: Project, value: str) -> None:
    before = (all_refs(repo.path), all_refs(repo.origin))
    result = mlgate(*PROMOTE, cwd=repo.path, env={BUDGET_VAR: value})
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        f"{BUDGET_VAR}={value!r}: expected a number of seconds, 0 or more\n"
        "  hint: unset it for the default, 120 seconds\n")
    assert (all_refs(repo.path), all_refs(repo.origin)) == before
