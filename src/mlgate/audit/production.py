"""What production showed, from the monitoring and deploy records on the ledger.

- :func:`as_of`: for a stay that `audit at` reports, the latest monitoring verdict on that
  very deployment up to the time asked, and whether (and how) it was deployed;
- :func:`series`: per model and environment, each run's production metric, gap and drift,
  with the version judged (what `audit export` charts);
- :func:`alerts`: every alert, the route its record holds (on_alert's actions) and what
  the ledger shows was done next in that environment (a rollback, a promotion, a
  retirement), or that nothing was.

Invariant: read from records only (untrusted shapes are left out, never raised on); a
monitoring or deploy record counts for the stay whose deployment digest it names.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mlgate.audit.records import Record
from mlgate.audit.timeline import CHANGES, Stay, iso
from mlgate.audit.trail import Trail


def _number(value: Any) -> float | None:
    return float(value) if type(value) in (int, float) else None


def monitoring_row(record: Record) -> dict[str, Any]:
    perf = record.mapping("performance")
    drift = record.mapping("drift")
    labels = record.mapping("labels")
    return {"time": iso(record.time), "seq": record.seq, "model": record.model,
            "environment": record.env, "version": record.version,
            "verdict": record.pred.get("verdict"), "metric": perf.get("metric"),
            "production": _number(perf.get("production")), "gap": _number(perf.get("gap")),
            "max_gap": _number(perf.get("max_gap")), "max_psi": _number(drift.get("max_psi")),
            "features_alerting": drift.get("alerting"), "rows": record.pred.get("rows"),
            "label_coverage": _number(labels.get("coverage")),
            "actions": [a for a in record.listing("actions") if isinstance(a, str)],
            "ledger_commit": record.ledger_commit}


def deploy_row(record: Record) -> dict[str, Any]:
    return {"time": iso(record.time), "seq": record.seq, "outcome": record.pred.get("outcome"),
            "detail": record.pred.get("detail"), "tag": record.pred.get("tag"),
            "artifact": record.mapping("artifact"), "runtime": record.mapping("runtime"),
            "who": record.who, "ledger_commit": record.ledger_commit}


def as_of(trail: Trail, stay: Stay, at: datetime) -> dict[str, Any]:
    """{"monitoring": the latest run on this stay up to ``at`` (None: never monitored),
    "deployed": its latest deploy record up to ``at`` (None: no deploy was recorded)}."""
    digest = stay.record.digest
    monitored = deployed = None
    for record in trail.records:
        if record.kind == "deployment" or record.pred.get("deployment") != digest:
            continue
        if record.time is None or record.time > at:
            continue
        if record.kind == "monitoring":
            monitored = record
        elif record.kind == "deploy":
            deployed = record
    return {"monitoring": monitoring_row(monitored) if monitored else None,
            "deployed": deploy_row(deployed) if deployed else None}


def series(records: tuple[Record, ...]) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """model -> environment -> every monitoring run, oldest first."""
    found: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for record in records:
        if record.kind == "monitoring" and record.time is not None:
            found.setdefault(record.model, {}).setdefault(record.env, []).append(
                monitoring_row(record))
    return found


def alerts(records: tuple[Record, ...]) -> list[dict[str, Any]]:
    """Every alert, oldest first, with its route and the next change of its environment."""
    found: list[dict[str, Any]] = []
    open_: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for record in records:
        key = (record.model, record.env)
        if record.kind == "monitoring" and record.pred.get("verdict") == "alert":
            row = monitoring_row(record)
            row["causes"] = _causes(record)
            row["followed_by"] = None
            found.append(row)
            open_.setdefault(key, []).append(row)
        elif record.kind == "deployment" and record.action in CHANGES:
            for row in open_.pop(key, []):
                row["followed_by"] = {"action": record.action, "version": record.version,
                                      "time": iso(record.time), "seq": record.seq,
                                      "reason": record.pred.get("reason")}
    return found


def _causes(record: Record) -> list[str]:
    """What alerted, in the words of the issue's routes: schema, drift, performance, data."""
    causes = []
    if any(isinstance(i, dict) and i.get("level") == "alert" for i in record.listing("schema")):
        causes.append("schema")
    drift = record.mapping("drift")
    score = record.mapping("score")
    if drift.get("level") == "alert" or score.get("level") == "alert":
        causes.append("drift")
    if record.mapping("performance").get("level") == "alert":
        causes.append("performance")
    if record.pred.get("rows") == 0:
        causes.append("data")
    return causes
