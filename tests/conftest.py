"""Shared fixtures: an isolated environment, real git + DVC repositories, the CLI in-process.

Only fixtures live here; what they are built from (and what tests import) is in
tests/support/. No mocks of git or DVC: every repo is made with `git init` and `dvc init`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.project import VENV_BIN, Project, Result, make_project


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


@pytest.fixture
def tiny(tmp_path: Path) -> Project:
    """The tiny fixture pipeline, reproduced and committed, pushed to a bare origin."""
    return make_project(tmp_path, "tiny")


@pytest.fixture
def in_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    def enter(path: Path) -> None:
        monkeypatch.chdir(path)

    yield enter


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
