"""The ledger's own checks: append-only, numbered, chained, indexed, in time order, each
record true to dvc.lock at its commit, and the ref never moved back or sideways."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from mlgate.audit.evidence import LockIndex, lock_at
from mlgate.audit.findings import Findings, short
from mlgate.audit.records import Record
from mlgate.audit.trail import INDEX_DIR, RECORDS_DIR, Trail
from mlgate.plumbing import git, jsonread
from mlgate.registry import ledger

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._=-]*")  # a record's model or environment: untrusted
UNDO_MESSAGE = "mlgate: undo"  # reflog message of a local rollback after a lost push race


def structure(trail: Trail, out: Findings) -> None:
    """One commit per record, in a line, each naming the file it adds; every record at the
    head added by exactly one commit, and still what that commit wrote."""
    seen: dict[str, str] = {}
    for commit in trail.commits:
        where = f"ledger commit {short(commit.oid)}"
        if len(commit.parents) > 1:
            out.add("ledger_edited", where, "is a merge: the ledger is a single line of "
                                            "commits")
        path = commit.path
        if path is None or not path.startswith(RECORDS_DIR):
            out.add("ledger_edited", where, "adds no record: every ledger commit adds one, "
                                            "named on its `mlgate-record:` line")
        elif path in seen:
            out.add("ledger_edited", where, f"adds {path} again (first added by "
                                            f"{short(seen[path])})")
        elif path not in trail.files:
            out.add("ledger_edited", where, f"added {path}, which is gone from the ledger")
        if path:
            seen.setdefault(path, commit.oid)
    for path in sorted(p for p in trail.files if p.startswith(RECORDS_DIR) and p not in seen):
        out.add("ledger_edited", path, "was not added by a ledger commit of its own")
    for oid, path in trail.unreadable:
        out.add("ledger_edited", path, f"(added by {short(oid)}) is not a JSON record")
    for record in trail.records:
        of = record.data.get("predicateType")
        if not isinstance(of, str) or of not in ledger.KINDS or record.seq is None:
            out.add("ledger_edited", record.path or record.label,
                    "is not a deployment, monitoring or deploy record (no predicate of "
                    "mlgate's with a sequence number)")
            continue
        if record.action not in ledger.KIND_ACTIONS[record.kind]:
            out.add("ledger_edited", record.path or record.label,
                    f"is a {record.kind} record whose action is {record.action!r}")
            continue
        try:
            expected = ledger.record_path(record.data)
        except (KeyError, TypeError, ValueError):
            expected = None
        if record.path != expected:
            out.add("ledger_edited", record.path or record.label,
                    f"holds record {record.label}, which belongs at {expected}")
    _unchanged(trail, out)


def _unchanged(trail: Trail, out: Findings) -> None:
    """Each commit wrote the digest of its record to index/<model>/<env>.json: the record
    at the head must still have that digest (else a later commit edited it in place)."""
    checked = [r for r in trail.records if _NAME.fullmatch(r.model) and _NAME.fullmatch(r.env)]
    specs = [f"{r.ledger_commit}:{_index_file(r.model, r.env, r.kind)}" for r in checked]
    blobs = dict(zip((id(r) for r in checked), git.cat_files(specs, cwd=trail.root),
                     strict=True))
    for record in trail.records:
        blob = blobs.get(id(record))
        written = _load(blob.data if blob else b"{}").get("digest")
        if written != record.digest:
            out.add("ledger_edited", record.path or record.label,
                    f"is not what {short(record.ledger_commit or '')} wrote: its digest then "
                    f"was {written}, now {record.digest}")


def _index_file(model: str, env: str, of: str) -> str:
    """The index file of a chain (mlgate.registry.ledger._index_paths)."""
    return f"{INDEX_DIR}{model}/{env}{'' if of == 'deployment' else '.' + of}.json"


def sequence(records: tuple[Record, ...], out: Findings) -> None:
    expected = 1
    for record in records:
        seq = record.seq
        if seq is None:
            continue
        if seq != expected:
            gap = (f"records #{expected} to #{seq - 1} are missing" if seq > expected
                   else f"#{seq} comes again after #{expected - 1}")
            out.add("sequence", record.label, f"follows #{expected - 1}: {gap}")
        expected = max(expected, seq + 1)


def chains(records: tuple[Record, ...], out: Findings) -> None:
    """Each kind of record (deployment, monitoring, deploy) is its own chain per model and
    environment."""
    last: dict[tuple[str, str, str], Record] = {}
    for record in records:
        key = (record.model, record.env, record.kind)
        before = last.get(key)
        want = before.digest if before else None
        have = record.pred.get("previous")
        if have != want:
            what = "" if record.kind == "deployment" else f"{record.kind} "
            after = (f"the {what}record before it in {record.model}/{record.env}, "
                     f"{before.label}, has digest {want}" if before else
                     f"it is the first {what}record of {record.model}/{record.env} on the "
                     "ledger")
            out.add("broken_chain", record.label, f"names previous {have}, but {after}")
        last[key] = record


def index(trail: Trail, out: Findings) -> None:
    """index/head.json and index/<model>/<env>.json at the head: the fast path that
    promote reads to chain the next record; they must describe the last records."""
    assert trail.head is not None
    last: dict[tuple[str, str, str], Record] = {}
    for record in trail.records:
        last[(record.model, record.env, record.kind)] = record
    paths = [p for p in trail.files if p.startswith(INDEX_DIR) and p.endswith(".json")]
    blobs = dict(zip(paths, git.cat_files([trail.files[p] for p in paths], cwd=trail.root),
                     strict=True))
    head_blob = blobs.pop("index/head.json", None)
    top = max((r.seq for r in trail.records if r.seq is not None), default=0)
    head_seq = _load(head_blob.data if head_blob else b"{}").get("seq")
    if trail.records and head_seq != top:
        out.add("index", "index/head.json", f"says the last record is #{head_seq}; the ledger's "
                                            f"last is #{top}")
    for (model, env, of), record in last.items():
        path = _index_file(model, env, of)
        blob = blobs.pop(path, None)
        data = _load(blob.data if blob else b"{}")
        want = {"digest": record.digest, "path": record.path, "seq": record.seq}
        got = {k: data.get(k) for k in want}
        if got != want:
            out.add("index", path, f"points at {got['path']} ({got['digest']}); the last record "
                                   f"of {model}/{env} is {record.label} ({record.digest})")
    for path in sorted(blobs):
        out.add("index", path, "indexes an environment that has no such record on the "
                               "ledger")


def summaries(trail: Trail, out: Findings) -> None:
    """What `history` shows comes from the summary each ledger commit carries: it must be
    the projection of the record that commit adds (a commit from before summaries existed
    carries none, and history reads its record)."""
    by_commit = {r.ledger_commit: r for r in trail.records}
    for commit in trail.commits:
        record = by_commit.get(commit.oid)
        if commit.summary is None or record is None:
            continue
        if _load(commit.summary) != ledger.projection(record.data):
            out.add("index", f"ledger commit {short(commit.oid)}",
                    f"carries a summary that is not its record's ({record.label}): "
                    "`mlgate history` would show what the record does not say")


def _load(raw: bytes) -> dict[str, Any]:
    try:
        data = jsonread.loads(raw, max_depth=jsonread.RECORD_DEPTH)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def time_order(records: tuple[Record, ...], out: Findings) -> None:
    latest: Record | None = None
    for record in records:
        when = record.time
        if when is None:
            out.add("time_order", record.label, f"has no valid time: {record.pred.get('time')!r}")
            continue
        if latest is not None and latest.time is not None and when < latest.time:
            out.add("time_order", record.label,
                    f"is dated {record.pred.get('time')}, before {latest.label} "
                    f"({latest.pred.get('time')}) which precedes it on the ledger")
        else:
            latest = record


def subjects(records: tuple[Record, ...], locks: LockIndex, out: Findings) -> None:
    """Deployment records only: a monitoring record's subject is the production batches,
    a deploy record's the file deployed (checked by :func:`observations`)."""
    records = tuple(r for r in records if r.kind == "deployment")
    locks.preload([lock_at(r) for r in records])
    for record in records:
        for problem in locks.subject_problems(record):
            out.add("subject_digest", record.label, problem)


def reflog(trail: Trail, out: Findings) -> list[str]:
    """Every value the local ledger ref ever had must still be in its history, but for a
    record that mlgate itself undid after losing a push race (its reflog entry says so)."""
    assert trail.ledger_ref is not None
    if not trail.ledger_ref.startswith("refs/heads/"):
        return []
    text = git.git(["log", "-g", "--format=%H%x01%gs", trail.ledger_ref, "--"], cwd=trail.root,
                   check=False)
    history = {c.oid for c in trail.commits}
    entries = [line.split("\x01", 1) for line in text.splitlines() if "\x01" in line]
    notes: list[str] = []
    reported: set[str] = set()
    # newest first: entry i moved the ref to entries[i][0]; entry i-1 moved it away again
    for i, (oid, _) in enumerate(entries):
        moved_away = entries[i - 1][1] if i > 0 else ""
        if oid in history or oid in reported or moved_away.startswith(UNDO_MESSAGE):
            continue
        reported.add(oid)
        _, subject, _ = _orphan(trail, oid)
        what = f" ({subject})" if subject else ""
        out.add("ledger_rewritten", trail.ledger_ref,
                f"once pointed at {short(oid)}{what}, which is not in its history now")
    return notes


def _orphan(trail: Trail, oid: str) -> tuple[str, str, set[str] | None]:
    """(first parent, subject, tags its record names) of a commit the ledger left behind."""
    head = git.git(["log", "-1", "--format=%P%x01%s%x01%B", oid], cwd=trail.root, check=False)
    parents, _, rest = head.partition("\x01")
    subject, _, body = rest.partition("\x01")
    paths = [line[len(ledger.RECORD_TRAILER):].strip() for line in body.splitlines()
             if line.startswith(ledger.RECORD_TRAILER)]
    blob = git.cat_files([f"{oid}:{paths[0]}"], cwd=trail.root)[0] if len(paths) == 1 else None
    record = _load(blob.data) if blob else {}
    tags = record.get("predicate", {}).get("tags") if isinstance(record.get("predicate"),
                                                                  dict) else None
    found = {t for t in tags if isinstance(t, str)} if isinstance(tags, list) else None
    return (parents.split() or [""])[0], subject.strip(), found


def remotes(trail: Trail, out: Findings) -> list[str]:
    """Each remote's copy of the ledger (its remote-tracking ref) against ours, and against
    what it held before: a fetch that set it back (the remote was force-pushed) left the
    old value in its reflog."""
    assert trail.head is not None
    notes = []
    refs = git.git(["for-each-ref", "--format=%(refname) %(objectname)",
                    f"refs/remotes/*/{ledger.LEDGER_BRANCH}"], cwd=trail.root)
    position = {c.oid: i for i, c in enumerate(trail.commits)}
    for line in refs.splitlines():
        ref, _, oid = line.partition(" ")
        held = _rewound(trail, ref, oid, position, out)
        if ref == trail.ledger_ref or oid == trail.head:
            continue
        if oid in position:  # behind ours
            lacking = [c.oid for c in trail.commits[position[oid] + 1:]]
            if held & set(lacking):
                out.add("remote", ref, f"is at {short(oid)}, {len(lacking)} record(s) behind "
                                       f"{trail.ledger_ref} ({short(trail.head)}), and it once "
                                       "held records it lacks now: the remote's ledger was set "
                                       "back")
            else:
                notes.append(f"{ref} lacks {len(lacking)} record(s) of {trail.ledger_ref}: "
                             "push them with their tags (any mlgate command that changes the "
                             "registry, run with --push, pushes what is pending first)")
        elif git.git_ok(["merge-base", "--is-ancestor", trail.head, oid], cwd=trail.root):
            notes.append(f"{ref} has records that {trail.ledger_ref} lacks: fetch them, "
                         f"then verify again")
        else:
            out.add("remote", ref, f"is at {short(oid)}, which is neither ahead of nor behind "
                                   f"{trail.ledger_ref} ({short(trail.head)})")
    return notes


def _rewound(trail: Trail, ref: str, oid: str, position: dict[str, int], out: Findings
             ) -> set[str]:
    """A `ledger_rewritten` finding for each value the remote-tracking ``ref`` once had
    that is not in the history of what it holds now; returns every value it had."""
    assert trail.head is not None
    past = _past_values(trail.root, ref)
    # ahead of ours: everything in our history is in its history too
    ahead = oid not in position and git.git_ok(["merge-base", "--is-ancestor", trail.head, oid],
                                               cwd=trail.root)
    reported: set[str] = set()
    for old, how in past:
        if old == oid or old in reported:
            continue
        if old in position and (ahead or oid in position):
            if ahead or position[old] <= position[oid]:
                continue
        elif git.git_ok(["merge-base", "--is-ancestor", old, oid], cwd=trail.root):
            continue
        reported.add(old)
        _, subject, _ = _orphan(trail, old)
        what = f" ({subject})" if subject else ""
        out.add("ledger_rewritten", ref,
                f"once pointed at {short(old)}{what}, which is not in its history now: the "
                f"remote's ledger was set back or rewritten ({how})")
    return {old for old, _ in past}


def _past_values(root: Path, ref: str) -> list[tuple[str, str]]:
    """(value, the reflog message of the update that replaced it) of every value ``ref``
    had before its current one, newest first. The first value a reflog saw is the old side
    of its oldest entry (`ref@{n}`): git creates a remote-tracking ref's reflog at its first
    update, a clone writes none, so a fetch that set it back leaves one entry."""
    text = git.git(["log", "-g", "--format=%H%x01%gs", ref, "--"], cwd=root, check=False)
    entries = [line.split("\x01", 1) for line in text.splitlines() if "\x01" in line]
    past = [(entries[i][0], _how(entries[i - 1][1])) for i in range(1, len(entries))]
    if entries:
        first = git.git(["rev-parse", "--verify", "--quiet", f"{ref}@{{{len(entries)}}}"],
                        cwd=root, check=False).strip()
        if first and first != "0" * len(first):
            past.append((first, _how(entries[-1][1])))
    return past


def _how(message: str) -> str:
    """`fetch: forced-update` of `fetch -q origin: forced-update`: what git did, not how it
    was called."""
    command, _, what = message.partition(": ")
    return f"{command.split()[0]}: {what.strip()}" if what and command else message.strip()
