"""`summary.md`: a monitoring run as a GitHub issue body.

Verdict first, then what a person must act on: the declared action, schema issues, the
features that warn or alert, prediction drift and the performance gap. Every value
that comes from data (column and category names) is escaped, so a batch cannot inject
markdown or HTML into the issue.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mlgate.monitor.drift import FeatureDrift
from mlgate.monitor.runner import NO_ROWS, MonitorResult
from mlgate.render.monitor_text import DISTANCE, by_share, count, rule_text, stat, statistic
from mlgate.render.text import fmt_value, neutral

BADGE = {"ok": "ok", "warn": "⚠️ warn", "alert": "🚨 alert"}


def md(text: object) -> str:
    """``text`` as literal markdown: special characters escaped, no HTML, no mention or
    link, one line."""
    return neutral(text)


def md_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(fmt_value(c) if not isinstance(c, str) else c for c in row)
              + " |" for row in rows]
    return lines


def _drift_rows(features: Sequence[FeatureDrift]) -> list[list[Any]]:
    return [[md(f.column), f.kind, BADGE[f.level], stat(statistic(f, "psi")),
             f"{DISTANCE[f.kind]} {stat(statistic(f, DISTANCE[f.kind]))}",
             stat(statistic(f, "null_rate_jump")), stat(statistic(f, "unseen_share"))]
            for f in features]


DRIFT_HEADERS = ["column", "kind", "level", "PSI", "distance", "null-rate jump", "unseen share"]


def summary_markdown(result: MonitorResult) -> str:
    drift = result.drift
    lines = [
        f"## Monitoring {neutral(result.model, within='code')} in {md(result.environment)}: "
        f"**{BADGE[result.verdict]}**",
        "",
        f"{count(len(result.files), 'batch file')} ({count(drift.current_rows, 'row')}) "
        f"compared with the reference profile {md(result.reference_path)} "
        f"({count(drift.reference_rows, 'row')}). "
        f"Judged against {md(result.judged_against)}.",
        "",
    ]
    if result.current.rows == 0:
        lines += [f"**{md(NO_ROWS[0].upper() + NO_ROWS[1:])}.**", ""]
    if result.actions:
        actions = ", ".join(neutral(a, within="code") for a in result.actions)
        lines += [f"**Action on alert:** {actions}", ""]
    if result.causes:
        lines += ["**Causes and their route** (`monitoring.on_alert`):", ""]
        for cause, route in result.route.items():
            why = "; ".join(md(f.why) for f in result.findings
                            if f.cause == cause and f.level == "alert")
            to = ", ".join(neutral(a, within="code") for a in route) or "no action"
            lines.append(f"- {neutral(cause, within='code')} ({why}) → {to}")
        lines.append("")
    warned = [f for f in result.findings if f.level == "warn" and f.cause not in ("schema",
                                                                                   "drift")]
    lines += [f"**Warning ({md(f.cause)}):** {md(f.why)}" for f in warned]
    lines += [""] if warned else []
    if drift.schema:
        lines += ["### Schema changes", ""]
        lines += md_table(["level", "issue", "column", "reference type", "current type"],
                          [[BADGE[i.level], i.kind.replace("_", " "), md(i.column),
                            md(i.reference_type or "-"), md(i.current_type or "-")]
                           for i in drift.schema])
        lines.append("")
    features = sorted((f for f in drift.features if f.level != "ok"),
                      key=lambda f: f.level != "alert")
    lines += ["### Feature drift", ""]
    if features:
        lines += md_table(DRIFT_HEADERS, _drift_rows(features))
    else:
        lines.append(f"No feature drifts past its warn level "
                     f"({count(len(drift.features), 'feature')} watched).")
    lines.append("")
    unseen = [f"{md(f.column)} = {md(c)} ({share:.1%})"
              for f in features for c, share in by_share(f)]
    if unseen:
        lines += ["Categories the reference never saw: " + ", ".join(unseen[:20])
                  + (", ..." if len(unseen) > 20 else ""), ""]
    lines.append(f"Features: **{result.feature_verdict}**; the dataset alerts when "
                 f"{rule_text(result)}.")
    lines.append("")
    lines += ["### Prediction drift", ""]
    if drift.score:
        lines += md_table(DRIFT_HEADERS[:5], [row[:5] for row in _drift_rows([drift.score])])
    else:
        lines.append("Not checked: the batch has no score column.")
    lines += ["", "### Performance", ""]
    lines += _performance(result)
    if result.notes:
        lines += ["", "### Notes", ""] + [f"- {md(note)}" for note in result.notes]
    lines += ["", "<details><summary>Every watched feature</summary>", ""]
    lines += md_table(DRIFT_HEADERS, _drift_rows(drift.features))
    lines += ["", "</details>", ""]
    return "\n".join(lines)


def _performance(result: MonitorResult) -> list[str]:
    check = result.performance
    if check is None:
        return ["Not checked (see the notes)." if result.notes else "Not checked."]
    lines = md_table(
        ["metric", "production", "recorded", "shortfall", "max gap", "labelled rows", "level"],
        [[md(check.metric), check.production, check.recorded, check.shortfall, check.max_gap,
          f"{check.rows:,}", BADGE[check.level]]])
    if check.note:
        lines += ["", md(check.note)]
    lines += ["", f"Recorded metrics: {md(check.recorded_source)}."]
    if check.unlabelled:
        lines.append(f"{check.unlabelled:,} scored rows have no label yet.")
    return lines
