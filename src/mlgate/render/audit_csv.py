"""The audit export's CSV tables: history, metrics (long form), inventory, findings,
monitoring runs and alerts.

Text cells that a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) get a
leading apostrophe: a deployment's reason is free text from whoever promoted.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if isinstance(value, list | tuple):
        value = "; ".join(str(v) for v in value)
    if isinstance(value, str) and value.startswith(FORMULA) and value != "-":
        return "'" + value
    return "" if value is None else value


def _csv(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows([[_cell(v) for v in row] for row in rows])
    return buffer.getvalue()


HISTORY = ("time", "seq", "model", "environment", "action", "version", "verdict", "who",
           "approvals", "reason", "tags", "commit", "evidence", "ledger_commit")


def tables(data: dict[str, Any]) -> dict[str, str]:
    history = [[row[k] for k in HISTORY] for row in data["history"]]
    metrics = [[d["model"], d["version"], d["environment"], d["action"], d["seq"], d["time"],
                name, value]
               for d in data["deployments"] for name, value in d["metrics"].items()
               if isinstance(value, int | float) and not isinstance(value, bool)]
    inventory = [[m["model"], (m["owner"] or {}).get("name"), (m["owner"] or {}).get("email"),
                  m["risk_tier"], m["intended_use"], (m["review"] or {}).get("last_validated"),
                  m["valid_until"], m["overdue"],
                  [f"{env}={'v' + s['version'] if s and s['version'] else '-'}"
                   for env, s in m["environments"].items()],
                  m["versions"], m["flags"]] for m in data["inventory"]]
    findings = [[f["kind"], f["where"], f["message"]]
                for f in data["verification"]["findings"]]
    runs = [[run[k] for k in MONITORING] for lanes in data["production"].values()
            for runs in lanes.values() for run in runs]
    alerts = [[a["time"], a["seq"], a["model"], a["environment"], a["version"], a["causes"],
               a["actions"], _followed(a["followed_by"])] for a in data["alerts"]]
    return {
        "history.csv": _csv(HISTORY, history),
        "metrics.csv": _csv(("model", "version", "environment", "action", "seq", "time",
                             "metric", "value"), metrics),
        "inventory.csv": _csv(("model", "owner", "email", "risk_tier", "intended_use",
                               "last_validated", "valid_until", "overdue", "environments",
                               "versions", "flags"), inventory),
        "findings.csv": _csv(("kind", "where", "message"), findings),
        "monitoring.csv": _csv(MONITORING, runs),
        "alerts.csv": _csv(("time", "seq", "model", "environment", "version", "causes",
                            "route", "followed_by"), alerts),
    }


MONITORING = ("time", "seq", "model", "environment", "version", "verdict", "metric",
              "production", "gap", "max_gap", "max_psi", "features_alerting", "rows",
              "label_coverage", "actions", "ledger_commit")


def _followed(change: dict[str, Any] | None) -> str:
    """What the ledger shows was done after an alert, in words."""
    if change is None:
        return "nothing on the ledger since"
    version = f" v{change['version']}" if change["version"] else ""
    return f"{change['action']}{version} at {change['time']} (#{change['seq']})"
