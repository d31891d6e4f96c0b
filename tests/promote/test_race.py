"""Two clones of one origin promote to one environment at the same moment.

Both processes are held at the step before `git push --atomic` until both are there
(`MLGATE_FAILPOINT=before-push@DIR:2`), so every round is a real race on the same
remote state: one push wins, the other is rejected whole, undone locally, and judged
again against the winner's registry before it lands after it.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mlgate.plumbing import failpoints
from mlgate.promote.retry import BUDGET_VAR
from mlgate.registry.ledger import digest
from tests.support.project import Project, make_project
from tests.support.registry import (
    MLGATE,
    assert_registry_whole,
    assignments,
    clone,
    mlgate,
    new_candidate,
    registered,
    serving_commit,
)

PROMOTE = ("promote", "tiny", "--env", "staging", "--push", "--format", "json")
ROUNDS = 20


@pytest.fixture
def two_clones(tmp_path: Path) -> tuple[Project, Project]:
    base = make_project(tmp_path / "base", "tiny")
    base.dvc("push", "-q")
    return clone(base, tmp_path, "a"), clone(base, tmp_path, "b")


def promote_together(clones: tuple[Project, Project], meeting: Path) -> list[dict[str, Any]]:
    env = {**os.environ, failpoints.ENV_VAR: f"before-push@{meeting}:2"}
    procs = [subprocess.Popen([*MLGATE, *PROMOTE], cwd=c.path, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for c in clones]
    outcomes = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, out + err
        outcomes.append(json.loads(out))
    assert len(list(meeting.iterdir())) == 2  # both reached the push together
    return outcomes


@pytest.mark.slow
def test_two_clones_promote_different_candidates_at_once(two_clones: tuple[Project, Project],
                                                         tmp_path: Path) -> None:
    a, b = two_clones
    origin = a.origin
    for round_ in range(ROUNDS):
        heads = [new_candidate(c, f"round {round_} from {c.path.name}") for c in (a, b)]
        outcomes = promote_together((a, b), tmp_path / f"meet-{round_}")

        entries = assert_registry_whole(origin)
        assert len(entries) == 2 * (round_ + 1)
        first, second = (e.record for e in entries[-2:])
        # exactly one won the push; the other landed after it, chained to it
        assert {first["predicate"]["commit"], second["predicate"]["commit"]} == set(heads)
        assert second["predicate"]["previous"] == digest(first)
        assert [first["predicate"]["version"], second["predicate"]["version"]] == [
            f"1.{2 * round_}.0", f"1.{2 * round_ + 1}.0"]
        # what each process reported is what landed (the loser's first try left no trace)
        by_commit = {o["record"]["predicate"]["commit"]: o for o in outcomes}
        for record in (first, second):
            reported = by_commit[record["predicate"]["commit"]]
            assert reported["record"] == record and reported["pushed"] is True
        assert serving_commit(origin, "tiny", "staging") == second["predicate"]["commit"]

    assert assignments(origin, "tiny", "staging") == [
        f"tiny#staging#{n}" for n in range(1, 2 * ROUNDS + 1)]
    assert len(registered(origin, "tiny")) == 2 * ROUNDS
    for c in (a, b):  # each clone's own registry is a whole prefix of origin's
        local = assert_registry_whole(c.path)
        assert [e.commit for e in local] == [e.commit for e in entries[:len(local)]]


def test_two_clones_promote_the_same_commit_at_once(two_clones: tuple[Project, Project],
                                                    tmp_path: Path) -> None:
    a, b = two_clones
    outcomes = promote_together((a, b), tmp_path / "meet")
    entries = assert_registry_whole(a.origin)
    assert len(entries) == 1  # one promotion, one record
    winner = [o for o in outcomes if "record" in o]
    loser = [o for o in outcomes if "already" in o]
    assert len(winner) == len(loser) == 1
    assert winner[0]["record"] == entries[0].record
    assert loser[0]["already"] == "tiny#staging#1"
    assert assert_registry_whole(b.path)[-1].commit == assert_registry_whole(a.path)[-1].commit


SIX = [f"model-{n}" for n in range(6)]


def test_six_models_promoted_at_once_all_land(tmp_path: Path) -> None:
    """A merge that touches six models starts six promote jobs at once (the promote
    workflow's matrix), each in its own clone of one origin, all appending to the one
    ledger; all six reach `git push --atomic` together. One wins each round; the others
    back off and judge again until their time budget is spent, so all six land, chained.
    (The old loop gave up after 5 attempts, while the sixth may need 6.)"""
    base = make_project(tmp_path / "base", "tiny")
    declared = (base.path / "pipelines/tiny.yaml").read_text()
    for name in SIX:
        base.write(f"pipelines/{name}.yaml", declared.replace("name: tiny", f"name: {name}"))
    base.commit_all("six models")
    base.push_main()
    base.dvc("push", "-q")
    clones = [clone(base, tmp_path, name) for name in SIX]
    meeting = tmp_path / "meet"
    env = {**os.environ, failpoints.ENV_VAR: f"before-push@{meeting}:6", BUDGET_VAR: "300"}
    procs = [subprocess.Popen([*MLGATE, "promote", name, "--env", "staging", "--push"],
                              cwd=c.path, env=env, text=True, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for name, c in zip(SIX, clones, strict=True)]
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, out + err
    assert len(list(meeting.iterdir())) == 6  # all six pushed together the first time

    entries = assert_registry_whole(base.origin)
    assert sorted(e.record["predicate"]["model"] for e in entries) == SIX
    assert [e.record["predicate"]["seq"] for e in entries] == [1, 2, 3, 4, 5, 6]
    for name in SIX:
        assert list(registered(base.origin, name)) == ["1.0.0"]
        assert assignments(base.origin, name, "staging") == [f"{name}#staging#1"]
    last = clones[0]  # origin's whole registry, fetched, verifies
    last.git("fetch", "-q", "origin", "+refs/heads/mlgate/ledger:refs/heads/mlgate/ledger",
             "+refs/tags/*:refs/tags/*")
    verified = mlgate("audit", "verify", cwd=last.path)
    assert verified.code == 0, verified.out + verified.err


OTHERS = [f"model-{n:02d}" for n in range(15)]
TINY_COMMITS = 5  # the other five promote tiny, each a different merged commit


@pytest.mark.slow
def test_twenty_promotions_at_once_all_land(tmp_path: Path) -> None:
    """20 promote jobs in 20 clones of one origin, all reaching `git push --atomic` at the
    same moment: 15 models once each, and 5 commits of one model (tiny), each promoted from
    its own clone with --rev. All land: each model's versions and assignment numbers are
    unique and gapless, the ledger is one chain of 20, and `audit verify` holds."""
    base = make_project(tmp_path / "base", "tiny")
    declared = (base.path / "pipelines/tiny.yaml").read_text()
    for name in OTHERS:
        base.write(f"pipelines/{name}.yaml", declared.replace("name: tiny", f"name: {name}"))
    base.commit_all("fifteen more models")
    tiny_commits = []
    for n in range(TINY_COMMITS):  # merged commits with unchanged outputs
        base.write("NOTES.md", f"candidate {n}\n")
        tiny_commits.append(base.commit_all(f"candidate {n}"))
    base.push_main()
    base.dvc("push", "-q")
    first = clone(base, tmp_path, "clone-00")
    clones = [first]
    for n in range(1, 20):  # what `git clone` + `dvc pull` gives, copied (DVC starts once)
        clones.append(first.working_copy(tmp_path / f"clone-{n:02d}"))
    jobs = [["promote", name, "--env", "staging", "--push"] for name in OTHERS]
    jobs += [["promote", "tiny", "--env", "staging", "--push", "--rev", commit]
             for commit in tiny_commits]
    meeting = tmp_path / "meet"
    env = {**os.environ, failpoints.ENV_VAR: f"before-push@{meeting}:20", BUDGET_VAR: "900"}
    procs = [subprocess.Popen([*MLGATE, *job], cwd=c.path, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for job, c in zip(jobs, clones, strict=True)]
    for proc in procs:
        out, err = proc.communicate(timeout=1200)
        assert proc.returncode == 0, out + err
    assert len(list(meeting.iterdir())) == 20  # every one reached the push

    entries = assert_registry_whole(base.origin)  # one linear chain, seq 1..20
    assert len(entries) == 20
    landed = sorted(e.record["predicate"]["model"] for e in entries)
    assert landed == sorted([*OTHERS, *["tiny"] * TINY_COMMITS])
    for name in OTHERS:
        assert list(registered(base.origin, name)) == ["1.0.0"]
        assert assignments(base.origin, name, "staging") == [f"{name}#staging#1"]
    tiny_versions = registered(base.origin, "tiny")  # one version per commit, in landing order
    assert sorted(tiny_versions.values()) == sorted(tiny_commits)
    tiny_landed = [e.record["predicate"] for e in entries
                   if e.record["predicate"]["model"] == "tiny"]
    assert [p["version"] for p in tiny_landed] == [f"1.{n}.0" for n in range(TINY_COMMITS)]
    assert assignments(base.origin, "tiny", "staging") == [
        f"tiny#staging#{n}" for n in range(1, TINY_COMMITS + 1)]
    assert serving_commit(base.origin, "tiny", "staging") == tiny_landed[-1]["commit"]
    first.git("fetch", "-q", "origin", "+refs/heads/mlgate/ledger:refs/heads/mlgate/ledger",
              "+refs/tags/*:refs/tags/*")
    verified = mlgate("audit", "verify", cwd=first.path)
    assert verified.code == 0, verified.out + verified.err
