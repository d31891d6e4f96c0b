"""Tags against the ledger: every tag the ledger names exists, points where its record
says and carries that very record; every record a tag carries is on the ledger; tags
with no record at all are unverified. A tag whose reflog (mlgate makes one for each tag
it writes) shows another value before its current one was replaced here."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from pathlib import Path

from mlgate.audit.findings import Findings, short
from mlgate.audit.records import Record, safe_digest
from mlgate.audit.trail import Trail
from mlgate.plumbing import git
from mlgate.registry.state import TagEvent
from mlgate.registry.tags import Action


def check_tags(trail: Trail, out: Findings) -> None:
    naming = trail.naming() if trail.head else {}
    assigned: dict[tuple[str, str], set[str]] = defaultdict(set)
    for record in trail.records:
        if record.action in ("promote", "rollback"):
            assigned[(record.model, record.env)].add(record.commit)
    for event in sorted(trail.events, key=lambda e: e.name):
        named = naming.get(event.name)
        found = _carried(event, trail.by_digest)
        if found is None and event.record is None:
            _tag_without_record(event, named, out)
            continue
        if found is None:
            if trail.head is None:
                continue
            if named is not None:
                out.add("disagree", event.name, f"carries a record that differs from {named.label}"
                                                ", the ledger's record naming it")
            else:
                out.add("disagree", event.name, "carries a record that is not on the ledger")
            if named is not None and not _points_right(event, named, assigned):
                out.add("moved_tag", event.name, f"points at {short(event.commit)}; "
                                                 f"{named.label} has {short(named.commit)}")
            continue
        _tag_with_record(event, found, assigned, out)
    for tag, record in naming.items():
        if tag not in trail.registry.names:
            out.add("deleted_tag", tag, f"is gone, yet {record.label} names it")
    replaced(trail, out)


def replaced(trail: Trail, out: Findings) -> None:
    """`moved_tag` for each tag that is not what its reflog shows it was made as (unless the
    tag is already a finding: the ledger told what changed).
    git has no command that lists the reflogs of annotated tags in one pass (`log -g`
    walks commits only, `@{1}` is fatal on a one-entry log), so the files that git's
    files backend keeps are read: a repository without them (reftable) has none to read."""
    logs = Path(git.git(["rev-parse", "--path-format=absolute", "--git-path",
                         "logs/refs/tags"], cwd=trail.root).strip())
    if not logs.is_dir():
        return
    known = {f.where for f in out.found}
    for event in sorted(trail.events, key=lambda e: e.name):
        if event.name in known:
            continue
        try:
            text = (logs / event.name).read_text("utf-8", "replace")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            continue
        values = [line.split(" ", 2)[1] for line in text.splitlines() if line.count(" ") >= 2]
        now = event.tag_object or event.commit
        # the first value is what was written (mlgate makes the reflog with the tag); one
        # moved and then put back is what it was
        if values and values[0].strip("0") and values[0] != now:
            out.add("moved_tag", event.name, f"was replaced in this repository: its reflog "
                                             f"shows it made as {short(values[0])}, it is now "
                                             f"{short(now)}")


def _carried(event: TagEvent, known: dict[str, Record]) -> Record | None:
    """The ledger's record that a tag carries, or None. mlgate writes the record as
    canonical JSON, so the hash of the message's text is its digest when the ledger has
    it: the record is not decoded and encoded again (that is most of the cost of verifying
    10,000 tags). Other messages are decoded and their record encoded canonically."""
    if event.tag_object is None:
        return None
    _, _, body = event.message.partition("\n\n")
    text = body.strip()
    quick = "sha256:" + hashlib.sha256(text[:text.rfind("}") + 1].encode()).hexdigest()
    if quick in known:
        return known[quick]
    return None if event.record is None else known.get(safe_digest(event.record))


def _tag_without_record(event: TagEvent, named: Record | None, out: Findings) -> None:
    if named is None:
        kind = "lightweight tag" if event.tag_object is None else "tag"
        out.add("unverified", event.name, f"a {kind} with no deployment record: made by GTO "
                                          "alone or by hand, so there is nothing to verify it "
                                          "against")
        return
    out.add("disagree", event.name, f"its message no longer carries the record; {named.label} "
                                    "names it: the tag was replaced")
    if event.commit != named.commit and event.tag.action is not Action.UNASSIGN:
        out.add("moved_tag", event.name, f"points at {short(event.commit)}; {named.label} has "
                                         f"{short(named.commit)}")


def _points_right(event: TagEvent, record: Record,
                  assigned: dict[tuple[str, str], set[str]]) -> bool:
    if event.tag.action is Action.UNASSIGN:  # a retirement unassigns every stay's commit
        return event.commit in assigned[(record.model, record.env)] | {record.commit}
    return event.commit == record.commit


def _tag_with_record(event: TagEvent, record: Record,
                     assigned: dict[tuple[str, str], set[str]], out: Findings) -> None:
    tag = event.tag
    if event.name not in record.tags:
        out.add("disagree", event.name, f"carries {record.label}, which does not name this tag")
        return
    if not _points_right(event, record, assigned):
        out.add("moved_tag", event.name, f"points at {short(event.commit)}; its record "
                                         f"{record.label} has {short(record.commit)}")
    claims = {"model": (tag.model, record.address)}
    if tag.env is not None:
        claims["environment"] = (tag.env, record.env)
    if tag.version is not None:
        claims["version"] = (tag.version, record.version or "")
    for key, (theirs, ours) in claims.items():
        if theirs != ours:
            out.add("disagree", event.name, f"names {key} {theirs!r}; its record has {ours!r}")
