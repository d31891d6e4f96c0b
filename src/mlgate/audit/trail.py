"""The audit trail, read once: every ledger commit and record, and the registry's tags.

Three processes for the ledger (`git log` of its commits, `git ls-tree` of its head,
`git cat-file --batch` for the records) and one for the tags (`git for-each-ref`),
whatever the number of records. Nothing here judges: :mod:`mlgate.audit.verify` does.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

from mlgate.errors import NotFound
from mlgate.plumbing import git, jsonread, subproc
from mlgate.plumbing.once import once
from mlgate.registry import ledger
from mlgate.registry.state import TAG_NAMES, Registry, TagEvent, read_registry, registry_tag_names

RECORDS_DIR = "records/"
INDEX_DIR = "index/"


class LedgerCommit(NamedTuple):  # a tuple: ten thousand of them are made per read
    oid: str
    parents: tuple[str, ...]
    author: str
    path: str | None  # the record it adds, from its `mlgate-record:` trailer
    summary: bytes | None = None  # the record's projection, from `mlgate-summary:` (JSON)


@dataclass(frozen=True)
class Record:
    """One deployment record, as the ledger (or, failing that, a tag message) holds it."""

    data: dict[str, Any]
    ledger_commit: str | None = None  # None: found only in a tag's message
    path: str | None = None
    author: str | None = None  # who wrote the ledger commit
    # only the projection its ledger commit carries (ledger.projection), not the record
    partial: bool = False

    @classmethod
    def projected(cls, pred: dict[str, Any], commit: LedgerCommit) -> Record:
        """The partial record a ledger commit's summary makes. Built without the dataclass's
        __init__ (a frozen one sets each field through object.__setattr__): ten thousand
        are made per `history`, and that took a third fewer instructions."""
        record = object.__new__(cls)
        record.__dict__.update(data={"predicate": pred}, ledger_commit=commit.oid,
                               path=commit.path, author=commit.author, partial=True, pred=pred)
        return record

    @once
    def digest(self) -> str:
        if self.partial:
            raise RuntimeError("a partial record has no digest: load the trail in full")
        return safe_digest(self.data)

    @once
    def pred(self) -> dict[str, Any]:
        pred = self.data.get("predicate")
        return pred if isinstance(pred, dict) else {}

    def mapping(self, key: str) -> dict[str, Any]:
        """A mapping of the predicate; empty when the record (untrusted) has none there."""
        value = self.pred.get(key)
        return value if isinstance(value, dict) else {}

    def listing(self, key: str) -> list[Any]:
        value = self.pred.get(key)
        return value if isinstance(value, list) else []

    @property
    def digests(self) -> dict[str, Any]:
        """The subject's digests: sha256 and md5 of the artifact."""
        value = self.subject.get("digest")
        return value if isinstance(value, dict) else {}

    def _text(self, key: str) -> str:
        value = self.pred.get(key)
        return value if isinstance(value, str) else ""

    @property
    def kind(self) -> str:
        """"deployment" (promote, rollback, retire, refused), "monitoring" or "deploy"."""
        return ledger.kind(self.data) if "predicateType" in self.data else (
            _ACTION_KINDS.get(self._text("action"), "deployment"))

    @property
    def model(self) -> str:
        return self._text("model")

    @property
    def address(self) -> str:
        """What the model's tags name: a subdirectory artifact's address (GTO's), else
        the model's name."""
        return self._text("address") or self.model

    @property
    def env(self) -> str:
        return self._text("environment")

    @property
    def action(self) -> str:
        return self._text("action")

    @property
    def version(self) -> str | None:
        return self._text("version") or None

    @property
    def commit(self) -> str:
        return self._text("commit")

    @property
    def seq(self) -> int | None:
        seq = self.pred.get("seq")
        return seq if isinstance(seq, int) and not isinstance(seq, bool) else None

    @property
    def tags(self) -> list[str]:
        tags = self.pred.get("tags")
        return [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []

    @once
    def time(self) -> datetime | None:
        return parse_record_time(self._text("time"))

    @property
    def subject(self) -> dict[str, Any]:
        subjects = self.data.get("subject")
        first = subjects[0] if isinstance(subjects, list) and subjects else {}
        return first if isinstance(first, dict) else {}

    @property
    def who(self) -> str:
        """The CI actor when the record was made in CI, else whoever wrote the ledger."""
        actor = self.mapping("ci").get("actor")
        return str(actor or self.author or "")

    @property
    def label(self) -> str:
        """`#12 (promote tiny v1.1.0 to staging)`: how findings name a record."""
        seq = f"#{self.seq}" if self.seq is not None else self.digest[:19]
        try:
            return f"{seq} ({ledger.summary(self.data)})"
        except (KeyError, TypeError):
            return seq


# a partial record (a commit's projection) has no predicate type: its action says its kind
_ACTION_KINDS = {"monitor": "monitoring", "deploy": "deploy"}


def safe_digest(data: dict[str, Any]) -> str:
    """The record's digest; a record no mlgate could write (NaN, say) still gets one."""
    try:
        return ledger.digest(data)
    except (TypeError, ValueError):
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def parse_record_time(text: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo else None


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


LOG_FORMAT = "--format=%x00%H%x01%P%x01%an <%ae>%x01%B"


class Reading:
    """The ledger's reads, started: git logs the ledger and lists its head's tree while
    mlgate does other work (imports, declarations); :meth:`result` makes the trail.

    With ``list_tags``, git also lists the registry's tag names (:meth:`tag_names`), once it
    has logged the ledger (two gits beside Python on two cores slowed all three), or, when
    Python makes rows as the log comes (``each``), once the first rows are made: then
    Python is the slower. Without a ledger they are listed only when asked for (a caller
    may read the registry instead)."""

    def __init__(self, root: Path, ref: str | None = None, *, list_tags: bool = False) -> None:
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
        self._list_tags = list_tags
        if self.head is not None:
            # newest first, reversed here: `--reverse` made git itself a third slower
            self._log = git.start(["log", LOG_FORMAT, self.head], cwd=root)
            self._tree = git.start(["ls-tree", "-r", "-z", self.head], cwd=root)

    def _logged(self) -> None:
        if self._list_tags and self._listing is None:
            self._listing = git.start(TAG_NAMES, cwd=self.root)

    def tag_names(self, besides: Container[str] = ()) -> set[str]:
        """The registry's tag names (see :func:`registry_tag_names`); needs ``list_tags``."""
        if self._listing is None and self._log is None:
            self._logged()
        if self._listing is None:
            raise RuntimeError("tag_names() needs Reading(list_tags=True) and result() first")
        return registry_tag_names(self._listing.result()[1], besides)

    def result(self, *, tags: bool = True, full: bool = True,
               each: Callable[[list[Record]], None] | None = None,
               only: Skipping | None = None) -> Trail:
        """The trail; with ``tags``, the registry too. Without ``full``, records are the
        projections their commits carry (partial records, enough for `history`; a commit
        written before projections existed still has its record read) and tag messages
        are not read (:meth:`Registry.load_messages` reads those needed).

        ``each`` is given the partial records as they are made, a batch at a time, newest
        first, while git goes on logging the ledger (`history` makes its rows meanwhile);
        records read otherwise (from their files) are not given to it. ``only``: partial
        records that :class:`Skipping` passes over are left out of the trail."""
        if self._log is None or self._tree is None:
            registry = read_registry(cwd=self.root, messages=full) if tags else Registry()
            return Trail(self.root, None, None, (), (), registry, full=full)
        if not tags:
            return self._trail(Registry, full, each, only)
        from concurrent.futures import ThreadPoolExecutor  # here: history needs no thread

        with ThreadPoolExecutor(max_workers=1) as pool:  # git reads tags meanwhile
            pending = pool.submit(read_registry, cwd=self.root, messages=full)
            return self._trail(pending.result, full, each, only)

    def _trail(self, registry: Callable[[], Registry], full: bool,
               each: Callable[[list[Record]], None] | None = None,
               only: Skipping | None = None) -> Trail:
        assert self._log is not None and self._tree is not None
        root = self.root
        files = {path: oid for oid, path in git.tree_entries(self._tree.result()[1])}
        records: dict[str, Record] = {}
        commits: list[LedgerCommit] = []
        for batch in _commit_batches(self._log.chunks()):  # while git goes on writing
            commits += batch
            if not full:  # each batch's summaries are decoded at once
                carrying = [c for c in batch if c.summary is not None and c.path in files]
                if only is not None:
                    carrying = [c for c in carrying if not only.passes_over(c)]
                made: list[Record] = []
                for commit, data in zip(carrying, _summaries(carrying), strict=True):
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
            data = _json_object(blob.data if blob else b"")
            if data is None:
                unreadable.append((commit.oid, commit.path))
                continue
            records[commit.oid] = Record(data, commit.oid, commit.path, commit.author)
        ordered = tuple(records[c.oid] for c in commits if c.oid in records)
        return Trail(root, self.ref, self.head, tuple(commits), ordered, registry(), files,
                     tuple(unreadable), full)


class Skipping:
    """Which ledger commits' summaries need not be decoded (``history --events``): those
    that plainly say an action not in ``actions`` and, with ``naming``, name no tag. Plainly:
    the canonical JSON mlgate writes starts with the action (the first key in sorted
    order), and a summary with no backslash (no escape) that holds `"action"` once has no
    other key that decodes to "action". Anything else is decoded, as without this."""

    def __init__(self, actions: Iterable[str], *, naming: bool) -> None:
        self.actions = {a.encode() for a in actions}
        self.naming = naming  # records that name tags are read whatever their action
        self.passed: set[str] = set()  # the commits passed over

    def passes_over(self, commit: LedgerCommit) -> bool:
        summary = commit.summary
        if summary is None or not summary.startswith(_ACTION_FIRST) or b"\\" in summary \
                or summary.count(b'"action"') != 1 or (self.naming and b'"tags"' in summary):
            return False
        end = summary.find(b'"', len(_ACTION_FIRST))
        if end < 0 or summary[len(_ACTION_FIRST):end] in self.actions:
            return False
        self.passed.add(commit.oid)
        return True


_ACTION_FIRST = b'{"action":"'


def load(root: Path, *, ref: str | None = None, tags: bool = True, full: bool = True) -> Trail:
    """Read the ledger at ``ref`` (see :func:`ledger_ref`) and, with ``tags``, the registry
    (see :meth:`Reading.result` for ``full``).

    Each commit names its record in a `mlgate-record:` trailer and the record is read from
    the head's tree: no diff of the (large, flat) records/ tree per commit, which would
    make reading quadratic. :mod:`mlgate.audit.verify` checks that each record is still
    what its commit added, through the digest that commit wrote to the index."""
    return Reading(root, ref).result(tags=tags, full=full)


def _summaries(commits: list[LedgerCommit]) -> list[dict[str, Any] | None]:
    """The summaries the commits carry, decoded as one JSON array (one call, not ten
    thousand); one by one when that fails, so that a malformed one is only itself lost."""
    texts = [c.summary or b"" for c in commits]
    # a summary with no more brackets than the limit cannot nest deeper than it: counting
    # them one by one (in C) spares the whole array the depth scan, a fifth of `history`
    limit = jsonread.RECORD_DEPTH
    shallow = all(t.count(b"[") + t.count(b"{") <= limit for t in texts)
    try:
        decoded = jsonread.loads(b"[" + b",".join(texts) + b"]",
                                  max_depth=sys.maxsize if shallow else limit + 1)
    except (json.JSONDecodeError, UnicodeDecodeError):
        decoded = None
    if isinstance(decoded, list) and len(decoded) == len(texts):
        return [d if isinstance(d, dict) else None for d in decoded]
    return [_json_object(t) for t in texts]


def _json_object(raw: bytes) -> dict[str, Any] | None:
    try:
        data = jsonread.loads(raw, max_depth=jsonread.RECORD_DEPTH)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


RECORD_TRAILER = ledger.RECORD_TRAILER.encode()
SUMMARY_TRAILER = ledger.SUMMARY_TRAILER.encode()
assert RECORD_TRAILER.startswith(b"mlgate-") and SUMMARY_TRAILER.startswith(b"mlgate-")


def _commit_batches(pieces: Iterable[bytes]) -> Iterator[list[LedgerCommit]]:
    """The commits of `git log` (:data:`LOG_FORMAT`, newest first), a batch for each piece
    of output as git writes it, so that they are worked on meanwhile. Bytes, not str: the
    summaries go to the JSON decoder as they are, without a round trip through str."""
    rest = b""
    for piece in pieces:
        *whole, rest = (rest + piece if rest else piece).split(b"\0")  # a NUL starts each
        yield [_commit(entry) for entry in whole if entry]
    if rest:
        yield [_commit(rest)]


def _commit(entry: bytes) -> LedgerCommit:
    oid, parents, author, body = entry.split(b"\x01", 3)
    path, summary = _trailers(body)
    return _new_commit(LedgerCommit, (  # tuple.__new__: NamedTuple's own __new__ is Python
        oid.decode(), tuple(parents.decode().split()), author.decode("utf-8", "replace"),
        path.strip().decode("utf-8", "replace") if path is not None else None, summary))


_new_commit = tuple.__new__


def _trailers(body: bytes) -> tuple[bytes | None, bytes | None]:
    """The rest of the `mlgate-record:` line and of the `mlgate-summary:` line of ``body``;
    None for either when no line or more than one starts so. Lines end at "\\n" only (a
    reason may hold U+2028 and the like).

    The usual body has exactly two lines that start with "mlgate-", one of each: then two
    searches (in C) find them, which took a third of the time a pass over the lines took."""
    if body.count(_LINE_TRAILER) == 2 and not body.startswith(_TRAILERS):
        at_summary = body.find(_LINE_SUMMARY)
        at_record = body.find(_LINE_RECORD)
        if at_summary >= 0 and at_record >= 0:  # the two lines: neither can be the other
            at_record += len(_LINE_RECORD)
            at_summary += len(_LINE_SUMMARY)
            end_record = body.find(b"\n", at_record)
            end_summary = body.find(b"\n", at_summary)
            return (body[at_record:end_record] if end_record >= 0 else body[at_record:],
                    body[at_summary:end_summary] if end_summary >= 0 else body[at_summary:])
    record: list[bytes] = []
    summary: list[bytes] = []
    for line in body.split(b"\n"):
        if line.startswith(_TRAILERS):
            if line.startswith(RECORD_TRAILER):
                record.append(line[len(RECORD_TRAILER):])
            elif line.startswith(SUMMARY_TRAILER):
                summary.append(line[len(SUMMARY_TRAILER):])
    return (record[0] if len(record) == 1 else None,
            summary[0] if len(summary) == 1 else None)


_TRAILERS = b"mlgate-"  # what both keys start with: other lines are passed over at once
_LINE_TRAILER = b"\n" + _TRAILERS
_LINE_RECORD = b"\n" + RECORD_TRAILER
_LINE_SUMMARY = b"\n" + SUMMARY_TRAILER
