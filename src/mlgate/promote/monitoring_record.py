"""A monitoring run as a record on the ledger (predicate type
https://mlgate.dev/monitoring/v1): what was judged (model, the version the environment
served and the digest of its deployment record), on what (each batch file's sha256 and
rows, their time window, label coverage) and what was found (the verdict, every statistic
with its level, the production metric and its gap, the route on alert).

Invariant: the record is made from the result of the run and the registry as it stands;
numbers JSON cannot hold are written as null (NaN) or "inf"/"-inf", so its canonical JSON
and digest always exist. Its subject is the batches (what was observed).
"""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mlgate.monitor.drift import FeatureDrift
from mlgate.monitor.runner import MonitorResult
from mlgate.promote.append import Appended, append
from mlgate.promote.record import ci_context
from mlgate.registry import ledger
from mlgate.registry.state import Deployment, read_model


def number(value: float | None) -> float | str | None:
    if value is None or math.isnan(value):
        return None
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def _iso(when: datetime, timespec: str = "auto") -> str:
    """As promotion records write times (microseconds kept: a record made in the same
    second as the one before it must not be dated before it)."""
    return when.astimezone(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _shown(root: Path, path: Path) -> str:
    """A batch's name in the record: relative to the repository when inside it."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def batches(root: Path, result: MonitorResult) -> list[dict[str, Any]]:
    rows = result.file_rows if len(result.file_rows) == len(result.files) else ()
    out = []
    for i, name in enumerate(result.files):
        path = Path(name)
        if not path.is_file():  # what Spark read: a table, an s3a:// path, a glob
            out.append({"path": str(name), "sha256": None,
                        "rows": rows[i] if rows else None, "modified": None})
            continue
        stat = path.stat()
        out.append({"path": _shown(root, path), "sha256": file_sha256(path),
                    "rows": rows[i] if rows else None,
                    "modified": _iso(datetime.fromtimestamp(stat.st_mtime, UTC), "seconds")})
    return out


def _feature(feature: FeatureDrift) -> dict[str, Any]:
    return {"column": feature.column, "kind": feature.kind, "level": feature.level,
            "statistics": {s.name: {"value": number(s.value), "level": s.level}
                           for s in feature.statistics}}


def _largest(features: list[FeatureDrift], name: str) -> float | str | None:
    values = [s.value for f in features for s in f.statistics
              if s.name == name and not math.isnan(s.value)]
    return number(max(values)) if values else None


def drift_summary(result: MonitorResult) -> dict[str, Any]:
    """The few numbers a chart of drift over time needs (history carries them too)."""
    features = list(result.drift.features)
    score = result.drift.score
    return {"level": result.feature_verdict,
            "alerting": sum(1 for f in features if f.level == "alert"),
            "warning": sum(1 for f in features if f.level == "warn"),
            "watched": len(features),
            "max_psi": _largest(features, "psi"),
            "score_psi": _largest([score], "psi") if score else None}


def performance(result: MonitorResult) -> dict[str, Any] | None:
    check = result.performance
    if check is None:
        return None
    return {"metric": check.metric, "direction": check.direction,
            "production": number(check.production), "recorded": number(check.recorded),
            "gap": number(check.shortfall), "max_gap": check.max_gap, "level": check.level,
            "recorded_source": check.recorded_source, "note": check.note}


def _reference(root: Path, result: MonitorResult) -> dict[str, Any]:
    """The profile judged against: the served version's (its DVC md5, as its commit's
    dvc.lock names it) or, with nothing deployed, the working tree's file."""
    basis = result.basis
    if basis is not None:
        return {"path": result.reference_path, "md5": basis.md5, "version": basis.version,
                "commit": basis.commit, "rows": result.reference.rows}
    path = root / result.reference_path
    return {"path": result.reference_path,
            "sha256": file_sha256(path) if path.is_file() else None,
            "rows": result.reference.rows}


def labels(result: MonitorResult) -> dict[str, Any]:
    check = result.performance
    if check is None:
        return {"labelled": None, "unlabelled": None, "coverage": None}
    seen = check.rows + check.unlabelled
    return {"labelled": check.rows, "unlabelled": check.unlabelled,
            "coverage": round(check.rows / seen, 6) if seen else None}


def predicate(root: Path, result: MonitorResult, *, served: Deployment | None, seq: int,
              previous: str | None, now: datetime,
              files: list[dict[str, Any]]) -> dict[str, Any]:
    times = sorted(f["modified"] for f in files if f["modified"] is not None)
    deployed = served.record if served is not None else None
    return {
        "model": result.model,
        "version": served.version if served else None,
        "environment": result.environment,
        "action": "monitor",
        "seq": seq,
        "commit": served.commit if served else None,
        "deployment": ledger.digest(deployed) if deployed else None,
        "reference": _reference(root, result),
        "batches": [{k: f[k] for k in ("path", "sha256", "rows")} for f in files],
        "rows": result.current.rows,
        "window": {"from": times[0], "to": times[-1]} if times else None,
        "labels": labels(result),
        "verdict": result.verdict,
        "causes": list(result.causes),
        "route": {cause: list(actions) for cause, actions in result.route.items()},
        "findings": [{"cause": f.cause, "level": f.level, "why": f.why}
                     for f in result.findings],
        "actions": list(result.actions),
        "drift": drift_summary(result),
        "schema": [{"kind": i.kind, "column": i.column, "reference_type": i.reference_type,
                    "current_type": i.current_type, "level": i.level}
                   for i in result.drift.schema],
        "features": [_feature(f) for f in result.drift.features],
        "score": _feature(result.drift.score) if result.drift.score else None,
        "performance": performance(result),
        "slices": [{"column": c.column, "value": c.value, "rows": c.rows,
                    "production": number(c.production), "recorded": number(c.recorded),
                    "gap": number(c.shortfall), "level": c.level, "note": c.note}
                   for c in result.slices],
        "notes": list(result.notes),
        "ci": ci_context(),
        "time": _iso(now),
        "previous": previous,
    }


def record_monitoring(root: Path, result: MonitorResult, *, push: bool, remote: str,
                      now: datetime) -> Appended:
    """Append the run's record to the ledger (and push it, with ``push``)."""
    files = batches(root, result)
    subject = [{"name": f["path"], "digest": {"sha256": f["sha256"]}} for f in files]

    def make(head: ledger.ChainHead, when: datetime) -> dict[str, Any]:
        # what the environment serves as the record is appended (a retry reads it again)
        served = read_model(result.address, cwd=root).current(result.environment)
        pred = predicate(root, result, served=served, seq=head.seq + 1,
                         previous=head.previous, now=when, files=files)
        return {"_type": ledger.STATEMENT_TYPE, "subject": subject,
                "predicateType": ledger.MONITORING_TYPE, "predicate": pred}

    return append(make, root=root, model=result.model, env=result.environment,
                  of="monitoring", push=push, remote=remote, now=now)
