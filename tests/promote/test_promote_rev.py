"""`mlgate promote --rev REV`: a commit that is not checked out, judged through git and
DVC's API. Its "in DVC remote" gate asks the default DVC remote for what dvc.lock at REV
records (the outputs of the model's stages, their data dependencies, each file of a
directory), not for what the working tree holds."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlgate.config.dvcfiles import parse_dvc_lock
from mlgate.plumbing.dvccache import bytes_md5, object_path
from tests.support.project import Project, make_project
from tests.support.registry import (
    assert_registry_whole,
    copy_project,
    new_candidate,
    registered,
    registry_refs,
)

Cli = Callable[..., Any]
REMOTE_EXPECTED = "artifact and data in the default DVC remote"


@pytest.fixture(scope="module")
def pushed_tiny(tmp_path_factory: pytest.TempPathFactory) -> Project:
    project = make_project(tmp_path_factory.mktemp("pushed"), "tiny")
    project.dvc("push", "-q")
    return project


def promote(cli: Cli, project: Project, *args: str) -> tuple[int, dict[str, Any]]:
    result = cli("promote", "tiny", "--env", "staging", *args, "--format", "json",
                 cwd=project.path)
    assert result.code in (0, 1), result.out + result.err
    data: dict[str, Any] = json.loads(result.out)
    return result.code, data


def remote_gate(data: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = next(r for r in data["decision"]["results"]
                               if r["gate"] == "in DVC remote")
    return row


def lock_md5(project: Project, rev: str, path: str) -> str:
    lock = parse_dvc_lock(project.git("show", f"{rev}:dvc.lock").encode() + b"\n")
    entry = lock.out(path) or lock.dep(path)
    assert entry is not None and entry.md5 is not None
    return entry.md5


def test_older_commits_by_rev(pushed_tiny: Project, cli: Cli, tmp_path: Path) -> None:
    """An older commit whose outputs were pushed passes; one whose outputs were never
    pushed is refused, naming them, until they are pushed."""
    repo = copy_project(pushed_tiny, tmp_path)
    pushed = repo.git("rev-parse", "HEAD")
    params = (repo.path / "params.yaml").read_text()
    repo.write("params.yaml", params.replace("quality: 0.8", "quality: 0.85"))
    repo.dvc("repro", "-q")
    unpushed = repo.commit_all("quality 0.85, outputs not pushed")
    new_candidate(repo, "the head, not the candidate")

    code, data = promote(cli, repo, "--rev", "HEAD~2", "--push")
    assert code == 0, data
    assert remote_gate(data) == {
        "gate": "in DVC remote", "kind": "remote", "observed": "present",
        "expected": REMOTE_EXPECTED, "passed": True,
        "why": "every output of the model's stages is in the remote", "details": {},
        "index": None}
    assert data["record"]["predicate"]["commit"] == pushed
    assert registered(repo.origin, "tiny") == {"1.0.0": pushed}

    before = (registry_refs(repo.path), registry_refs(repo.origin))
    code, data = promote(cli, repo, "--rev", "HEAD~1")
    assert (code, data["action"], data["tags"]) == (1, "refused", [])
    row = remote_gate(data)
    assert (row["observed"], row["passed"]) == ("missing", False)
    assert row["why"] == (
        "not in the remote: "
        f"model/model.bin (md5 {lock_md5(repo, 'HEAD~1', 'model/model.bin')[:8]}), "
        f"eval/predictions.csv (md5 {lock_md5(repo, 'HEAD~1', 'eval/predictions.csv')[:8]}); "
        "push them from a checkout of HEAD~1 (`dvc push` there)")
    # every other gate passed: only the remote stood in the way
    assert [r["gate"] for r in data["decision"]["results"] if not r["passed"]] == [
        "in DVC remote"]
    assert (registry_refs(repo.path), registry_refs(repo.origin)) == before

    repo.dvc("push", "-q")  # the working tree has that commit's outputs
    code, data = promote(cli, repo, "--rev", unpushed, "--push")
    assert code == 0, data
    assert (data["version"], data["tags"]) == ("1.1.0", ["tiny@v1.1.0", "tiny#staging#2"])
    assert registered(repo.origin, "tiny") == {"1.0.0": pushed, "1.1.0": unpushed}
    assert_registry_whole(repo.origin)


FEATURES_STAGE = """\
import os

os.makedirs("features", exist_ok=True)
for name in "ab":
    with open(f"features/{name}.txt", "w") as fh:
        fh.write(name * 3)
"""


@pytest.fixture(scope="module")
def with_directories(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """tiny with its data tracked by DVC (`dvc add`) and an upstream stage whose output
    is a directory, all pushed to the DVC remote."""
    project = make_project(tmp_path_factory.mktemp("dirs"), "tiny", repro=False)
    project.git("rm", "-q", "--cached", "data/input.csv")
    project.dvc("add", "-q", "data/input.csv")
    project.write("src/features.py", FEATURES_STAGE)
    dvc_yaml = (project.path / "dvc.yaml").read_text()
    dvc_yaml = dvc_yaml.replace("stages:\n", "stages:\n  features:\n"
                                "    cmd: python src/features.py\n"
                                "    deps:\n      - src/features.py\n"
                                "    outs:\n      - features\n", 1)
    dvc_yaml = dvc_yaml.replace("      - data/input.csv\n    params:",
                                "      - data/input.csv\n      - features\n    params:")
    project.write("dvc.yaml", dvc_yaml)
    project.dvc("repro", "-q")
    project.commit_all("features as a directory, data tracked by DVC")
    project.git("push", "-q", "origin", "main")
    project.dvc("push", "-q")
    return project


def test_directories_and_data_at_rev(with_directories: Project, cli: Cli,
                                     tmp_path: Path) -> None:
    """A directory counts as in the remote when its .dir object and every file in it
    are; data that DVC tracks must be there too (data kept in git need not)."""
    repo = copy_project(with_directories, tmp_path)
    new_candidate(repo, "the head, not the candidate")
    features = lock_md5(repo, "HEAD~1", "features")
    assert features.endswith(".dir")
    # the .dir object is read from the remote when the local cache lacks it
    object_path(repo.path / ".dvc" / "cache", features).unlink()

    code, data = promote(cli, repo, "--rev", "HEAD~1", "--dry-run")
    assert code == 0, data
    assert remote_gate(data)["passed"] is True

    remote = repo.dvc_remote
    object_path(remote, bytes_md5(b"bbb")).unlink()  # features/b.txt
    object_path(remote, lock_md5(repo, "HEAD~1", "data/input.csv")).unlink()
    code, data = promote(cli, repo, "--rev", "HEAD~1", "--dry-run")
    assert code == 1
    assert remote_gate(data)["why"] == (
        "not in the remote: features (1 of its files: b.txt), "
        f"data/input.csv (md5 {lock_md5(repo, 'HEAD~1', 'data/input.csv')[:8]}); "
        "push them from a checkout of HEAD~1 (`dvc push` there)")

    object_path(remote, features).unlink()
    code, data = promote(cli, repo, "--rev", "HEAD~1", "--dry-run")
    assert code == 1
    assert remote_gate(data)["why"].startswith(
        f"not in the remote: features (md5 {features[:8]}), data/input.csv (md5 ")


def test_no_dvc_remote_at_rev(pushed_tiny: Project, cli: Cli, tmp_path: Path) -> None:
    repo = copy_project(pushed_tiny, tmp_path)
    (repo.path / ".dvc" / "config.local").write_text("")
    repo.dvc("remote", "remove", "local")
    repo.commit_all("no DVC remote")
    repo.push_main()
    code, data = promote(cli, repo, "--rev", "HEAD", "--dry-run")
    assert code == 1
    row = remote_gate(data)
    assert (row["observed"], row["passed"]) == ("unknown", False)
    assert row["why"] == (
        "cannot compare with the DVC remote: config file error: no remote specified in "
        f"{repo.path}. Create a default remote with dvc remote add -d <remote name> "
        "<remote url>")


def test_data_that_dvc_tracks_is_asked_about_in_the_working_tree(
        with_directories: Project, cli: Cli, tmp_path: Path) -> None:
    """Without --rev too: `dvc status --cloud` of the model's stages alone does not look at
    the data `dvc add` tracks; promote asks about it."""
    repo = copy_project(with_directories, tmp_path)
    code, data = promote(cli, repo, "--dry-run")
    assert code == 0, data
    object_path(repo.dvc_remote, lock_md5(repo, "HEAD", "data/input.csv")).unlink()
    code, data = promote(cli, repo, "--dry-run")
    assert code == 1
    assert remote_gate(data)["why"] == (
        "not in the remote: data/input.csv (new); run `dvc push`")  # as DVC says it
