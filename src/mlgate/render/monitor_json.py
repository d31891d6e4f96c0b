"""`monitor.json`: everything a monitoring run found, for machines and workflows.

Numbers that JSON cannot hold (a statistic with no value, NaN) are written as null;
an infinite one (a constant reference that moved) as the string "inf".
"""

from __future__ import annotations

import math
from typing import Any

from mlgate.monitor.drift import FeatureDrift, SchemaIssue
from mlgate.monitor.histogram import Histogram, histogram
from mlgate.monitor.performance import PerformanceCheck
from mlgate.monitor.runner import MonitorResult
from mlgate.monitor.summaries import Profile
from mlgate.render.text import to_json

FORMAT = "mlgate.monitor"
VERSION = 1


def number(value: float | None) -> float | str | None:
    if value is None or math.isnan(value):
        return None
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def _histogram(chart: Histogram | None) -> dict[str, Any] | None:
    if chart is None:
        return None
    return {
        "bins" if chart.kind == "numeric" else "categories": list(chart.labels),
        "reference": list(chart.reference),
        "current": list(chart.current),
        **({"unseen": list(chart.unseen)} if chart.kind == "categorical" else {}),
    }


def feature_histogram(result: MonitorResult, feature: FeatureDrift) -> Histogram | None:
    return histogram(feature.column, result.reference.columns[feature.column],
                     result.current.columns.get(feature.column),
                     bins=result.settings.drift.bins)


def _feature(result: MonitorResult, feature: FeatureDrift) -> dict[str, Any]:
    return {
        "column": feature.column,
        "kind": feature.kind,
        "level": feature.level,
        "statistics": {s.name: {"value": number(s.value), "level": s.level}
                       for s in feature.statistics},
        "reference_null_rate": number(feature.reference_null_rate),
        "current_null_rate": number(feature.current_null_rate),
        "unseen_categories": [{"category": c, "share": share}
                              for c, share in feature.unseen_categories],
        "histogram": _histogram(feature_histogram(result, feature)),
    }


def _schema(issue: SchemaIssue) -> dict[str, Any]:
    return {"kind": issue.kind, "column": issue.column, "reference_type": issue.reference_type,
            "current_type": issue.current_type, "level": issue.level}


def _performance(check: PerformanceCheck | None) -> dict[str, Any] | None:
    if check is None:
        return None
    return {
        "metric": check.metric,
        "direction": check.direction,
        "production": number(check.production),
        "recorded": number(check.recorded),
        "shortfall": number(check.shortfall),
        "max_gap": check.max_gap,
        "labelled_rows": check.rows,
        "unlabelled_rows": check.unlabelled,
        "recorded_source": check.recorded_source,
        "level": check.level,
        "note": check.note,
    }


def _profile(profile: Profile) -> dict[str, Any]:
    return {"rows": profile.rows, "score_column": profile.score_column,
            "columns": [{"name": n, "type": t} for n, t in profile.schema]}


def _basis(result: MonitorResult) -> dict[str, Any]:
    """Which version's profile was judged against (version and commit None: the working
    tree's, nothing being deployed)."""
    b = result.basis
    if b is None:
        return {}
    return {"md5": b.md5, "version": b.version, "commit": b.commit, "source": b.source}


def to_dict(result: MonitorResult) -> dict[str, Any]:
    settings = result.settings
    rule = settings.rule
    return {
        "format": FORMAT,
        "version": VERSION,
        "model": result.model,
        "environment": result.environment,
        "verdict": result.verdict,
        "causes": list(result.causes),
        "route": {cause: list(actions) for cause, actions in result.route.items()},
        "actions": list(result.actions),
        "findings": [{"cause": f.cause, "level": f.level, "why": f.why}
                     for f in result.findings],
        "on_alert": {cause: list(actions) for cause, actions in settings.on_alert.items()},
        "features_verdict": result.feature_verdict,
        "alert_when": {"features": rule.min_alerts, "share": rule.min_alert_share},
        "reference": {"path": result.reference_path, **_basis(result),
                      **_profile(result.reference)},
        "current": {"files": list(result.files), **_profile(result.current)},
        "schema": [_schema(issue) for issue in result.drift.schema],
        "features": [_feature(result, f) for f in result.drift.features],
        "score": _feature(result, result.drift.score) if result.drift.score else None,
        "performance": _performance(result.performance),
        "slices": [{"column": c.column, "value": c.value, "labelled_rows": c.rows,
                    "production": number(c.production), "recorded": number(c.recorded),
                    "shortfall": number(c.shortfall), "level": c.level, "note": c.note}
                   for c in result.slices],
        "newest_row": result.newest.isoformat() if result.newest else None,
        "thresholds": {name: {"warn": t.warn, "alert": t.alert}
                       for name, t in settings.thresholds().items()},
        "notes": list(result.notes),
    }


def dumps(result: MonitorResult) -> str:
    return to_json(to_dict(result))
