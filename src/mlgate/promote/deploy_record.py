"""What really served: a deploy's outcome as a record on the ledger (predicate type
https://mlgate.dev/deploy/v1), written by `verify-artifact --deploy --record`.

It says which assignment was deployed (its tag and the digest of the deployment record
that tag carries), whether the deploy succeeded, failed or was skipped (superseded), the
sha256 of the artifact file that was verified and handed to the deploy command, and the
runtime it ran in (Python, and the digest of the installed packages' list).

Invariant: a record is written for every outcome, failures included; it names the
assignment's own record, so `audit verify` can check it against its place on the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mlgate.plumbing.runtime import runtime
from mlgate.promote.append import Appended, append
from mlgate.promote.record import ci_context
from mlgate.registry import ledger
from mlgate.registry.state import read_model
from mlgate.registry.tags import parse_tag

OUTCOMES = ("success", "failure", "skipped")


@dataclass(frozen=True)
class Deployed:
    """A deploy as verify-artifact saw it (plain values: the deploy layer is a peer)."""

    tag: str
    model: str
    env: str
    version: str | None
    commit: str | None
    artifact: str | None
    digests: dict[str, str]  # of the file in the working tree
    outcome: str  # one of OUTCOMES
    detail: str
    problems: tuple[str, ...] = ()


def _assignment(root: Path, tag: str) -> dict[str, Any] | None:
    parsed = parse_tag(tag)  # the model as the tag names it (a subdirectory's address)
    if parsed is None:
        return None
    state = read_model(parsed.model, cwd=root)
    event = next((ev for ev in state.events if ev.name == tag), None)
    return event.record if event is not None else None


def record_deploy(root: Path, deployed: Deployed, *, push: bool, remote: str,
                  now: datetime) -> Appended:
    assert deployed.outcome in OUTCOMES
    assigned = _assignment(root, deployed.tag)
    ran = runtime()
    subject = [{"name": deployed.artifact or "", "digest": dict(deployed.digests)}]

    def make(head: ledger.ChainHead, when: datetime) -> dict[str, Any]:
        pred = {
            "model": deployed.model, "version": deployed.version,
            "environment": deployed.env, "action": "deploy", "seq": head.seq + 1,
            "commit": deployed.commit, "tag": deployed.tag,
            "deployment": ledger.digest(assigned) if assigned else None,
            "outcome": deployed.outcome, "detail": deployed.detail,
            "problems": list(deployed.problems),
            "artifact": {"path": deployed.artifact, **deployed.digests},
            "runtime": ran, "ci": ci_context(),
            "time": when.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "previous": head.previous,
        }
        return {"_type": ledger.STATEMENT_TYPE, "subject": subject,
                "predicateType": ledger.DEPLOY_TYPE, "predicate": pred}

    return append(make, root=root, model=deployed.model, env=deployed.env, of="deploy",
                  push=push, remote=remote, now=now)
