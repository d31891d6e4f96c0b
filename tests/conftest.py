"""Shared fixtures: an isolated environment and real git + DVC repositories.

No mocks of git or DVC: every repo here is made with `git init` and `dvc init`,
pushes go to a local bare repo, and stages really run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

RESOURCES = Path(__file__).parent / "resources"
REPO_ROOT = Path(__file__).parent.parent
VENV_BIN = str(Path(sys.executable).parent)


@pytest.fixture(autouse=True, scope="session")
def isolated_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """HOME in a temp dir, a pinned git identity, no system git config, telemetry off.

    Session-wide, so that module-scoped repos are made in the same isolation."""
    home = tmp_path_factory.mktemp("home")
    (home / ".gitconfig").write_text(
        "[init]\n\tdefaultBranch = main\n[user]\n\tname = Test Author\n"
        "\temail = author@example.com\n[advice]\n\tdetachedHead = false\n"
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(home))
        mp.setenv("XDG_CONFIG_HOME", str(home / ".config"))
        mp.setenv("GIT_CONFIG_NOSYSTEM", "1")
        mp.delenv("GIT_CONFIG_GLOBAL", raising=False)
        for role in ("AUTHOR", "COMMITTER"):
            mp.setenv(f"GIT_{role}_NAME", "Test Author")
            mp.setenv(f"GIT_{role}_EMAIL", "author@example.com")
        mp.setenv("DVC_NO_ANALYTICS", "1")
        mp.setenv("ITERATIVE_DO_NOT_TRACK", "1")
        mp.setenv("DVC_SITE_CACHE_DIR", str(home / "dvc-site-cache"))
        mp.setenv("PATH", VENV_BIN + os.pathsep + os.environ.get("PATH", ""))
        for var in [v for v in os.environ if v.startswith("GITHUB_")]:
            mp.delenv(var)
        yield


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

    def commit_all(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD")

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


@pytest.fixture
def tiny(tmp_path: Path) -> Project:
    """The tiny fixture pipeline, reproduced and committed, pushed to a bare origin."""
    return make_project(tmp_path, "tiny")


@pytest.fixture
def in_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    def enter(path: Path) -> None:
        monkeypatch.chdir(path)

    yield enter


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Run `mlgate ARGS` in-process in a directory; returns exit code, stdout, stderr."""
    from mlgate.cli import main

    def run(*args: str, cwd: Path) -> Result:
        monkeypatch.chdir(cwd)
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run
