"""What a re-run of the candidate's evaluation reads that git does not hold (the artifact,
the test data), copied into its worktree from the repository's DVC cache by the md5 the
candidate's dvc.lock records (see :mod:`mlgate.gates.recompute`).

The candidate controls that cache (its stages run before the gates; its `.dvc/config`
names the cache) and the worktree's symlinks (it is a checkout of the candidate): each
object's bytes are checked against its md5, and nothing is written through a symlink
that leads out of the worktree.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mlgate.config.dvcfiles import DvcLock, DvcYaml
from mlgate.plumbing import worktree
from mlgate.plumbing.dvccache import DIR_SUFFIX, cache_dir, file_md5, object_intact, object_path

if TYPE_CHECKING:
    from mlgate.gates.candidate import Candidate


class NotRecomputed(Exception):
    """Why the metrics could not be recomputed, and what to do about it."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


def stays_inside(tree: Path, paths: Sequence[str]) -> None:
    """mlgate writes or deletes each of ``paths`` in the worktree: none may lead out of it."""
    for path in paths:
        if not worktree.inside(tree, path):
            raise NotRecomputed(f"{path} leads outside the repository through a symlink of "
                                "the candidate's", "keep the pipeline's files in the "
                                "repository: a symlink in their path may not lead out")


def bring_inputs(cand: Candidate, tree: Path, dvc_yaml: DvcYaml, lock: DvcLock,
                 stages: Sequence[str]) -> None:
    """Copy into ``tree``, from the DVC cache, every input of ``stages`` that git does not
    hold and none of them writes, as the candidate's dvc.lock recorded it."""
    written = {out for name in stages if (s := dvc_yaml.stage(name)) for out in s.outs}
    cache = cache_dir(cand.root)
    for name in stages:
        stage = dvc_yaml.stage(name)
        locked = lock.stages.get(name)
        if stage is None or locked is None:
            raise NotRecomputed(f"stage {name!r} is not in dvc.lock at {cand.label}",
                                "run `dvc repro` and commit dvc.lock")
        for dep in stage.deps:
            if "://" in dep or Path(dep).is_absolute() or ".." in Path(dep).parts:
                raise NotRecomputed(f"stage {name!r} reads {dep}, outside the repository",
                                    "an evaluation stage reads the artifact and files of the "
                                    "repository only")
            if dep in written or (tree / dep).exists():
                continue  # made by the re-run, or held by git
            entry = next((d for d in locked.deps if d.path == dep), None)
            if entry is None or not entry.md5:
                raise NotRecomputed(f"{dep} has no md5 in dvc.lock's stage {name!r}",
                                    "run `dvc repro` and commit dvc.lock")
            _materialize(cand, cache, dep, entry.md5, tree)


def _materialize(cand: Candidate, cache: Path, path: str, md5: str, tree: Path) -> None:
    missing = NotRecomputed(
        f"{path} (md5 {md5[:8]}) is not in the local DVC cache",
        f"bring it with `dvc pull {path}` (or `dvc fetch`), then check again")
    if not md5.endswith(DIR_SUFFIX):
        _copy_object(cand, cache, path, md5, tree, missing)
        return
    listing = object_path(cache, md5)
    if not listing.is_file():
        raise missing
    _check_intact(listing, path, md5)
    try:
        entries = json.loads(listing.read_bytes())
    except (OSError, ValueError):
        raise missing from None
    for entry in entries:
        rel, oid = entry.get("relpath"), entry.get("md5")
        if not isinstance(rel, str) or not isinstance(oid, str) or ".." in rel.split("/"):
            raise NotRecomputed(f"{path}: the DVC cache's listing of {md5[:8]} is not DVC's",
                                "`dvc pull` it again")
        _copy_object(cand, cache, f"{path}/{rel}", oid, tree, missing)


def _copy_object(cand: Candidate, cache: Path, path: str, md5: str, tree: Path,
                 missing: NotRecomputed) -> None:
    source = object_path(cache, md5)
    if not source.is_file() and cand.rev is None:
        # the working tree's own copy, when it is what dvc.lock recorded
        here = cand.root / path
        source = here if file_md5(here) == md5 else source
    if not source.is_file():
        raise missing
    _check_intact(source, path, md5)
    stays_inside(tree, [path])
    target = tree / path
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)  # a copy: a stage writing to it cannot reach the cache


def _check_intact(source: Path, path: str, md5: str) -> None:
    """The bytes the re-run reads are those dvc.lock names: the cache is the change's to
    write (a stage, a `.dvc/config` naming a cache it commits), and a better model under
    the poor one's md5 would give the committed numbers of another artifact."""
    if not object_intact(source, md5):
        raise NotRecomputed(f"{path} (md5 {md5[:8]}) in the local DVC cache does not match "
                            "the md5 it is stored under: its bytes were changed",
                            f"delete {source} and bring it again with `dvc fetch` from a "
                            "remote you trust (or `dvc repro`)")
