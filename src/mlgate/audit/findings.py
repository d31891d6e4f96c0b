"""What `audit verify` finds: the kinds of finding, and the result."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

# kind -> what it means, in the order reports list them
KINDS = {
    "ledger_rewritten": "the ledger was reset or rewritten",
    "ledger_edited": "the ledger is not append-only: a record was changed, removed or added "
                     "out of line",
    "sequence": "records are missing from the ledger, or repeated",
    "broken_chain": "a record's `previous` is not the digest of the record before it",
    "index": "the ledger's index disagrees with its records",
    "time_order": "records out of time order",
    "moved_tag": "a tag points at another commit than its record",
    "deleted_tag": "a tag the ledger names is gone",
    "disagree": "a tag and the ledger disagree",
    "subject_digest": "a record's digests are not those of dvc.lock at its commit",
    "record_mismatch": "a record's metrics, params, data or policy are not what its commit "
                       "holds",
    "observed": "a monitoring or deploy record names another version than the ledger says "
                "served (or was assigned) at its place",
    "remote": "the local ledger and a remote's have diverged, or the remote lost records",
    "unsigned": "the policy requires signed records, and a tag carrying one is not signed",
    "bad_signature": "a tag's signature is not by an allowed signer, or does not verify",
    "unverified": "a registry tag with no record (made by GTO alone, or by hand)",
}


@dataclass(frozen=True)
class Finding:
    kind: str
    where: str  # a tag name, a ledger record or commit
    message: str

    @property
    def altered(self) -> bool:
        return self.kind != "unverified"

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "where": self.where, "message": self.message}


# what `audit verify` says of a registry made by GTO alone (as DVC Studio users have one)
NO_RECORDS = ("no mlgate records here: there is no ledger and no tag carries a record (a "
              "registry made by GTO alone, or by hand); a tag carries no evidence and is not "
              "tamper-evident (anyone who can push tags can make, move or delete one), so "
              "each is listed as unverified; `mlgate audit at` and `history` answer from the "
              "tags, saying so")


@dataclass(frozen=True)
class Verification:
    ledger_ref: str | None
    head: str | None
    records: int
    tags: int
    findings: tuple[Finding, ...]
    notes: tuple[str, ...] = ()

    @property
    def verdict(self) -> str:
        if any(f.altered for f in self.findings):
            return "altered"
        return "unverified" if self.findings else "intact"

    @property
    def ok(self) -> bool:
        return not self.findings

    def as_dict(self) -> dict[str, Any]:
        counts: dict[str, int] = defaultdict(int)
        for f in self.findings:
            counts[f.kind] += 1
        return {"verdict": self.verdict, "ledger": self.ledger_ref, "head": self.head,
                "records": self.records, "tags": self.tags, "counts": dict(counts),
                "findings": [f.as_dict() for f in self.findings], "notes": list(self.notes)}


@dataclass
class Findings:
    """Findings as the checks add them."""

    found: list[Finding] = field(default_factory=list)

    def add(self, kind: str, where: str, message: str) -> None:
        assert kind in KINDS
        self.found.append(Finding(kind, where, message))


def short(oid: str) -> str:
    return oid[:12]
