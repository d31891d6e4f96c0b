"""Real git + DVC repositories for tests, and the commands that drive them.

Every repo here is made with `git init` and `dvc init`, pushes go to a local bare repo,
and stages really run: no mocks of git or DVC. Paths are computed from this file's place
in tests/support/, so they hold wherever a test file lives.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

RESOURCES = Path(__file__).parent.parent / "resources"
# A repository policy whose floor tiny (low risk, roc_auc about 0.96) is below.
LOW_FLOOR = """floors:
  low:
    every_environment:
      gates:
        - kind: threshold
          metric: roc_auc
          min: 0.99
"""
REPO_ROOT = Path(__file__).parent.parent.parent
VENV_BIN = str(Path(sys.executable).parent)


def sh(*argv: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        shown = " ".join(argv)
        raise AssertionError(f"{shown} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def git(*args: str, cwd: Path, check: bool = True) -> str:
    return sh("git", *args, cwd=cwd, check=check).stdout.strip()


def dvc(*args: str, cwd: Path) -> str:
    return sh(sys.executable, "-m", "dvc", *args, cwd=cwd).stdout


@dataclass
class Project:
    """A real git + DVC repo with a bare `origin` and a local DVC remote."""

    path: Path
    origin: Path
    dvc_remote: Path

    def git(self, *args: str, check: bool = True) -> str:
        return git(*args, cwd=self.path, check=check)

    def dvc(self, *args: str) -> str:
        return dvc(*args, cwd=self.path)

    def push_main(self) -> None:
        """Put HEAD on origin's main, as merging a change does: promote, rollback and
        retire read the policy there and take only commits it reaches."""
        self.git("push", "-q", "origin", "HEAD:main")

    def commit_all(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD")

    def working_copy(self, dest: Path) -> Project:
        """A copy of the working repo at ``dest``, sharing this one's origin and DVC remote:
        for a test that changes it, of a project built once for many."""
        shutil.copytree(self.path, dest, symlinks=True)
        return Project(dest, self.origin, self.dvc_remote)

    def write(self, relpath: str, text: str) -> Path:
        target = self.path / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        return target


def make_project(tmp_path: Path, resource: str, *, repro: bool = True) -> Project:
    work = tmp_path / "work"
    shutil.copytree(RESOURCES / resource, work)
    origin = tmp_path / "origin.git"
    remote = tmp_path / "dvc-remote"
    remote.mkdir()
    git("init", "-q", "--bare", str(origin), cwd=tmp_path)
    git("init", "-q", cwd=work)
    project = Project(work, origin, remote)
    project.dvc("init", "-q")
    project.dvc("config", "core.analytics", "false")
    project.dvc("config", "core.check_update", "false")
    project.dvc("remote", "add", "-d", "local", str(remote))
    if repro:
        project.dvc("repro", "-q")
    project.commit_all("initial")
    project.git("remote", "add", "origin", str(origin))
    project.git("push", "-q", "origin", "main")
    return project


@dataclass
class Result:
    """What the `cli` fixture's in-process run of `mlgate ARGS` gives."""

    code: int
    out: str
    err: str
