"""`audit verify`: is the registry what mlgate wrote, unaltered?

Tags and ledger are two copies of every record, written in one transaction: each is
checked on its own (the ledger is append-only, numbered without gaps, hash-chained per
model and environment, in time order, its index agrees with its records) and against the
other (every tag the ledger names exists, points where its record says, and carries that
very record; every record a tag carries is on the ledger), and each record against the
commit it names (its artifact digest and dvc.lock digest are that commit's dvc.lock; its
metrics, params, data digests and policy are what the commit holds). Monitoring and deploy
records (what was observed in production, and what a deploy did) are checked by their
place on the ledger: each names the deployment record that served (or that it deployed)
as the ledger stood when it was appended.
A ledger ref that once pointed at a commit no longer in its history was reset or
rewritten; so was a remote's, when its remote-tracking ref once pointed at a commit no
longer in its history (a fetch after a force-push). A copy of the ledger on a remote must
be a fast-forward of ours, or ours of it, and not lack records it once held.

When the repository policy at the default branch requires signed records, every tag that
carries one must be signed by a signer it allows (:mod:`mlgate.audit.signatures`).

Registry tags that carry no record (made by GTO alone, or by hand) cannot be verified:
they are reported as such, not as tampering.
"""

from __future__ import annotations

from mlgate.audit import ledger_checks as lc
from mlgate.audit.evidence import LockIndex
from mlgate.audit.findings import KINDS, NO_RECORDS, Finding, Findings, Verification
from mlgate.audit.observations import observations
from mlgate.audit.record_checks import check_records
from mlgate.audit.signatures import check_signatures
from mlgate.audit.tag_checks import check_tags
from mlgate.audit.trail import Trail
from mlgate.registry import ledger

__all__ = ["KINDS", "Finding", "Verification", "verify"]


def verify(trail: Trail) -> Verification:
    out = Findings()
    notes: list[str] = []
    if trail.head is not None:
        lc.structure(trail, out)
        lc.sequence(trail.records, out)
        lc.chains(trail.records, out)
        lc.index(trail, out)
        lc.summaries(trail, out)
        lc.time_order(trail.records, out)
        locks = LockIndex(trail.root)
        lc.subjects(trail.records, locks, out)
        notes += check_records([r for r in trail.records if r.kind == "deployment"], locks,
                               out)
        observations(trail.records, out)
        notes += lc.reflog(trail, out)
        notes += lc.remotes(trail, out)
    elif any(event.record is not None for event in trail.events):
        out.add("unverified", ledger.LEDGER_REF,
                "is missing, so the records that tags carry cannot be checked against it: "
                f"fetch it (`git fetch origin {ledger.LEDGER_BRANCH}:{ledger.LEDGER_BRANCH}`)")
    check_tags(trail, out)
    notes += check_signatures(trail, out)
    if trail.head is None and trail.registry.models and not any(
            event.record is not None for event in trail.events):
        notes.insert(0, NO_RECORDS)
    order = list(KINDS)
    findings = sorted(out.found, key=lambda f: order.index(f.kind))
    tags = sum(1 for _ in trail.events)
    return Verification(trail.ledger_ref, trail.head, len(trail.records), tags,
                        tuple(findings), tuple(notes))
