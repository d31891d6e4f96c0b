"""A throw-away checkout of a commit, and running a repository's own stages in it.

The stages that produce a model's metrics are re-run here (see
:mod:`mlgate.gates.recompute`), never in the user's working tree: `git worktree add
--detach` of the commit in a temporary directory, removed (and pruned from git's list)
whatever happens. The re-run's environment holds no credentials, and its DVC sees an
empty cache of its own, so neither a remote nor a run cache can hand it outputs.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from mlgate.errors import CommandFailed
from mlgate.plumbing import git, subproc

# What a stage re-run by mlgate must not see: cloud and forge credentials, an SSH agent,
# and git variables that would point its git at the user's repository.
SECRET_NAMES = re.compile(
    r"^(AWS_|AZURE_|GOOGLE_|GCS_|GCP_|GH_|GITHUB_|ACTIONS_|CI_JOB_|SSH_AUTH_SOCK$|GIT_DIR$|"
    r"GIT_WORK_TREE$|GIT_INDEX_FILE$|GIT_ASKPASS$|DVC_REMOTE)|TOKEN|SECRET|PASSWORD|PASSWD|"
    r"CREDENTIAL|_KEY$|_KEY_ID$", re.IGNORECASE)


def stage_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a re-run stage: the caller's, less anything that looks like a
    credential; telemetry off; `python` the interpreter mlgate runs on."""
    base = os.environ if environ is None else environ
    env = {k: v for k, v in base.items() if not SECRET_NAMES.search(k)}
    env.update(subproc.QUIET_ENV)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    return env


@contextmanager
def temporary(root: Path, commit: str) -> Iterator[Path]:
    """A detached worktree of ``commit`` in a new temporary directory, removed on exit.
    Hooks do not run (a checkout hook is the user's, not part of the commit)."""
    parent = Path(tempfile.mkdtemp(prefix="mlgate-recompute-"))
    tree = parent / "tree"
    try:
        git.git(["-c", "core.hooksPath=/dev/null", "worktree", "add", "--detach", "--quiet",
                 str(tree), commit], cwd=root,
                hint="`git worktree add` must work here (`git worktree list`)")
        yield tree
    finally:
        if tree.exists():
            git.git(["worktree", "remove", "--force", str(tree)], cwd=root, check=False)
        shutil.rmtree(parent, ignore_errors=True)
        git.git(["worktree", "prune"], cwd=root, check=False)


def inside(tree: Path, relpath: str) -> bool:
    """Whether ``relpath`` in ``tree`` stays there once symlinks are followed. A checkout
    holds the commit's symlinks: a file written or deleted through one that leads out
    would be wherever the commit chose (a `.pth` in site-packages runs in every Python)."""
    return (tree / relpath).resolve().is_relative_to(tree.resolve())


def overlay(root: Path, tree: Path, paths: Sequence[str]) -> None:
    """Make ``tree``'s copy of each of ``paths`` what ``root`` has: copied, or deleted when
    ``root`` has none (the working tree's changes over its HEAD)."""
    for rel in paths:
        source, target = root / rel, tree / rel
        if source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        elif target.is_file() or target.is_symlink():
            target.unlink()


def isolate_dvc(tree: Path) -> None:
    """Give the worktree's DVC a cache of its own, empty: no run cache, nothing restored,
    nothing written where the repository keeps its objects."""
    cache = tree.parent / "cache"
    cache.mkdir(exist_ok=True)
    local = tree / ".dvc" / "config.local"
    local.parent.mkdir(exist_ok=True)
    local.write_text(f"[core]\n    analytics = false\n    check_update = false\n"
                     f"[cache]\n    dir = {cache}\n")


def run_stages(tree: Path, stages: Sequence[str]) -> None:
    """``stages`` run by DVC, each alone (`--single-item`), whatever it has run before
    (`--force --no-run-cache`), their outputs left out of any cache (`--no-commit`)."""
    argv = [sys.executable, "-m", "dvc", "repro", "--single-item", "--force",
            "--no-run-cache", "--no-commit", "--quiet", *stages]
    proc = subproc.run(argv, cwd=tree, env=stage_env(), inherit=False, check=False,
                       hint="re-run the stage yourself: `dvc repro --single-item --force "
                            f"{' '.join(stages)}`")
    if proc.returncode != 0:
        out = (proc.stderr or b"").decode("utf-8", "replace").strip() or \
            (proc.stdout or b"").decode("utf-8", "replace").strip()
        raise CommandFailed(f"`dvc repro {' '.join(stages)}` failed (exit {proc.returncode})",
                            argv=tuple(argv), exit_code=proc.returncode, output=out,
                            hint="run it yourself to see why")
