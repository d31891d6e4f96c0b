"""The audit trail, read once: every ledger commit and record, and the registry's tags.

Three processes for the ledger (`git log` of its commits, `git ls-tree` of its head,
`git cat-file --batch` for the records) and one for the tags (`git for-each-ref`),
whatever the number of records. Nothing here judges: :mod:`mlgate.audit.verify` does.
"""

from __future__ import annotations

from collections.abc import Callable, Container
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from mlgate.audit.ledger_log import (
    LOG_FORMAT,
    LedgerCommit,
    Skipping,
    commit_batches,
    json_object,
    summaries,
)
from mlgate.audit.records import Record, safe_digest
from mlgate.errors import NotFound
from mlgate.plumbing import git, subproc
from mlgate.registry import ledger
from mlgate.registry.state import TAG_NAMES, Registry, TagEvent, read_registry, registry_tag_names

RECORDS_DIR = "records/"
INDEX_DIR = "index/"


@dataclass(frozen=True)
class Trail:
    root: Path
    ledger_ref: str | None  # the ref read; None when there is no ledger here
    head: str | None
    commits: tuple[LedgerCommit, ...]
    records: tuple[Record, ...]  # in ledger order
    registry: Registry
    files: dict[str, str] = field(default_factory=dict)  # path -> blob id, at the head
    unreadable: tuple[tuple[str, str], ...] = ()  # (ledger commit, path) not a record
    full: bool = True  # False: records are the projections their commits carry

    def holds(self, data: dict[str, Any]) -> bool:
        """Whether the ledger has this record: by digest, or, when the trail was read
        without records, by its path and projection."""
        if self.full:
            return safe_digest(data) in self.by_digest
        try:
            found = self._by_path.get(ledger.record_path(data))
        except (KeyError, TypeError, ValueError):
            return False
        if found is None:
            return False
        if found.partial:
            return found.pred == ledger.projection(data)
        return found.digest == safe_digest(data)

    @cached_property
    def _by_path(self) -> dict[str, Record]:
        return {r.path: r for r in self.records if r.path}

    @cached_property
    def by_digest(self) -> dict[str, Record]:
        found: dict[str, Record] = {}
        for record in self.records:
            found.setdefault(record.digest, record)
        return found

    @property
    def events(self) -> list[TagEvent]:
        return [ev for state in self.registry.models.values() for ev in state.events]

    def models(self) -> list[str]:
        return sorted({r.model for r in self.records if r.model} | set(self.registry.models))

    def environments(self, model: str | None = None) -> list[str]:
        found = {r.env for r in self.records if r.env and model in (None, r.model)}
        for name, state in self.registry.models.items():
            if model in (None, name):
                found.update(state.environments())
        return sorted(found)

    def naming(self) -> dict[str, Record]:
        """Tag name -> the ledger record that names it."""
        return self._naming.copy()

    @cached_property
    def _naming(self) -> dict[str, Record]:
        named: dict[str, Record] = {}
        for record in self.records:
            tags = record.pred.get("tags")
            for tag in tags if isinstance(tags, list) else ():
                if isinstance(tag, str) and tag not in named:
                    named[tag] = record
        return named


def ledger_ref(root: Path, wanted: str | None = None) -> str | None:
    """The ledger to read: ``wanted``, else the local branch, else origin's copy of it."""
    return _resolve(root, wanted)[0]


def _resolve(root: Path, wanted: str | None) -> tuple[str | None, str | None]:
    """(ref, head commit) of the ledger to read (see :func:`ledger_ref`); (None, None)."""
    if not wanted:  # both places, in one git
        first = git.first_ref([ledger.LEDGER_REF, f"refs/remotes/origin/{ledger.LEDGER_BRANCH}"],
                              cwd=root)
        return (first.name, first.commit) if first else (None, None)
    # fully qualified, and an ambiguous name refused: a tag named like the ledger branch
    # would otherwise have its forged records verified
    try:
        found = git.resolve_ref(wanted, cwd=root)
    except NotFound:
        return None, None
    return found.name, found.commit


class Reading:
    """The ledger's reads, started: git logs the ledger and lists its head's tree while
    mlgate does other work (imports, declarations); :meth:`result` makes the trail.

    With ``list_tags``, git also lists the registry's tag names (:meth:`tag_names`), once it
    has logged the ledger (two gits beside Python on two cores slowed all three), or, when
    Python makes rows as the log comes (``each``), once the first rows are made: then
    Python is the slower. Without a ledger they are listed only when asked for (a caller
    may read the registry instead)."""

    def __init__(self, root: Path, ref: str | None = None, *, list_tags: bool = False,
                 start: bool = True) -> None:
        from mlgate.errors import MlgateError

        self.root = root
        self.ref, self.head = _resolve(root, ref)
        if ref and self.ref is None:
            raise MlgateError(
                f"unknown ledger ref {ref!r}",
                hint=f"the ledger is the branch {ledger.LEDGER_BRANCH}; fetch it with "
                     f"`git fetch origin {ledger.LEDGER_BRANCH}:{ledger.LEDGER_BRANCH}`")
        self._log: subproc.Started | None = None
        self._tree: subproc.Started | None = None
        self._listing: subproc.Started | None = None
        self._listed: bytes | None = None  # what the listing wrote
        self._list_tags = list_tags
        if start:
            self.start()

    def start(self, since: str | None = None) -> None:
        """Git logs the ledger (its commits after ``since`` only, when given) and lists its
        head's tree; without ``start`` at making, this is called before :meth:`result`."""
        if self.head is not None:
            # newest first, reversed here: `--reverse` made git itself a third slower
            after = [f"^{since}"] if since else []
            self._log = git.start(["log", LOG_FORMAT, self.head, *after, "--"], cwd=self.root)
            self._tree = git.start(["ls-tree", "-r", "-z", self.head], cwd=self.root)

    def list_tags(self) -> None:
        """Git lists the tag names now (with ``list_tags``), without the ledger's log."""
        self._logged()

    def _logged(self) -> None:
        if self._list_tags and self._listing is None:
            self._listing = git.start(TAG_NAMES, cwd=self.root)

    def tag_names(self, besides: Container[str] = ()) -> set[str]:
        """The registry's tag names (see :func:`registry_tag_names`); needs ``list_tags``."""
        if self._listing is None and self._log is None:
            self._logged()
        if self._listing is None:
            raise RuntimeError("tag_names() needs Reading(list_tags=True) and result() first")
        if self._listed is None:
            self._listed = self._listing.result()[1]
        return registry_tag_names(self._listed, besides)

    def result(self, *, tags: bool = True, full: bool = True,
               each: Callable[[list[Record]], None] | None = None,
               only: Skipping | None = None, messages: bool | None = None) -> Trail:
        """The trail; with ``tags``, the registry too. Without ``full``, records are the
        projections their commits carry (partial records, enough for `history`; a commit
        written before projections existed still has its record read) and tag messages
        are not read (:meth:`Registry.load_messages` reads those needed).

        ``each`` is given the partial records as they are made, a batch at a time, newest
        first, while git goes on logging the ledger (`history` makes its rows meanwhile);
        records read otherwise (from their files) are not given to it. ``only``: partial
        records that :class:`Skipping` passes over are left out of the trail. ``messages``:
        whether the tag messages are read (default: with ``full``)."""
        if self.head is not None and (self._log is None or self._tree is None):
            raise RuntimeError("Reading(start=False) needs start() before result()")
        messages = full if messages is None else messages
        if self._log is None or self._tree is None:
            registry = read_registry(cwd=self.root, messages=messages) if tags else Registry()
            return Trail(self.root, None, None, (), (), registry, full=full)
        if not tags:
            return self._trail(Registry, full, each, only)
        from concurrent.futures import ThreadPoolExecutor  # here: history needs no thread

        with ThreadPoolExecutor(max_workers=1) as pool:  # git reads tags meanwhile
            pending = pool.submit(read_registry, cwd=self.root, messages=messages)
            return self._trail(pending.result, full, each, only)

    def _trail(self, registry: Callable[[], Registry], full: bool,
               each: Callable[[list[Record]], None] | None = None,
               only: Skipping | None = None) -> Trail:
        assert self._log is not None and self._tree is not None
        root = self.root
        files = {path: oid for oid, path in git.tree_entries(self._tree.result()[1])}
        records: dict[str, Record] = {}
        commits: list[LedgerCommit] = []
        for batch in commit_batches(self._log.chunks()):  # while git goes on writing
            commits += batch
            if not full:  # each batch's summaries are decoded at once
                carrying = [c for c in batch if c.summary is not None and c.path in files]
                if only is not None:
                    carrying = [c for c in carrying if not only.passes_over(c)]
                made: list[Record] = []
                for commit, data in zip(carrying, summaries(carrying), strict=True):
                    if data is not None:
                        records[commit.oid] = record = Record.projected(data, commit)
                        made.append(record)
                if each is not None and made:
                    each(made)
                    # the rows are Python's work, and git has logged ahead of it: the tags
                    # are listed now, beside the rest of the log
                    self._logged()
        commits.reverse()
        self._logged()
        passed = only.passed if only is not None else set()
        named = [c for c in commits if c.path and c.path in files and c.oid not in records
                 and c.oid not in passed]
        blobs = git.cat_files([files[c.path] for c in named if c.path], cwd=root)
        unreadable: list[tuple[str, str]] = []
        for commit, blob in zip(named, blobs, strict=True):
            assert commit.path is not None
            data = json_object(blob.data if blob else b"")
            if data is None:
                unreadable.append((commit.oid, commit.path))
                continue
            records[commit.oid] = Record(data, commit.oid, commit.path, commit.author)
        ordered = tuple(records[c.oid] for c in commits if c.oid in records)
        return Trail(root, self.ref, self.head, tuple(commits), ordered, registry(), files,
                     tuple(unreadable), full)


def load(root: Path, *, ref: str | None = None, tags: bool = True, full: bool = True) -> Trail:
    """Read the ledger at ``ref`` (see :func:`ledger_ref`) and, with ``tags``, the registry
    (see :meth:`Reading.result` for ``full``).

    Each commit names its record in a `mlgate-record:` trailer and the record is read from
    the head's tree: no diff of the (large, flat) records/ tree per commit, which would
    make reading quadratic. :mod:`mlgate.audit.verify` checks that each record is still
    what its commit added, through the digest that commit wrote to the index."""
    return Reading(root, ref).result(tags=tags, full=full)


