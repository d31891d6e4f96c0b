"""The candidate: where its files come from (the working tree, or a commit read through
git plumbing and the local DVC cache, never checked out), and its outputs as dvc.lock
records them: metrics files, cached outputs, what the DVC remote must hold."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlgate.config.declarations import Reader, read_dvc_lock, workspace_reader
from mlgate.config.dvcfiles import DvcLock, DvcYaml, LockEntry
from mlgate.config.metricsfile import parse_metrics
from mlgate.config.model import Model
from mlgate.config.stages import data_dependencies, gated_outputs, model_stages
from mlgate.errors import NotFound
from mlgate.plumbing import git
from mlgate.plumbing.dvccache import bytes_md5, cached_file, dir_member, file_md5


@dataclass(frozen=True)
class Candidate:
    """Where the candidate's files come from."""

    root: Path
    read: Reader
    commit: str | None  # HEAD for the working tree; the resolved --rev otherwise
    rev: str | None  # as the user named it; None for the working tree

    @property
    def label(self) -> str:
        return self.rev or "working tree"


def open_candidate(root: Path, rev: str | None) -> Candidate:
    if rev is None:
        return Candidate(root, workspace_reader(root), git.head_commit(cwd=root), None)
    commit = git.resolve(rev, cwd=root)
    return Candidate(root, git.RevReader(commit, cwd=root), commit, rev)


class RemoteAtRev:
    """Whether the default DVC remote holds what a commit's dvc.lock records for a model
    (`dvc status --cloud` answers that for the working tree only): every output of the
    stages that make it, and every data dependency of theirs, down to each file of a
    directory. What git holds at the commit (metrics kept in git, a CSV committed with
    the code) needs no remote. Asked when :meth:`result` is called, through DVC's API."""

    def __init__(self, cand: Candidate, model: Model, dvc_yaml: DvcYaml | None) -> None:
        self.cand, self.model, self.dvc_yaml = cand, model, dvc_yaml

    def result(self) -> tuple[bool, tuple[str, ...]]:
        from mlgate.plumbing.dvc import missing_in_remote

        lock = read_lock(self.cand, self.model)
        if lock is None:
            raise NotFound(f"{self.model.lock_file} is missing at {self.cand.label}",
                           hint="run `dvc repro` and commit dvc.lock")
        wanted = remote_objects(self.cand, self.model, self.dvc_yaml, lock)
        missing = missing_in_remote(self.cand.root, {md5 for _, md5 in wanted})
        changes = []
        for path, md5 in wanted:
            if md5 not in missing:
                continue
            lacking = missing[md5]
            if not lacking:
                changes.append(f"{path} (md5 {md5[:8]})")
            else:
                shown = ", ".join(lacking[:3]) + (", ..." if len(lacking) > 3 else "")
                changes.append(f"{path} ({len(lacking)} of its files: {shown})")
        return (not changes, tuple(changes))

    def cancel(self) -> None:
        """Nothing runs before :meth:`result` (the same shape as
        :class:`mlgate.plumbing.dvc.DvcStatus`)."""


def remote_objects(cand: Candidate, model: Model, dvc_yaml: DvcYaml | None, lock: DvcLock
                   ) -> list[tuple[str, str]]:
    """(path, md5) of what the model's stages output and read as data, per ``lock``,
    that git does not hold at the candidate's commit; in dvc.lock's order."""
    stages = model_stages(model, dvc_yaml)
    entries = [entry for name, stage in lock.stages.items()
               if name.partition("@")[0] in stages for entry in stage.outs]
    for path in data_dependencies(model, dvc_yaml):
        dep = lock.dep(path)
        if dep is not None:
            entries.append(dep)
    local = [e for e in entries if e.md5 and "://" not in e.path
             and not Path(e.path).is_absolute()]  # an external dependency has no md5 here
    in_git = _held_by_git(cand, [e.path for e in local])
    wanted: list[tuple[str, str]] = []
    for entry in local:
        assert entry.md5 is not None
        if entry.path not in in_git and (entry.path, entry.md5) not in wanted:
            wanted.append((entry.path, entry.md5))
    return wanted


def _held_by_git(cand: Candidate, paths: Sequence[str]) -> set[str]:
    """Those of ``paths`` that git holds at the commit: a file, or a directory of files."""
    if not paths or cand.commit is None:
        return set()
    held = set()
    for _, path in git.ls_tree(cand.commit, paths, cwd=cand.root):
        held.add(path)
        held.update(path[:i] for i, char in enumerate(path) if char == "/")  # its folders
    return {p for p in paths if p.rstrip("/") in held}


def read_lock(cand: Candidate, model: Model | None = None) -> DvcLock | None:
    """The dvc.lock beside ``model``'s pipeline (the root's without one), as the candidate
    has it."""
    return read_dvc_lock(cand.read, model)


def lock_mismatches(model: Model, cand: Candidate, lock: DvcLock | None) -> list[str]:
    """Outputs whose bytes are not what dvc.lock recorded (e.g. a hand-edited metrics file)."""
    if lock is None:
        return ["dvc.lock (missing: run `dvc repro` and commit dvc.lock)"]
    found = []
    for path in gated_outputs(model):
        entry = lock.out(path) or member_entry(cand, lock, path)
        if entry is not None and entry.md5 is None and lock.out(path) is None:
            found.append(f"{path} (its directory's listing is not in the DVC cache: run "
                         "`dvc pull`)")
            continue
        if entry is None or entry.md5 is None:
            found.append(f"{path} (not recorded in dvc.lock)")
            continue
        if cand.rev is None:
            actual = file_md5(cand.root / path)
        elif path in model.metrics.files and (raw := cand.read(path)) is not None:
            actual = bytes_md5(raw)  # metrics kept in git
        else:
            actual = entry.md5 if cached_file(cand.root, entry.md5).is_file() else None
        if actual is None:
            where = "in the working tree" if cand.rev is None else "in git or the DVC cache"
            found.append(f"{path} (missing {where})")
        elif actual != entry.md5:
            found.append(f"{path} (md5 {actual[:8]}, dvc.lock has {entry.md5[:8]})")
    return found


def member_entry(cand: Candidate, lock: DvcLock, path: str) -> LockEntry | None:
    """``path`` inside a directory output of ``lock`` (DVCLive's `eval/metrics.json` in
    `eval`), as an entry of its own, its md5 from the directory's listing in the cache."""
    held = lock.holder(path)
    if held is None or held[1] is None or held[0].md5 is None:
        return None
    return LockEntry(path, dir_member(cand.root, held[0].md5, held[1]))


def cached_metrics_file(cand: Candidate, path: str, model: Model | None = None
                        ) -> bytes | None:
    """A metrics file that git does not hold at the candidate (:func:`cached_output`)."""
    return cached_output(cand, path, "the metrics file", model)


def cached_output(cand: Candidate, path: str, what: str, model: Model | None = None
                  ) -> bytes | None:
    """An output that git does not hold at the candidate: a DVC output (or a file in a
    directory output) read from the local cache at the md5 the dvc.lock of ``model``'s
    pipeline records. None when that dvc.lock does not name it; NotFound, with the command
    that brings it, when the cache lacks it. ``what`` names the file in that message."""
    lock = read_lock(cand, model)
    held = lock.holder(path) if lock is not None else None
    if held is None or held[0].md5 is None:
        return None
    entry, inside = held
    assert entry.md5 is not None
    md5 = entry.md5 if inside is None else dir_member(cand.root, entry.md5, inside)
    found = cached_file(cand.root, md5) if md5 else None
    if found is None or not found.is_file():
        where = entry.path if inside is None else f"{path} (in the output {entry.path})"
        raise NotFound(f"{what} {where} at {cand.label} is not in the local DVC "
                       "cache", hint="bring it with `dvc fetch --all-commits` (or `dvc pull` "
                                     "with that revision checked out); then run this again")
    return found.read_bytes()


def metrics_file_bytes(cand: Candidate, path: str, model: Model | None = None
                       ) -> bytes | None:
    """A metrics file as the candidate has it (:func:`output_bytes`)."""
    return output_bytes(cand, path, "the metrics file", model)


def output_bytes(cand: Candidate, path: str, what: str, model: Model | None = None
                 ) -> bytes | None:
    """A file as the candidate has it: in the working tree (where DVC checks its outputs
    out); at a revision, in git, else in the DVC cache (:func:`cached_output`); None when
    it has none."""
    raw = cand.read(path)
    if raw is None and cand.rev is not None:
        raw = cached_output(cand, path, what, model)
    return raw


def candidate_metrics(model: Model, cand: Candidate) -> tuple[dict[str, Any], str | None]:
    merged: dict[str, Any] = {}
    for path in model.metrics.files:
        raw = metrics_file_bytes(cand, path, model)
        if raw is None:
            return {}, (f"{path} is missing at {cand.label}: run the pipeline "
                        f"(`mlgate run {model.name}`)")
        merged.update(parse_metrics(raw, path))
    return merged, None

