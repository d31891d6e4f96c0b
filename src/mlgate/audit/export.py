"""`audit export --out DIR`: everything an auditor reads, gathered once as data.

Invariant: this module gathers and returns; it neither renders nor writes. The export's
files are rendered by :mod:`mlgate.render.audit_export` from the one document built here,
so the HTML page, the JSON and the CSV tables can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from mlgate.audit import history_rows, production, timeline, trail
from mlgate.audit.model_inventory import inventory
from mlgate.audit.records import Record
from mlgate.audit.trail import Trail
from mlgate.audit.verify import Verification, verify
from mlgate.plumbing import progress


@dataclass(frozen=True)
class Export:
    """The export's one document (what audit.json holds) and the verification it embeds."""

    data: dict[str, Any]
    verification: Verification

    @property
    def records(self) -> int:
        return len(self.data["deployments"])

    @property
    def models(self) -> int:
        return len(self.data["inventory"])


def stays(records: tuple[Record, ...]) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """model -> environment -> every stay, oldest first, replayed from the records."""
    found: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for record in records:
        if record.action not in timeline.CHANGES or record.time is None:
            continue
        lane = found.setdefault(record.model, {}).setdefault(record.env, [])
        if lane and lane[-1]["until"] is None:
            lane[-1]["until"] = timeline.iso(record.time)
            lane[-1]["ended_by"] = record.action
        if record.action in timeline.SERVING:
            lane.append({"version": record.version, "action": record.action,
                         "since": timeline.iso(record.time), "until": None, "ended_by": None,
                         "who": record.who, "reason": record.pred.get("reason"),
                         "seq": record.seq, "approvals": record.listing("approvals")})
    return found


def metric_series(records: tuple[Record, ...], keys: dict[str, tuple[str, ...]]
                  ) -> dict[str, dict[str, Any]]:
    """model -> the key metrics of each version, in the order versions were first promoted."""
    series: dict[str, dict[str, Any]] = {}
    for record in records:
        if record.action != "promote" or not record.version:
            continue
        entry = series.setdefault(record.model, {"versions": [], "metrics": {}})
        if record.version in entry["versions"]:
            continue
        entry["versions"].append(record.version)
        values = timeline.key_metrics(record, keys.get(record.model, ()))
        for name, value in values.items():
            entry["metrics"].setdefault(name, {})[record.version] = value
    return series


def deployments(t: Trail) -> list[dict[str, Any]]:
    """Every deployment record's full evidence, newest first (monitoring and deploy
    records are in `production` and `alerts`)."""
    found = []
    for record in reversed(t.records):
        if record.kind != "deployment":
            continue
        evidence = timeline.lineage(timeline.Stay(record, None, None))
        evidence.update(verdict=history_rows.verdict(record), label=record.label,
                        time=timeline.iso(record.time))
        found.append(evidence)
    return found


def collect(root: Path, *, now: datetime) -> Export:
    """Everything the export shows, each part told as a step of progress."""
    with progress.task("audit export", total=8) as step:
        step(0, "reading the registry")
        loaded = trail.load(root)
        step(1, "verifying every record")
        checked = verify(loaded)
        step(1, "the model inventory")
        keys, _ = timeline.declared_keys(root)
        listed = inventory(root, loaded.registry, today=now.date())
        step(1, "the history")
        history = history_rows.history(loaded, model=None, env=None, keys=keys)
        step(1, "stays")
        served = stays(loaded.records)
        step(1, "metrics")
        series = metric_series(loaded.records, keys)
        step(1, "deployments")
        deployed = deployments(loaded)
        step(1, "production")
        observed = production.series(loaded.records)
        alerts = production.alerts(loaded.records)
        step(1)
    data = {
        "generated": timeline.iso(now), "repository": root.name,
        "ledger": loaded.ledger_ref, "ledger_head": loaded.head,
        "verification": checked.as_dict(), "inventory": listed, "history": history,
        "stays": served, "metrics": series, "deployments": deployed,
        "production": observed, "alerts": alerts,
    }
    return Export(data, checked)
