"""The auditor's questions where mlgate's records do not reach: a registry made by GTO
alone (`gto register`, `gto assign`, as DVC Studio users have), with no ledger branch, or
the part of an adopted one that came before mlgate's first record.

`audit at` then answers from the assignment tags and their dates, replayed as GTO replays
them (each model's events in counter order; a stay ends at the next event in its
environment), and says plainly what that answer is worth: a tag carries no evidence (no
gates, metrics, approvals or lineage), and anyone who can push a tag can make, move or
delete one (and date it as they like), so nothing here is tamper-evident.

Precedence, beside a ledger (:func:`beside_records`): the records decide every model and
environment they cover at the time asked, that is once the ledger has a promotion,
rollback or retirement for it at or before that time. A tag with no record there is not
evidence and never overrides them (a tag pushed by hand after adoption, or forged): it is
listed as ignored, with what it says, when it comes after the tags of those records in
GTO's order (GTO's own tags from before are the history the records superseded). Tags
answer only in the gaps: before the ledger's first such record for that model and
environment (GTO's own assignments, before adoption), or for one the ledger never
touched.
"""

from __future__ import annotations

from datetime import datetime
from operator import attrgetter
from typing import Any

from mlgate.audit.timeline import CHANGES, iso
from mlgate.audit.trail import Trail
from mlgate.registry.ledger import LEDGER_BRANCH
from mlgate.registry.state import ModelState, Registry, TagEvent
from mlgate.registry.tags import Action

NO_RECORDS = (f"no mlgate records here (there is no ledger branch {LEDGER_BRANCH}): answered "
              "from the registry's tags alone, as GTO reads them; a tag carries no evidence "
              "(no gates, metrics, approvals or lineage) and is not tamper-evident: anyone "
              "who can push tags can make, move or delete one")
# `audit at` beside a ledger, when some answer is a tag's
TAG_ONLY = ("an answer whose evidence is \"tag only\" has no mlgate record: no record on "
            f"the ledger ({LEDGER_BRANCH}) covers that model and environment at that time "
            "(before mlgate's first promotion there, as in a registry adopted from GTO), so it "
            "is answered from the registry's tags alone, as GTO reads them; a tag carries no "
            "evidence (no gates, metrics, approvals or lineage) and is not tamper-evident: "
            "anyone who can push tags can make, move, delete or backdate one")


def served_at(registry: Registry, at: datetime, env: str, model: str | None
              ) -> list[dict[str, Any]]:
    """Per model (only ``model`` when given), the assignment whose stay in ``env`` covers
    ``at``, by the tags' dates."""
    rows = []
    for name in sorted(registry.models):
        if model not in (None, name):
            continue
        state = registry.models[name]
        events = _in_order(state, env)
        for stay in state.timeline(env):
            if stay.since <= at and (stay.until is None or at < stay.until):
                later = events[events.index(stay.event) + 1:]
                rows.append(_row(name, stay.event, stay.until, later[0] if later else None,
                                 stay.version))
    return rows


def beside_records(trail: Trail, at: datetime, env: str, model: str | None
                   ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(answers, ignored) from the tags of a registry that has a ledger too: per model
    (only ``model`` when given), the assignment serving ``env`` at ``at`` by its tags when
    no record covers that model there then (see the module's precedence); and, where one
    does, the record-less tag that GTO would answer with instead, when it comes after the
    tags of those records in GTO's order (one before is GTO's history, which the records
    superseded). That order is the tags' counter, not their dates, which the tagger sets
    (a lightweight tag's is its commit's). No tag message is read: the ledger names its
    tags, and a record a tag's message may carry is not the ledger's word."""
    covered: set[str] = set()
    recorded: set[str] = set()  # the tags of the records up to ``at``
    for r in trail.records:
        if r.env == env and r.action in CHANGES and r.time is not None and r.time <= at:
            covered.add(r.model)
            recorded.update(r.tags)
    named = trail.naming()
    answers: list[dict[str, Any]] = []
    ignored: list[dict[str, Any]] = []
    for name in sorted(trail.registry.models):
        if model not in (None, name):
            continue
        state = trail.registry.models[name]
        events = _in_order(state, env)
        for i, event in enumerate(events):  # a stay ends at the next event in ``env``
            after = events[i + 1] if i + 1 < len(events) else None
            if (event.tag.action is not Action.ASSIGN or event.time > at
                    or (after is not None and after.time <= at)):
                continue
            record = named.get(event.name)
            if record is not None and record.model == name:
                continue  # a tag the ledger names: its record answers once it is dated
            # the version registered on its commit (a record its message may carry, a copy
            # of another tag's, is no word on it)
            row = _row(name, event, after.time if after else None, after,
                       state.version_of(event.commit))
            if name not in covered:
                answers.append(row)
            elif all(ev.order < event.order for ev in events if ev.name in recorded):
                ignored.append({**row, "why": "no mlgate record, and after the tags of the "
                                              "ledger's records for this model and "
                                              "environment, which decide"})
    return answers, ignored


def _in_order(state: ModelState, env: str) -> list[TagEvent]:
    """The model's events in ``env``, in GTO's replay order."""
    return sorted((ev for ev in state.events if ev.tag.env == env), key=attrgetter("order"))


def _row(name: str, event: TagEvent, until: datetime | None, ended_by: TagEvent | None,
         version: str | None) -> dict[str, Any]:
    return {
        "model": name, "address": event.tag.model, "environment": event.tag.env,
        "version": version, "action": "assign", "since": iso(event.time), "until": iso(until),
        "ended_by": ended_by.name if ended_by else None, "commit": event.commit,
        "tag": event.name, "who": event.tagger or None, "evidence": "tag only",
        "record_digest": None,
    }
