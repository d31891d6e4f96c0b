"""`mlgate reproduce`: a real `dvc repro` in a temporary worktree, compared digest by digest."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mlgate.registry.ledger import LEDGER_REF
from tests.support.audit import built, copy
from tests.support.project import Project, git

GTO = [sys.executable, "-m", "gto.cli"]
pytestmark = pytest.mark.slow  # every test runs the pipeline


@pytest.fixture
def repo(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Project:
    return copy(built(tmp_path_factory), tmp_path / "copy")


def worktrees(repo: Project) -> list[str]:
    return repo.git("worktree", "list").splitlines()


@pytest.mark.parametrize("ref", ["tiny@v1.0.0", "tiny#production#3"])
def test_a_deployed_version_reproduces_exactly(repo: Project, cli, ref: str) -> None:  # type: ignore[no-untyped-def]
    head = repo.git("rev-parse", "HEAD")
    result = cli("reproduce", ref, "--format", "json", cwd=repo.path)
    assert result.code == 0, result.out + result.err
    data = json.loads(result.out)
    assert (data["identical"], data["differs"], data["stages"]) == (True, [], ["train", "evaluate"])
    assert data["commit"] == repo.git("rev-parse", f"{ref}^{{commit}}")
    kinds = [(c["kind"], c["path"]) for c in data["compared"]]
    assert ("out", "model/model.bin") in kinds and ("artifact sha256", "model/model.bin") in kinds
    assert ("out", "eval/metrics.json") in kinds and ("dep", "data/input.csv") in kinds
    assert len(worktrees(repo)) == 1  # the temporary worktree is gone
    assert repo.git("rev-parse", "HEAD") == head and repo.git("status", "--porcelain") == ""


def make_unreproducible_version(repo: Project, body: str) -> None:
    """A commit whose stage does `body` too, run once, locked and tagged by GTO alone."""
    train = repo.path / "src/train.py"
    train.write_text(train.read_text() + body)
    repo.dvc("repro", "-q")
    repo.commit_all("a change to train.py")
    subprocess.run([*GTO, "register", "tiny", "--version", "v9.0.0"], cwd=repo.path, check=True,
                   capture_output=True)


def test_a_nondeterministic_stage_is_named(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    make_unreproducible_version(repo, "with open('model/model.bin', 'a') as fh:\n"
                                      "    fh.write(str(__import__('time').time_ns()))\n")
    result = cli("reproduce", "tiny@v9.0.0", cwd=repo.path)
    assert result.code == 1, result.out + result.err
    lines = result.out.splitlines()
    assert lines[0].startswith("reproduce tiny@v9.0.0: tiny v9.0.0 at ")
    assert lines[0].endswith(", no record (dvc.lock only)")
    assert lines[-1] == "DIFFERS: model/model.bin"
    assert len(worktrees(repo)) == 1


def test_a_stage_that_fails_is_bad_input_and_the_worktree_is_removed(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    make_unreproducible_version(repo, "import os\nif os.getcwd() != "
                                      f"{str(repo.path)!r}:\n    raise SystemExit(3)\n")
    result = cli("reproduce", "tiny@v9.0.0", cwd=repo.path)
    assert result.code == 2
    assert "the pipeline at " in result.err and "did not run to the end" in result.err
    assert len(worktrees(repo)) == 1


def test_from_a_fresh_clone(repo: Project, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    clone = tmp_path / "fresh"
    git("clone", "-q", str(repo.origin), str(clone), cwd=tmp_path)
    git("fetch", "-q", "origin", f"{LEDGER_REF}:{LEDGER_REF}", cwd=clone)
    (clone / ".dvc" / "config").write_text((repo.path / ".dvc" / "config").read_text())
    result = cli("reproduce", "tiny#production#3", cwd=clone)
    assert result.code == 0, result.out + result.err
    assert result.out.splitlines()[-1] == "identical: 9 digests reproduced exactly"


@pytest.mark.parametrize(("ref", "message"), [
    ("HEAD", "'HEAD' is not a version or assignment tag"),
    ("tiny@v7.0.0", "no tag 'tiny@v7.0.0' in this repository"),
])
def test_bad_refs(repo: Project, cli, ref: str, message: str) -> None:  # type: ignore[no-untyped-def]
    result = cli("reproduce", ref, cwd=repo.path)
    assert (result.code, result.out) == (2, "")
    assert result.err.splitlines()[0] == message
    assert result.err.splitlines()[1].startswith("  hint: ")
