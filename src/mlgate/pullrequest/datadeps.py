"""What changed in a model's DVC dependencies between the base and the working tree.

Hashes and sizes come from the two `dvc.lock` files, so nothing is hashed again. For
Parquet and CSV files the row count and the columns are read too: at the base from the
DVC cache (by md5) or from git, at head from the cache or the working tree; never a
checkout. Parquet costs only its footer.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from mlgate.config.dvcfiles import DvcLock, DvcYaml, LockEntry
from mlgate.config.stages import CODE_SUFFIXES
from mlgate.plumbing import git
from mlgate.plumbing.dvccache import DIR_SUFFIX, cached_file
from mlgate.pullrequest.compare import Kind
from mlgate.pullrequest.tables import Shape, Source, shape, tabular

MAX_SHAPES = 24  # tabular files read per report: bounds the time on a large data change
MAX_FILES = 50  # changed files listed per directory

Side = Literal["base", "head"]


@dataclass(frozen=True)
class FileChange:
    """One file inside a directory dependency."""

    path: str
    kind: Kind
    base_size: int | None = None
    head_size: int | None = None
    base_shape: Shape | None = None
    head_shape: Shape | None = None
    missing: tuple[Side, ...] = ()  # sides whose content is in neither the cache nor git


@dataclass(frozen=True)
class DepChange:
    path: str
    kind: Kind
    code: bool
    produced_by: str | None  # the stage that makes it, for an intermediate dependency
    base_md5: str | None = None
    head_md5: str | None = None
    base_size: int | None = None
    head_size: int | None = None
    base_shape: Shape | None = None
    head_shape: Shape | None = None
    files: tuple[FileChange, ...] = ()
    more_files: int = 0  # changed files inside not listed
    # sides whose content (a file, or a directory's `.dir` listing) is needed and is in
    # neither the local DVC cache nor git (the base) or the working tree (the head)
    missing: tuple[Side, ...] = ()


def stage_deps(lock: DvcLock | None, stages: Iterable[str]) -> dict[str, LockEntry]:
    found: dict[str, LockEntry] = {}
    for name in stages:
        stage = lock.stages.get(name) if lock else None
        for entry in stage.deps if stage else ():
            found.setdefault(entry.path, entry)
    return found


class _Reader:
    """Bytes of one side of the comparison, by md5 from the DVC cache or by path."""

    def __init__(self, root: Path, base: git.RevReader | None) -> None:
        self.root = root
        self.base = base
        self.budget = MAX_SHAPES

    def source(self, path: str, md5: str | None, *, at_base: bool) -> Source | None:
        if md5 and not md5.endswith(DIR_SUFFIX):
            cached = cached_file(self.root, md5)
            if cached.is_file():
                return cached
        if at_base:
            return self.base(path) if self.base is not None else None
        here = self.root / path
        return here if here.is_file() else None

    def shape(self, path: str, md5: str | None, side: Side, missing: list[Side]
              ) -> Shape | None:
        """Rows and columns of a tabular file; a side whose bytes are nowhere here is
        added to ``missing``."""
        if not tabular(path) or self.budget <= 0:
            return None
        found = self.source(path, md5, at_base=side == "base")
        if found is None:
            missing.append(side)
            return None
        self.budget -= 1
        return shape(found, path)

    def listing(self, md5: str | None) -> dict[str, str] | None:
        """relpath -> md5 of a directory, from its `.dir` object in the DVC cache."""
        if not md5 or not md5.endswith(DIR_SUFFIX):
            return None
        cached = cached_file(self.root, md5)
        try:
            entries = json.loads(cached.read_bytes())
        except (OSError, ValueError):
            return None
        return {str(e["relpath"]): str(e.get("md5")) for e in entries
                if isinstance(e, dict) and "relpath" in e}


def dependency_changes(root: Path, head_lock: DvcLock | None, base_lock: DvcLock | None,
                       stages: Sequence[str], dvc_yaml: DvcYaml | None,
                       base: git.RevReader | None) -> list[DepChange]:
    """Dependencies of ``stages`` whose hash differs between the two locks, code last."""
    reader = _Reader(root, base)
    head, before = stage_deps(head_lock, stages), stage_deps(base_lock, stages)
    changes = []
    for path in [*head, *(p for p in before if p not in head)]:
        new, old = head.get(path), before.get(path)
        if new is not None and old is not None and new.md5 == old.md5:
            continue
        kind: Kind = "added" if old is None else "removed" if new is None else "modified"
        producer = dvc_yaml.producer(path) if dvc_yaml else None
        changes.append(_change(reader, path, kind, old, new,
                               producer.name if producer else None))
    return sorted(changes, key=lambda c: c.code)


def _change(reader: _Reader, path: str, kind: Kind, old: LockEntry | None,
            new: LockEntry | None, producer: str | None) -> DepChange:
    base_md5, head_md5 = (old.md5 if old else None), (new.md5 if new else None)
    common: dict[str, Any] = {
        "path": path, "kind": kind, "code": path.endswith(CODE_SUFFIXES),
        "produced_by": producer, "base_md5": base_md5, "head_md5": head_md5,
        "base_size": old.size if old else None, "head_size": new.size if new else None}
    if (base_md5 or "").endswith(DIR_SUFFIX) or (head_md5 or "").endswith(DIR_SUFFIX):
        files, more, missing = _directory(reader, path, base_md5, head_md5)
        return DepChange(**common, files=tuple(files), more_files=more,
                         missing=tuple(missing))
    if common["code"]:
        return DepChange(**common)
    lost: list[Side] = []
    return DepChange(**common,
                     base_shape=reader.shape(path, base_md5, "base", lost) if old else None,
                     head_shape=reader.shape(path, head_md5, "head", lost) if new else None,
                     missing=tuple(lost))


def _directory(reader: _Reader, path: str, base_md5: str | None, head_md5: str | None
               ) -> tuple[list[FileChange], int, list[Side]]:
    """Files changed inside a directory dependency: from the two `.dir` listings in the
    DVC cache, else from git (a directory kept in git), else not known here: the sides
    whose listing is missing."""
    old, new = reader.listing(base_md5), reader.listing(head_md5)
    if (old is not None or not base_md5) and (new is not None or not head_md5):
        old, new = old or {}, new or {}
        names = sorted(n for n in set(old) | set(new) if old.get(n) != new.get(n))
        kinds = {n: _kind(n in old, n in new) for n in names}
        sized: dict[str, tuple[str | None, str | None]] = {
            n: (old.get(n), new.get(n)) for n in names}
        files, more = _files(reader, path, kinds, sized)
        return files, more, []
    in_git = _git_changes(reader, path) if reader.base is not None else None
    if in_git is None:
        lost: list[Side] = []
        if base_md5 and old is None:
            lost.append("base")
        if head_md5 and new is None:
            lost.append("head")
        return [], 0, lost
    files, more = _files(reader, path, in_git, {})
    return files, more, []


def _kind(at_base: bool, at_head: bool) -> Kind:
    return "added" if not at_base else "removed" if not at_head else "modified"


def _files(reader: _Reader, path: str, kinds: dict[str, Kind],
           md5s: dict[str, tuple[str | None, str | None]]
           ) -> tuple[list[FileChange], int]:
    """The changed files of a directory, the first MAX_FILES of them, and how many more.
    ``md5s``: each file's objects in the cache; empty for a directory kept in git."""
    files = []
    base_sizes = _git_sizes(reader, path) if not md5s else {}
    for name in list(kinds)[:MAX_FILES]:
        full = f"{path.rstrip('/')}/{name}"
        old_md5, new_md5 = md5s.get(name, (None, None))
        kind = kinds[name]
        lost: list[Side] = []
        base_size = head_size = None
        base_shape = head_shape = None
        if kind != "added":
            base_size = _cached_size(reader, old_md5) if md5s else base_sizes.get(name)
            if md5s and base_size is None:
                lost.append("base")
            else:
                base_shape = reader.shape(full, old_md5, "base", lost)
        if kind != "removed":
            head_size = _size(reader, full, new_md5)
            if head_size is None:
                lost.append("head")
            else:
                head_shape = reader.shape(full, new_md5, "head", lost)
        files.append(FileChange(full, kind, base_size, head_size, base_shape, head_shape,
                                tuple(lost)))
    return files, max(len(kinds) - MAX_FILES, 0)


def _size(reader: _Reader, path: str, md5: str | None) -> int | None:
    found = _cached_size(reader, md5)
    if found is not None:
        return found
    try:
        return (reader.root / path).stat().st_size
    except OSError:
        return None


def _cached_size(reader: _Reader, md5: str | None) -> int | None:
    if not md5:
        return None
    try:
        return cached_file(reader.root, md5).stat().st_size
    except OSError:
        return None


def _git_changes(reader: _Reader, path: str) -> dict[str, Kind] | None:
    """Files of a git-tracked directory that differ between the base and the working tree
    (git compares by its index's stat data, so unchanged files are not read)."""
    assert reader.base is not None
    base = reader.base.commit
    prefix = path.rstrip("/") + "/"
    listed = git.git(["ls-tree", "--name-only", base, "--", prefix], cwd=reader.root)
    tracked_now = git.git(["ls-files", "--", prefix], cwd=reader.root)
    if not listed.strip() and not tracked_now.strip():
        return None
    out = git.git(["diff", "--name-status", "--no-renames", "-z", base, "--", prefix],
                  cwd=reader.root)
    parts = out.split("\0")
    kinds: dict[str, Kind] = {}
    for status, name in zip(parts[0::2], parts[1::2], strict=False):
        if name:
            kinds[name.removeprefix(prefix)] = _STATUS.get(status[:1], "modified")
    untracked = git.git(["ls-files", "-z", "--others", "--exclude-standard", "--", prefix],
                        cwd=reader.root)
    for name in untracked.split("\0"):
        if name:
            kinds[name.removeprefix(prefix)] = "added"
    return dict(sorted(kinds.items()))


_STATUS: dict[str, Kind] = {"A": "added", "D": "removed", "M": "modified", "T": "modified"}


def _git_sizes(reader: _Reader, path: str) -> dict[str, int]:
    """Sizes of a directory's files at the base, from one `git ls-tree -l`."""
    if reader.base is None:
        return {}
    prefix = path.rstrip("/") + "/"
    out = git.git(["ls-tree", "-r", "-l", "-z", reader.base.commit, "--", prefix],
                  cwd=reader.root)
    sizes = {}
    for entry in out.split("\0"):
        meta, _, name = entry.partition("\t")
        fields = meta.split()
        if len(fields) == 4 and fields[3].isdigit():
            sizes[name.removeprefix(prefix)] = int(fields[3])
    return sizes
