"""`history`'s memo: the rows a whole reading made, kept in the repository's git directory
(`mlgate/history-memo` there: never committed, never pushed) beside what they were made
from, so that the next `history` reads them instead of making them again. At 20,000
records, git logging the ledger and Python making the rows is most of `history`'s time.

What the rows are made from, and how the memo knows it is still what it was made from:

- a ledger's records: its commits up to the head (a commit id names the commit and every
  one before it) and which record files the head's tree holds. A memo made at an older
  head is extended by the commits since, when they continue it (each one's only parent is
  the one before, the first's is the memo's head), each carries its record's projection,
  and the new head's tree still holds every record file the memo's rows came from;
- a registry made by GTO alone (no ledger): its tags, by the digest of their names and
  object ids (a tag object, and the commit a tag names, never change under their id);
- the declarations: each model's key metrics and the subdirectory artifacts' addresses;
- the code that makes rows and cells (the digest of its files) and the memo's format.

Anything else (a record read from its file, a ledger commit naming a file the head no
longer holds, a tag no record names, a filtered first reading) and the rows are made from
git as before. The memo is not evidence: it is a cache on this machine, written by
mlgate, that a user of the machine could edit like any file of `.git`. `audit verify`
never reads it; `history --no-cache` makes every row from git and leaves the memo alone.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from mlgate import __version__
from mlgate.audit.timeline import EPOCH
from mlgate.errors import MlgateError
from mlgate.plumbing.files import write_atomic

FORMAT = 1
NAME = "history-memo"
# the row's keys, in the order history_rows makes them: a row is kept as its values
ROW_KEYS = ("time", "seq", "model", "environment", "action", "version", "verdict", "who",
            "approvals", "metrics", "reason", "tags", "commit", "evidence", "ledger_commit")
# what makes rows and cells: a change to any of them is another memo
_MAKERS = ("audit/history_memo.py", "audit/history_rows.py", "audit/timeline.py",
           "audit/records.py", "audit/ledger_log.py", "audit/trail.py",
           "commands/history.py", "config/model.py", "registry/addresses.py",
           "registry/state.py", "registry/tags.py", "render/audit_text.py", "render/text.py")
_MICROSECOND = timedelta(microseconds=1)
_COMMIT_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def sort_key(when: datetime | None, seq: int) -> list[int]:
    """`history`'s sort key, (time, seq), as two integers (microseconds since EPOCH)."""
    return [(when - EPOCH) // _MICROSECOND if when is not None else 0, seq]


@dataclass
class Memo:
    """Rows in the order they were made (the ledger's), each with its sort key, the
    fields `history`'s filters read (model, environment, action) and its table cells."""

    key: dict[str, Any]  # what the rows were made from (see the module's docstring)
    keys: list[list[int]] = field(default_factory=list)  # sort keys
    scope: list[list[str]] = field(default_factory=list)  # [model, environment, action]
    cells: list[list[str]] = field(default_factory=list)
    # each row's ROW_KEYS values; those of the rows read back stay JSON (``_rows``) until
    # asked for (JSON output), and ``values`` holds the rows added since
    values: list[list[Any]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)  # a ledger row's record file
    named: list[str] = field(default_factory=list)  # tag names a ledger record names
    _rows: bytes | None = None  # a JSON array: the values of the rows read back

    def usable_for(self, ref: str | None, head: str | None) -> bool:
        """Whether the memo is of this kind of registry: a ledger's (the same ref, at a
        head that is a commit id), or, with no ledger, the tags'."""
        if head is None:
            return self.key.get("kind") == "tags"
        old = self.key.get("head")
        return self.key.get("kind") == "ledger" and self.key.get("ref") == ref and \
            isinstance(old, str) and _COMMIT_ID.fullmatch(old) is not None

    def extend(self, rows: Sequence[tuple[tuple[datetime, int], dict[str, Any]]],
               cells: Sequence[Sequence[str]], paths: Sequence[str] | None = None) -> None:
        """Adds ``rows`` ((time, seq), row), with their cells and (a ledger's) record files."""
        self.keys += [sort_key(when, seq) for (when, seq), _ in rows]
        self.scope += [[row["model"], row["environment"], row["action"]] for _, row in rows]
        self.cells += [list(c) for c in cells]
        # a row's keys are ROW_KEYS, in that order, as history_rows makes them
        self.values += [list(row.values()) if tuple(row) == ROW_KEYS else
                        [row[k] for k in ROW_KEYS] for _, row in rows]
        if paths is None:
            self.paths += [""] * len(rows)
        else:
            self.paths += paths
            self.named += [tag for _, row in rows for tag in row["tags"]]

    def chosen(self, *, model: str | None, env: str | None,
               actions: Iterable[str] | None) -> list[int]:
        """The rows in scope, newest first, in the order `history` sorts them."""
        wanted = set(actions) if actions is not None else None
        picked = [i for i, (m, e, a) in enumerate(self.scope)
                  if (wanted is None or a in wanted) and model in (None, m) and env in (None, e)]
        keys = self.keys
        picked.sort(key=keys.__getitem__, reverse=True)  # stable, as history's own sort
        return picked

    def rows(self, picked: list[int]) -> list[dict[str, Any]] | None:
        """The rows ``picked``; None when the memo's values are not one per row."""
        try:
            if self._rows is not None:
                self.values, self._rows = orjson.loads(self._rows) + self.values, None
            values = self.values
            if len(values) != len(self.keys):
                return None
            return [dict(zip(ROW_KEYS, values[i], strict=True)) for i in picked]
        except (ValueError, TypeError):  # not JSON, not lists, or not ROW_KEYS long
            return None


def git_dir(root: Path) -> Path | None:
    """The repository's own git directory (a worktree's, in a worktree): read, not asked
    of git, when `.git` is beside the root."""
    dot = root / ".git"
    if dot.is_dir():
        return dot
    try:
        if dot.is_file():
            text = dot.read_text(encoding="utf-8").strip()
            if text.startswith("gitdir: "):
                found = Path(text[len("gitdir: "):])
                return found if found.is_absolute() else root / found
        from mlgate.plumbing import git

        return Path(git.git(["rev-parse", "--absolute-git-dir"], cwd=root).strip())
    except (OSError, UnicodeDecodeError, ValueError, MlgateError):
        return None  # no git directory found: no memo, and history goes on


@cache
def made_by() -> str:
    """The digest of the code that makes rows and cells, and mlgate's version."""
    base = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(f"{FORMAT} {__version__}".encode())
    for name in _MAKERS:
        digest.update(name.encode() + b"\0" + (base / name).read_bytes())
    return digest.hexdigest()


def memo_key(kind: str, *, keys: dict[str, tuple[str, ...]], addresses: dict[str, str],
             **source: str | None) -> dict[str, Any]:
    """What rows of ``kind`` ("ledger" or "tags") are made from, ``source`` naming the
    ledger (ref and head) or the tags (listing digest)."""
    return {"format": FORMAT, "made_by": made_by(), "kind": kind,
            "declared": hashlib.sha256(orjson.dumps(
                [sorted((k, list(v)) for k, v in keys.items()), sorted(addresses.items())]
            )).hexdigest(), **source}


def recall(root: Path) -> Memo | None:
    """The memo kept here, or None (none, unreadable, or not one this code wrote)."""
    where = git_dir(root)
    if where is None:
        return None
    try:
        data = (where / "mlgate" / NAME).read_bytes()
        header, scope, cells, rest = data.split(b"\n", 3)
        paths, named, rows = rest.split(b"\n", 2)
        key = orjson.loads(header)
        if not isinstance(key, dict) or key.get("format") != FORMAT:
            return None
        keys_scope = orjson.loads(scope)
        memo = Memo(key, [k for k, _ in keys_scope], [s for _, s in keys_scope],
                    orjson.loads(cells), [], orjson.loads(paths), orjson.loads(named), rows)
    except (OSError, ValueError, TypeError):
        return None
    sizes = {len(memo.keys), len(memo.scope), len(memo.cells), len(memo.paths)}
    return memo if len(sizes) == 1 and isinstance(memo.named, list) else None


def keep(root: Path, memo: Memo) -> None:
    """Write ``memo`` whole (a new file renamed over the old one), or nothing: a value JSON
    would not give back as it was (NaN, an integer beyond 64 bits) leaves no memo, and so
    does a git directory that cannot be written."""
    where = git_dir(root)
    if where is None or not all(map(_finite, memo.values)):
        return
    try:
        values = orjson.dumps(memo.values)
        read_back = memo._rows  # the rows read back, then the new ones
        if read_back is not None and read_back.strip() != b"[]":
            values = read_back if not memo.values else \
                read_back.rstrip()[:-1] + b"," + values[1:]
        sections = [orjson.dumps(memo.key), orjson.dumps(list(zip(memo.keys, memo.scope,
                                                                  strict=True))),
                    orjson.dumps(memo.cells), orjson.dumps(memo.paths),
                    orjson.dumps(memo.named), values]
    except TypeError:  # orjson.JSONEncodeError: an integer beyond 64 bits, say
        return
    try:
        write_atomic(where / "mlgate" / NAME, b"\n".join(sections))
    except MlgateError:  # a git directory that cannot be written: no memo, history goes on
        return


def _finite(values: list[Any]) -> bool:
    """Whether JSON gives a row's values back as they are: approvals, metrics and reason
    hold whatever a record holds (the rest is text or an integer)."""
    approvals, metrics, reason = values[8:11]
    if type(metrics) is dict:
        for value in metrics.values():
            kind = type(value)
            if (kind is float and not math.isfinite(value)) or (
                    (kind is dict or kind is list) and not _plain(value)):
                return False
    elif not _plain(metrics):
        return False
    return (not approvals or _plain(approvals)) and (reason is None or type(reason) is str
                                                     or _plain(reason))


def _plain(value: Any) -> bool:
    """Whether JSON gives ``value`` back as it is: no NaN or infinity anywhere in it."""
    kind = type(value)
    if kind is float:
        return math.isfinite(value)
    if kind is list:
        return all(map(_plain, value))
    if kind is dict:
        return all(map(_plain, value.values()))
    return True
