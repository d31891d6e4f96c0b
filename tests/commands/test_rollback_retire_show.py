"""rollback, retire and show on real registries (git tags + ledger) in real repos.

The registry is also read back with GTO, which must agree with `mlgate show`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mlgate.registry.ledger import LEDGER_REF, read_entries
from tests.support import registry as registry_helpers
from tests.support.project import Project, git, make_project
from tests.support.registry import gto_show, served_by_gto

GTO = [sys.executable, "-m", "gto.cli"]


def promote_new_version(project: Project, cli: Any, quality: float) -> None:  # type: ignore[no-untyped-def]
    params = (project.path / "params.yaml").read_text()
    old = next(line for line in params.splitlines() if "quality:" in line)
    project.write("params.yaml", params.replace(old, f"  quality: {quality}"))
    project.dvc("repro", "-q")
    project.commit_all(f"quality {quality}")
    project.push_main()
    project.dvc("push", "-q")
    result = cli("promote", "tiny", "--env", "staging", "--push", cwd=project.path)
    assert result.code == 0, result.out + result.err


@pytest.fixture(scope="module")
def registry_repo(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """tiny with v1.0.0 then v1.1.0 promoted to staging and pushed (made once: slow)."""
    from mlgate.cli import main

    project = make_project(tmp_path_factory.mktemp("reg"), "tiny")
    project.dvc("push", "-q")

    def run(*args: str, cwd: Path) -> Any:
        proc = subprocess.run([sys.executable, "-m", "mlgate", *args], cwd=cwd,
                              capture_output=True, text=True, check=False)

        class R:
            code, out, err = proc.returncode, proc.stdout, proc.stderr
        return R

    del main
    assert run("promote", "tiny", "--env", "staging", "--push", cwd=project.path).code == 0
    promote_new_version(project, run, 0.85)
    return project


def clone(project: Project, tmp_path: Path) -> Project:
    """A working clone of the module's repo, with the registry, and an origin of its own
    (a copy of the module's), so that tests do not see each other's pushes."""
    origin = tmp_path / "origin.git"
    shutil.copytree(project.origin, origin)
    work = tmp_path / "clone"
    git("clone", "-q", str(origin), str(work), cwd=tmp_path)
    git("fetch", "-q", "origin", f"{LEDGER_REF}:{LEDGER_REF}", cwd=work)
    dvc_config = (project.path / ".dvc" / "config").read_text()
    (work / ".dvc" / "config").write_text(dvc_config)
    subprocess.run([sys.executable, "-m", "dvc", "pull", "-q"], cwd=work, check=True,
                   capture_output=True)
    return Project(work, origin, project.dvc_remote)


def show_json(cli: Any, path: Path) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    result = cli("show", "--format", "json", cwd=path)
    assert result.code == 0, result.err
    data: dict[str, Any] = json.loads(result.out)
    return data


def assert_gto_agrees(cli: Any, path: Path) -> None:  # type: ignore[no-untyped-def]
    """Both ways: every model, environment and version `mlgate show` lists, `gto show`
    lists too, and the other way round (see tests/support/registry.py)."""
    registry_helpers.assert_gto_agrees(path, show_json(cli, path))


def test_show_lists_what_each_environment_serves(registry_repo: Project, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    work = clone(registry_repo, tmp_path)
    data = show_json(cli, work.path)["models"]["tiny"]
    assert data["latest"] == "v1.1.0"
    staging = data["environments"]["staging"]
    assert staging["version"] == "v1.1.0"
    assert staging["evidence"] is True
    assert (staging["verified"], staging["unverified"]) == (True, None)
    assert staging["action"] == "promote"
    assert set(staging["metrics"]) == {"roc_auc", "log_loss"}
    assert data["environments"]["production"] is None
    table = cli("show", "tiny", cwd=work.path)
    assert table.code == 0
    assert "tiny (latest v1.1.0)" in table.out
    assert "staging      v1.1.0" in table.out
    assert_gto_agrees(cli, work.path)
    assert served_by_gto(work.path) == {"tiny": ("v1.1.0", {"staging": "v1.1.0"})}


def test_rollback_to_the_previous_version_is_tagged_and_recorded(registry_repo: Project, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    work = clone(registry_repo, tmp_path)
    v1 = work.git("rev-parse", "tiny@v1.0.0^{commit}")
    result = cli("rollback", "tiny", "--env", "staging", "--reason", "latency regression",
                 "--push", cwd=work.path)
    assert result.code == 0, result.out + result.err
    assert "tiny v1.0.0 -> staging: rolled back" in result.out
    assert "tiny#staging#3" in result.out
    assert work.git("rev-parse", "tiny#staging#3^{commit}") == v1
    # on the remote too, with the ledger, in one push
    remote_tags = git("ls-remote", "--tags", str(work.origin), cwd=work.path)
    assert "refs/tags/tiny#staging#3" in remote_tags
    entries = read_entries(cwd=work.path)
    last = entries[-1].record["predicate"]
    assert last["action"] == "rollback"
    assert last["version"] == "1.0.0"
    assert last["reason"] == "latency regression"
    assert last["commit"] == v1
    assert last["previous"] is not None  # chained to the promotions before it
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert show_json(cli, work.path)["models"]["tiny"]["environments"]["staging"][
        "version"] == "v1.0.0"
    assert_gto_agrees(cli, work.path)
    assert served_by_gto(work.path) == {"tiny": ("v1.1.0", {"staging": "v1.0.0"})}
    # the default target is now v1.1.0 again: the one before the current stay
    again = cli("rollback", "tiny", "--env", "staging", "--reason", "fixed", "--dry-run",
                cwd=work.path)
    assert again.code == 0
    assert "tiny v1.1.0 -> staging: would be rolled back" in again.out
    assert "nothing was written" in again.out


def test_rollback_to_a_named_version(registry_repo: Project, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    work = clone(registry_repo, tmp_path)
    result = cli("rollback", "tiny", "--env", "staging", "--to", "v1.0.0", "--reason", "x",
                 cwd=work.path)
    assert result.code == 0, result.err
    assert "local only" in result.out
    assert show_json(cli, work.path)["models"]["tiny"]["environments"]["staging"][
        "version"] == "v1.0.0"


@pytest.mark.parametrize(("args", "message"), [
    (["--to", "v9.9.9"], "v9.9.9 is not a registered version of tiny"),
    (["--to", "v1.1.0"], "v1.1.0 is already what staging serves"),
    (["--env", "production"], "tiny is not deployed in production"),
    (["--env", "prod"], "unknown environment 'prod' for model 'tiny'"),
    (["--reason", "  "], "a rollback needs a reason"),
])
def test_rollback_bad_input(registry_repo: Project, cli, tmp_path: Path, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    work = clone(registry_repo, tmp_path)
    before = work.git("for-each-ref")
    base = {"--env": "staging", "--reason": "why"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    argv = [x for pair in base.items() for x in pair]
    result = cli("rollback", "tiny", *argv, cwd=work.path)
    assert result.code == 2
    assert message in result.err
    assert "hint:" in result.err or "did you mean" in result.err
    assert work.git("for-each-ref") == before  # nothing written


def test_rollback_refused_by_its_gates_is_recorded_with_push(registry_repo: Project, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    work = clone(registry_repo, tmp_path)
    policy = work.path / "pipelines" / "tiny.yaml"
    text = policy.read_text().replace(
        "    - name: production\n",
        "      rollback:\n        gates:\n          - kind: threshold\n"
        "            metric: roc_auc\n            min: 0.999\n    - name: production\n")
    policy.write_text(text)
    work.commit_all("stricter rollback gates")
    work.push_main()  # the policy that judges a rollback is the default branch's
    tags_before = work.git("tag", "--list")
    result = cli("rollback", "tiny", "--env", "staging", "--reason", "try", "--push",
                 cwd=work.path)
    assert result.code == 1, result.out + result.err
    assert "REFUSED" in result.out
    assert "roc_auc" in result.out and "FAIL" in result.out
    assert work.git("tag", "--list") == tags_before
    last = read_entries(cwd=work.path)[-1].record["predicate"]
    assert last["action"] == "refused"
    assert last["reason"] == "try"
    assert last["tags"] == []
    remote_ledger = git("ls-remote", str(work.origin), LEDGER_REF, cwd=work.path).split()[0]
    assert remote_ledger == work.git("rev-parse", LEDGER_REF)


def test_retire_unassigns_like_gto(registry_repo: Project, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    work = clone(registry_repo, tmp_path)
    result = cli("retire", "tiny", "--env", "staging", "--reason", "decommissioned", "--push",
                 cwd=work.path)
    assert result.code == 0, result.out + result.err
    assert "tiny#staging!#3" in result.out
    assert show_json(cli, work.path)["models"]["tiny"]["environments"]["staging"] is None
    assert gto_show(work.path)["tiny"]["stage"].get("staging") is None
    assert_gto_agrees(cli, work.path)
    assert served_by_gto(work.path) == {"tiny": ("v1.1.0", {})}  # staging serves nothing
    last = read_entries(cwd=work.path)[-1].record["predicate"]
    assert (last["action"], last["reason"], last["version"]) == (
        "retire", "decommissioned", "1.1.0")
    again = cli("retire", "tiny", "--env", "staging", "--reason", "again", cwd=work.path)
    assert again.code == 2
    assert "tiny is not deployed in staging" in again.err
    # a rollback after a retirement serves the version that was retired
    back = cli("rollback", "tiny", "--env", "staging", "--reason", "needed after all",
               cwd=work.path)
    assert back.code == 0, back.err
    assert "tiny v1.1.0 -> staging: rolled back" in back.out
    assert show_json(cli, work.path)["models"]["tiny"]["environments"]["staging"][
        "version"] == "v1.1.0"
    assert_gto_agrees(cli, work.path)
    assert served_by_gto(work.path) == {"tiny": ("v1.1.0", {"staging": "v1.1.0"})}


def test_show_reads_a_registry_made_by_gto_alone(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    repo = tmp_path / "plain"
    repo.mkdir()
    git("init", "-q", cwd=repo)
    (repo / "model.pkl").write_text("weights")
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", "model", cwd=repo)
    for argv in (["register", "churn", "--version", "v0.3.0"],
                 ["assign", "churn", "--version", "v0.3.0", "--stage", "prod"]):
        subprocess.run([*GTO, *argv], cwd=repo, check=True, capture_output=True)
    data = show_json(cli, repo)["models"]["churn"]
    assert data["declared"] is False
    assert data["latest"] == "v0.3.0"
    prod = data["environments"]["prod"]
    assert prod["version"] == "v0.3.0"
    assert prod["evidence"] is False
    assert (prod["verified"], prod["unverified"]) == (False, "no record (a tag only)")
    table = cli("show", cwd=repo)
    assert "not declared in pipelines/" in table.out
    assert "v0.3.0 (unverified)" in table.out
    assert "unverified: no record (a tag only)" in table.out
    assert_gto_agrees(cli, repo)
    assert served_by_gto(repo) == {"churn": ("v0.3.0", {"prod": "v0.3.0"})}


def test_show_unknown_model(tiny: Project, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("show", "tinny", cwd=tiny.path)
    assert result.code == 2
    assert "no model named 'tinny'" in result.err
    assert "did you mean 'tiny'?" in result.err


def test_rollback_is_refused_while_the_version_is_not_in_the_dvc_remote(registry_repo: Project, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A rollback points an environment at an older artifact: a deploy must be able to
    pull it, so the DVC remote is asked for what that version's dvc.lock records."""
    work = clone(registry_repo, tmp_path)
    remote = tmp_path / "dvc-remote"  # a copy: the module's remote stays whole
    shutil.copytree(registry_repo.dvc_remote, remote)
    work.dvc("remote", "modify", "--local", "local", "url", str(remote))
    lock = work.git("show", "tiny@v1.0.0:dvc.lock")
    md5 = lock.split("path: model/model.bin", 1)[1].split("md5: ", 1)[1].split()[0]
    (remote / "files" / "md5" / md5[:2] / md5[2:]).unlink()
    tags_before = work.git("tag", "--list")
    result = cli("rollback", "tiny", "--env", "staging", "--reason", "latency", "--format",
                 "json", cwd=work.path)
    assert result.code == 1, result.out + result.err
    row = next(r for r in json.loads(result.out)["decision"]["results"]
               if r["gate"] == "in DVC remote")
    assert (row["passed"], row["why"]) == (
        False, f"not in the remote: model/model.bin (md5 {md5[:8]}); push them from a "
               "checkout of v1.0.0 (`dvc push` there)")
    assert work.git("tag", "--list") == tags_before


@pytest.mark.parametrize(("message_of", "why"), [
    (None, "no record (a tag only)"),
    ("tiny#staging#2", "its record is for another tag"),
    ("edited", "its record is not on the ledger"),
])
def test_a_hand_made_assignment_tag_is_shown_unverified(registry_repo: Project, cli, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                       message_of: str | None, why: str) -> None:
    """Someone who can push tags assigns v1.1.0 to production by hand: with no record, with
    a real record copied from another tag, or with a record of their own making."""
    work = clone(registry_repo, tmp_path)
    message = "assigned by hand\n"
    if message_of is not None:
        message = work.git("for-each-ref", "--format=%(contents)", "refs/tags/tiny#staging#2")
        if message_of == "edited":
            message = message.replace('"environment":"staging"', '"environment":"production"')
            message = message.replace('"tiny#staging#2"', '"tiny#production#1"')
    commit = work.git("rev-parse", "tiny@v1.1.0^{commit}")
    subprocess.run(["git", "tag", "-a", "--cleanup=verbatim", "-F", "-", "tiny#production#1",
                    commit], cwd=work.path, input=message, text=True, check=True)
    work.git("push", "-q", "origin", "tiny#production#1")
    prod = show_json(cli, work.path)["models"]["tiny"]["environments"]["production"]
    assert (prod["version"], prod["verified"], prod["unverified"]) == ("v1.1.0", False, why)
    table = cli("show", "tiny", cwd=work.path).out
    assert "production   v1.1.0 (unverified)" in table
    assert f"unverified: {why}" in table
