"""The ledger's commits as `git log` writes them (:data:`LOG_FORMAT`): each names its
record in a `mlgate-record:` trailer and carries its projection in `mlgate-summary:`
(JSON), parsed as bytes a piece of git's output at a time; :class:`Skipping` says which
summaries `history --events` need not decode."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from mlgate.plumbing import jsonread
from mlgate.registry import ledger

LOG_FORMAT = "--format=%x00%H%x01%P%x01%an <%ae>%x01%B"


class LedgerCommit(NamedTuple):  # a tuple: ten thousand of them are made per read
    oid: str
    parents: tuple[str, ...]
    author: str
    path: str | None  # the record it adds, from its `mlgate-record:` trailer
    summary: bytes | None = None  # the record's projection, from `mlgate-summary:` (JSON)


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


def summaries(commits: list[LedgerCommit]) -> list[dict[str, Any] | None]:
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
    return [json_object(t) for t in texts]


def json_object(raw: bytes) -> dict[str, Any] | None:
    try:
        data = jsonread.loads(raw, max_depth=jsonread.RECORD_DEPTH)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


RECORD_TRAILER = ledger.RECORD_TRAILER.encode()
SUMMARY_TRAILER = ledger.SUMMARY_TRAILER.encode()
assert RECORD_TRAILER.startswith(b"mlgate-") and SUMMARY_TRAILER.startswith(b"mlgate-")


def commit_batches(pieces: Iterable[bytes]) -> Iterator[list[LedgerCommit]]:
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
    path, summary = trailers(body)
    return _new_commit(LedgerCommit, (  # tuple.__new__: NamedTuple's own __new__ is Python
        oid.decode(), tuple(parents.decode().split()), author.decode("utf-8", "replace"),
        path.strip().decode("utf-8", "replace") if path is not None else None, summary))


_new_commit = tuple.__new__


def trailers(body: bytes) -> tuple[bytes | None, bytes | None]:
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
