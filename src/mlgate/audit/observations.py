"""`audit verify` of what was observed: monitoring and deploy records, by their place.

A monitoring record says which version it judged (`version`, `commit`, and `deployment`,
the digest of that version's deployment record); replaying the ledger up to its place
must give that very stay in its environment (nothing, when nothing served). A deploy
record names the assignment it deployed: its `deployment` must be a promote or rollback
record earlier on the ledger, in its model and environment, with its version and commit.
A record moved, forged or edited to claim another version than served is found here.
"""

from __future__ import annotations

from mlgate.audit.findings import Findings
from mlgate.audit.records import Record

SERVING = ("promote", "rollback")


def observations(records: tuple[Record, ...], out: Findings) -> None:
    serving: dict[tuple[str, str], Record | None] = {}
    assigned: dict[str, Record] = {}  # digest -> promote/rollback record seen so far
    for record in records:
        key = (record.model, record.env)
        if record.kind == "deployment":
            if record.action in SERVING:
                serving[key] = record
                assigned[record.digest] = record
            elif record.action == "retire":
                serving[key] = None
            continue
        named = record.pred.get("deployment")
        if record.kind == "monitoring":
            _judged(record, serving.get(key), named, out)
        elif record.kind == "deploy":
            _deployed(record, assigned.get(named) if isinstance(named, str) else None,
                      named, out)


def _claims(record: Record) -> tuple[object, object]:
    return record.pred.get("version"), record.pred.get("commit")


def _judged(record: Record, stay: Record | None, named: object, out: Findings) -> None:
    if stay is None:
        if named is not None or _claims(record) != (None, None):
            out.add("observed", record.label,
                    f"names version {record.pred.get('version')!r} ({named}), but nothing "
                    f"served {record.model}/{record.env} at its place on the ledger")
        return
    if named != stay.digest or _claims(record) != (stay.version, stay.commit):
        out.add("observed", record.label,
                f"names version {record.pred.get('version')!r} ({named}), but at its place "
                f"on the ledger {record.model}/{record.env} served {stay.label} "
                f"({stay.digest})")


def _deployed(record: Record, assignment: Record | None, named: object,
              out: Findings) -> None:
    if named is None and record.pred.get("outcome") != "success":
        return  # a failed deploy of a tag that carries no record (verify-artifact said so)
    if assignment is None or (assignment.model, assignment.env) != (record.model, record.env):
        out.add("observed", record.label,
                f"deployed {named}, which is no promotion or rollback of "
                f"{record.model}/{record.env} before it on the ledger")
        return
    if _claims(record) != (assignment.version, assignment.commit):
        out.add("observed", record.label,
                f"names version {record.pred.get('version')!r}, but the assignment it "
                f"deployed, {assignment.label}, is of {assignment.version!r}")
