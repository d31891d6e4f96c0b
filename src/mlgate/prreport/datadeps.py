"""What changed in a model's DVC dependencies between the base and the working tree.

Hashes and sizes come from the two `dvc.lock` files, so nothing is hashed again. For
Parquet and CSV files the row count and the columns are read too: at the base from the
DVC cache (by md5) or from git, at head from the cache or the working tree; never a
checkout. Parquet costs only its footer.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from mlgate import git
from mlgate.config.dvcfiles import DvcLock, DvcYaml, LockEntry
from mlgate.dvccache import CHUNK, cached_file
from mlgate.facts import CODE_SUFFIXES
from mlgate.prreport.compare import Kind

PARQUET = (".parquet", ".pq")
DELIMITED = {".csv": ",", ".tsv": "\t"}
MAX_SHAPES = 24  # tabular files read per report: bounds the time on a large data change
MAX_FILES = 50  # changed files listed per directory

Source = Path | bytes  # a file in the working tree or the cache, or a blob from git


@dataclass(frozen=True)
class Shape:
    rows: int | None
    columns: tuple[str, ...]


@dataclass(frozen=True)
class FileChange:
    """One file inside a directory dependency."""

    path: str
    kind: Kind
    base_size: int | None = None
    head_size: int | None = None
    base_shape: Shape | None = None
    head_shape: Shape | None = None


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
    note: str | None = None


def tabular(path: str) -> bool:
    return path.lower().endswith((*PARQUET, *DELIMITED))


def shape(source: Source, path: str) -> Shape | None:
    """Rows and columns of a Parquet or CSV file; None when it cannot be read as one."""
    lower = path.lower()
    try:
        if lower.endswith(PARQUET):
            import pyarrow as pa
            import pyarrow.parquet as pq

            try:
                meta = pq.ParquetFile(str(source) if isinstance(source, Path)
                                      else io.BytesIO(source))
            except (pa.ArrowException, ValueError):
                return None
            return Shape(meta.metadata.num_rows, tuple(meta.schema_arrow.names))
        for suffix, delimiter in DELIMITED.items():
            if lower.endswith(suffix):
                return _delimited_shape(source, delimiter)
    except OSError:
        return None
    return None


def _open(source: Source) -> IO[bytes]:
    return source.open("rb") if isinstance(source, Path) else io.BytesIO(source)


def _delimited_shape(source: Source, delimiter: str) -> Shape:
    """Counting newlines is ~50x faster than parsing; a file with quotes may hold
    newlines inside fields, so it is parsed instead."""
    with _open(source) as fh:
        first = fh.readline()
        header = next(csv.reader([first.decode("utf-8", "replace")], delimiter=delimiter), [])
        rows, quoted, last = 0, b'"' in first, b"\n"
        while chunk := fh.read(CHUNK):
            rows += chunk.count(b"\n")
            quoted = quoted or b'"' in chunk
            last = chunk[-1:]
    if last != b"\n":
        rows += 1
    if quoted:
        with _open(source) as fh:
            text = io.TextIOWrapper(fh, encoding="utf-8", errors="replace", newline="")
            rows = sum(1 for _ in csv.reader(text, delimiter=delimiter)) - 1
    return Shape(max(rows, 0), tuple(c.strip() for c in header))


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
        if md5 and not md5.endswith(".dir"):
            cached = cached_file(self.root, md5)
            if cached.is_file():
                return cached
        if at_base:
            return self.base(path) if self.base is not None else None
        here = self.root / path
        return here if here.is_file() else None

    def shape(self, path: str, md5: str | None, *, at_base: bool) -> Shape | None:
        if not tabular(path) or self.budget <= 0:
            return None
        found = self.source(path, md5, at_base=at_base)
        if found is None:
            return None
        self.budget -= 1
        return shape(found, path)

    def listing(self, md5: str | None) -> dict[str, str] | None:
        """relpath -> md5 of a directory, from its `.dir` object in the DVC cache."""
        if not md5 or not md5.endswith(".dir"):
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
    if (base_md5 or "").endswith(".dir") or (head_md5 or "").endswith(".dir"):
        files, more, note = _directory(reader, path, base_md5, head_md5)
        return DepChange(**common, files=tuple(files), more_files=more, note=note)
    if common["code"]:
        return DepChange(**common)
    return DepChange(**common,
                     base_shape=reader.shape(path, base_md5, at_base=True) if old else None,
                     head_shape=reader.shape(path, head_md5, at_base=False) if new else None)


def _directory(reader: _Reader, path: str, base_md5: str | None, head_md5: str | None
               ) -> tuple[list[FileChange], int, str | None]:
    """Files changed inside a directory dependency: from the two `.dir` listings in the
    DVC cache, else from git (a directory kept in git), else not known here."""
    old, new = reader.listing(base_md5), reader.listing(head_md5)
    if (old is not None or not base_md5) and (new is not None or not head_md5):
        old, new = old or {}, new or {}
        names = sorted(n for n in set(old) | set(new) if old.get(n) != new.get(n))
        kinds = {n: _kind(n in old, n in new) for n in names}
        sized: dict[str, tuple[str | None, str | None]] = {
            n: (old.get(n), new.get(n)) for n in names}
        return _files(reader, path, kinds, sized)
    if reader.base is None:
        return [], 0, "its files are not in the local DVC cache (`dvc pull`)"
    in_git = _git_changes(reader, path)
    if in_git is None:
        return [], 0, "its files are not in the local DVC cache (`dvc pull`)"
    return _files(reader, path, in_git, {})


def _kind(at_base: bool, at_head: bool) -> Kind:
    return "added" if not at_base else "removed" if not at_head else "modified"


def _files(reader: _Reader, path: str, kinds: dict[str, Kind],
           md5s: dict[str, tuple[str | None, str | None]]
           ) -> tuple[list[FileChange], int, str | None]:
    files = []
    base_sizes = _git_sizes(reader, path) if not md5s else {}
    for name in list(kinds)[:MAX_FILES]:
        full = f"{path.rstrip('/')}/{name}"
        old_md5, new_md5 = md5s.get(name, (None, None))
        kind = kinds[name]
        head_size = _size(reader, full, new_md5) if kind != "removed" else None
        base_size = (base_sizes.get(name) if not md5s else _cached_size(reader, old_md5)) \
            if kind != "added" else None
        files.append(FileChange(
            full, kind, base_size, head_size,
            reader.shape(full, old_md5, at_base=True) if kind != "added" else None,
            reader.shape(full, new_md5, at_base=False) if kind != "removed" else None))
    return files, max(len(kinds) - MAX_FILES, 0), None


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
