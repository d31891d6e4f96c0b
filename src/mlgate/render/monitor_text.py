"""Terminal output of `mlgate profile` and `mlgate monitor`."""

from __future__ import annotations

import math
from typing import Any

from mlgate.monitor.distance import Level
from mlgate.monitor.drift import FeatureDrift
from mlgate.monitor.performance import PerformanceCheck
from mlgate.monitor.runner import MonitorResult
from mlgate.monitor.summaries import NumericSummary, Profile
from mlgate.render.text import fmt_value, table

DISTANCE = {"numeric": "wasserstein", "categorical": "jensen_shannon"}


def count(n: int, noun: str, plural: str | None = None) -> str:
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def profile_summary(profile: Profile, out: str) -> str:
    rows = []
    for name, type_ in profile.schema:
        summary = profile.columns[name]
        if isinstance(summary, NumericSummary):
            shape = (f"mean {fmt_value(summary.mean)}, sd {fmt_value(summary.std)}"
                     if summary.count else "no values")
        else:
            shape = count(len(summary.counts), "category", "categories")
        role = " (score)" if name == profile.score_column else ""
        rows.append([name + role, summary.kind, type_, summary.null_count, shape])
    head = f"{out}: profile of {count(profile.rows, 'row')}, {count(len(rows), 'column')}"
    return head + "\n" + table(["column", "kind", "type", "nulls", "summary"], rows)


def stat(value: float | None) -> str:
    """A statistic at a fixed 4 decimals, so that columns of them line up and compare."""
    if value is None:
        return "-"
    if math.isnan(value):
        return "n/a"
    return str(value) if math.isinf(value) else f"{value:.4f}"


def by_share(feature: FeatureDrift) -> list[tuple[str, float]]:
    """Unseen categories, the most common first."""
    return sorted(feature.unseen_categories, key=lambda pair: (-pair[1], pair[0]))


def statistic(feature: FeatureDrift, name: str) -> float | None:
    try:
        return feature.statistic(name).value
    except KeyError:
        return None


def drift_rows(features: tuple[FeatureDrift, ...]) -> list[list[Any]]:
    return [[f.column, f.kind, f.level, *(stat(statistic(f, name)) for name in (
        "psi", DISTANCE[f.kind], "null_rate_jump", "unseen_share"))] for f in features]


DRIFT_HEADERS = ["column", "kind", "level", "psi", "distance", "null jump", "unseen"]


def rule_text(result: MonitorResult) -> str:
    rule = result.settings.rule
    parts = []
    if rule.min_alerts is not None:
        verb = "alerts" if rule.min_alerts == 1 else "alert"
        parts.append(f"at least {count(rule.min_alerts, 'feature')} {verb}")
    if rule.min_alert_share is not None:
        parts.append(f"at least {rule.min_alert_share:.0%} of the features alert")
    return " or ".join(parts) or "never on feature drift alone"


def performance_text(check: PerformanceCheck) -> str:
    where = f"recorded metrics: {check.recorded_source}"
    if check.production is None or check.shortfall is None:
        return f"{check.metric}: {check.note} ({where}): {check.level}"
    worse = "worse" if check.shortfall > 0 else "better"
    return (f"{check.metric} {fmt_value(check.production)} in production vs "
            f"{fmt_value(check.recorded)} recorded: {fmt_value(abs(check.shortfall))} {worse} "
            f"(max gap {fmt_value(check.max_gap)}) on {count(check.rows, 'labelled row')}"
            f"{f', {check.unlabelled:,} without a label' if check.unlabelled else ''}: "
            f"{check.level}\n  {where}")


def alerting(features: tuple[FeatureDrift, ...], level: Level) -> list[str]:
    return [f.column for f in features if f.level == level]


def monitor_table(result: MonitorResult) -> str:
    drift = result.drift
    lines = [
        f"{result.model} ({result.environment}): {result.verdict.upper()}",
        f"  reference {result.reference_path} ({count(drift.reference_rows, 'row')}); "
        f"current {count(len(result.files), 'file')} ({count(drift.current_rows, 'row')})",
        f"  judged against {result.judged_against}",
        "",
    ]
    if drift.schema:
        lines += ["schema", table(["level", "issue", "column", "reference", "current"],
                                  [[i.level, i.kind, i.column, i.reference_type, i.current_type]
                                   for i in drift.schema]), ""]
    lines += [table(DRIFT_HEADERS, drift_rows(drift.features + result.score_drift)), ""]
    unseen = [(f.column, c, s) for f in drift.features for c, s in by_share(f)]
    if unseen:
        shown = ", ".join(f"{col}={cat!r} ({share:.1%})" for col, cat, share in unseen[:10])
        lines += [f"unseen categories: {shown}{', ...' if len(unseen) > 10 else ''}", ""]
    if result.performance:
        lines += ["performance: " + performance_text(result.performance), ""]
    alerts = alerting(drift.features, "alert")
    lines.append(f"features: {result.feature_verdict} ({count(len(alerts), 'alert')}"
                 f"{': ' + ', '.join(alerts) if alerts else ''}; "
                 f"the dataset alerts when {rule_text(result)})")
    lines += [f"note: {note}" for note in result.notes]
    lines += [f"{f.level}: {f.cause}: {f.why}" for f in result.findings
              if f.cause not in ("schema", "drift")]
    if result.causes:
        lines.append("route: " + "; ".join(f"{cause} -> {', '.join(route) or 'no action'}"
                                           for cause, route in result.route.items()))
    lines.append(f"verdict: {result.verdict}")
    if result.actions:
        lines.append(f"action on alert: {', '.join(result.actions)}")
    return "\n".join(lines)
