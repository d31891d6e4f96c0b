"""Appending a record that no tag carries (monitoring, deploy) to the ledger: one ledger
commit, one local ref transaction and, with push, one `git push --atomic`, retried on
fresh state when a concurrent writer won (:mod:`mlgate.promote.retry`).

Invariant: the record is made inside each attempt, from the ledger as it stands then
(its sequence number and its chain's previous digest), so a retry after a lost race
chains on the winner; whatever stops the push, the local ledger is put back as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from mlgate.promote import retry
from mlgate.registry import ledger, publish

NOTHING_KEPT = "nothing was kept locally (the ledger is as it was)"


@dataclass(frozen=True)
class Appended:
    record: dict[str, Any]
    ledger_commit: str
    pushed: bool


def append(make: Callable[[ledger.ChainHead, datetime], dict[str, Any]], *, root: Path,
           model: str, env: str, of: str, push: bool, remote: str, now: datetime) -> Appended:
    """``make(head, when)`` is the record for the ledger at ``head`` (the chain of kind
    ``of`` for ``model`` in ``env``), made at ``when``."""

    def attempt(when: datetime) -> Appended | None:
        head = ledger.chain_head(model, env, cwd=root, of=of)
        record = make(head, when)
        plan = publish.build([(record, [])], cwd=root)
        publish.apply(plan, cwd=root)
        if not push:
            return Appended(record, plan.ledger_new, False)
        try:
            result = publish.push(plan.refspecs(), remote=remote, cwd=root)
        except BaseException:
            publish.undo(plan, cwd=root)
            raise
        if result.ok:
            return Appended(record, plan.ledger_new, True)
        publish.undo(plan, cwd=root)
        if result.status == "race":
            return None
        raise publish.push_error(result, remote=remote, kept=NOTHING_KEPT)

    return retry.run(attempt, root=root, push=push, dry_run=False, remote=remote, now=now)
