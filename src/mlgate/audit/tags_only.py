"""The auditor's questions on a registry without mlgate's records: one made by GTO alone
(`gto register`, `gto assign`, as DVC Studio users have), with no ledger branch.

`audit at` then answers from the assignment tags and their dates, replayed as GTO replays
them (each model's events in counter order; a stay ends at the next event in its
environment), and says plainly what that answer is worth: a tag carries no evidence (no
gates, metrics, approvals or lineage), and anyone who can push a tag can make, move or
delete one, so nothing here is tamper-evident.
"""

from __future__ import annotations

from datetime import datetime
from operator import attrgetter
from typing import Any

from mlgate.audit.timeline import iso
from mlgate.registry.ledger import LEDGER_BRANCH
from mlgate.registry.state import Registry

NO_RECORDS = (f"no mlgate records here (there is no ledger branch {LEDGER_BRANCH}): answered "
              "from the registry's tags alone, as GTO reads them; a tag carries no evidence "
              "(no gates, metrics, approvals or lineage) and is not tamper-evident: anyone "
              "who can push tags can make, move or delete one")


def served_at(registry: Registry, at: datetime, env: str, model: str | None
              ) -> list[dict[str, Any]]:
    """Per model (only ``model`` when given), the assignment whose stay in ``env`` covers
    ``at``, by the tags' dates."""
    rows = []
    for name in sorted(registry.models):
        if model not in (None, name):
            continue
        state = registry.models[name]
        events = sorted((ev for ev in state.events if ev.tag.env == env),
                        key=attrgetter("order"))
        for stay in state.timeline(env):
            if stay.since > at or (stay.until is not None and stay.until <= at):
                continue
            later = events[events.index(stay.event) + 1:]
            event = stay.event
            rows.append({
                "model": name, "address": event.tag.model, "environment": env,
                "version": stay.version, "action": "assign", "since": iso(stay.since),
                "until": iso(stay.until), "ended_by": later[0].name if later else None,
                "commit": stay.commit, "tag": event.name, "who": event.tagger or None,
                "evidence": "tag only", "record_digest": None,
            })
    return rows
