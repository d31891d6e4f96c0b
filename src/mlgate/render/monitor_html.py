"""`report.html`: one self-contained page per monitoring run.

Inline CSS and inline SVG only: no script, no font, no request of any kind, so the page
opens from a CI artifact or a mail attachment as it is. Every value from the data is
escaped. A chart per feature: reference and current shares on the reference's quantile
bins (numeric) or per category (categorical, the most common first).
"""

from __future__ import annotations

import math
from html import escape

from mlgate.monitor.drift import FeatureDrift
from mlgate.monitor.histogram import Histogram
from mlgate.monitor.runner import MonitorResult
from mlgate.render.monitor_json import feature_histogram
from mlgate.render.monitor_text import DISTANCE, by_share, count, rule_text, stat, statistic
from mlgate.render.page_css import PAGE_CSS
from mlgate.render.text import fmt_value

CSS = PAGE_CSS + """
.v-ok{background:#1a7f37}.v-warn{background:#9a6700}.v-alert{background:#cf222e}
h2{font-size:17px;margin:4px 0 10px}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}
th,td{border-bottom:1px solid #d8dee4;padding:4px 10px;text-align:left}
.badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;color:#fff}
.b-ok{background:#1a7f37}.b-warn{background:#9a6700}.b-alert{background:#cf222e}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(380px,1fr));gap:12px;
align-items:start}
figure{margin:0;border:1px solid #d0d7de;border-radius:8px;padding:8px;background:#fff}
figure.l-alert{border-color:#cf222e;border-width:2px}
figure.l-warn{border-color:#bf8700;border-width:2px}
figcaption{font-weight:600;margin-bottom:4px}
figcaption small{font-weight:400;color:#59636e;display:block}
svg{display:block;width:100%;height:auto}
.legend{font-size:12px;color:#59636e}
.sw{display:inline-block;width:10px;height:10px;margin:0 4px 0 10px}
ul{margin:4px 0;padding-left:20px}
"""
REFERENCE_COLOUR, CURRENT_COLOUR, UNSEEN_COLOUR = "#6e8fbf", "#f08a4b", "#cf222e"
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 420, 210, 52, 62, 10


def e(value: object) -> str:
    return escape(str(value), quote=True)


def _badge(level: str) -> str:
    return f'<span class="badge b-{e(level)}">{e(level)}</span>'


def _share(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.1%}"


def _short(label: str, limit: int = 12) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def chart(chart: Histogram) -> str:
    """Grouped bars: reference then current share per bin or category."""
    n = max(len(chart.labels), 1)
    peak = max([*chart.reference, *chart.current, 0.01])
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    group = plot_w / n
    bar = min(max(group * 0.38, 1.0), 26.0)
    parts = [f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'aria-label="{e(chart.column)}: reference and current distribution" '
             'xmlns="http://www.w3.org/2000/svg">']
    for tick in (0.0, 0.5, 1.0):
        y = TOP + plot_h * (1 - tick)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - 8}" y1="{y:.1f}" y2="{y:.1f}" '
                     'stroke="#d8dee4"/>')
        parts.append(f'<text x="{LEFT - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end" '
                     f'fill="#59636e">{peak * tick:.0%}</text>')
    for i, label in enumerate(chart.labels):
        x0 = LEFT + i * group + (group - 2 * bar) / 2
        for j, (share, colour) in enumerate(((chart.reference[i], REFERENCE_COLOUR),
                                             (chart.current[i], CURRENT_COLOUR))):
            h = plot_h * share / peak
            fill = UNSEEN_COLOUR if j == 1 and chart.unseen[i] else colour
            who = "reference" if j == 0 else "current"
            parts.append(f'<rect x="{x0 + j * bar:.1f}" y="{TOP + plot_h - h:.1f}" '
                         f'width="{bar:.1f}" height="{h:.1f}" fill="{fill}">'
                         f"<title>{e(label)}: {e(who)} {share:.2%}</title></rect>")
        cx, cy = LEFT + (i + 0.5) * group, TOP + plot_h + 10
        mark = "*" if chart.unseen[i] else ""
        parts.append(f'<text x="{cx:.1f}" y="{cy:.1f}" font-size="10" fill="#1f2328" '
                     f'text-anchor="end" transform="rotate(-40 {cx:.1f} {cy:.1f})">'
                     f"{e(_short(label) + mark)}<title>{e(label)}</title></text>")
    parts.append("</svg>")
    return "".join(parts)


def _figure(result: MonitorResult, feature: FeatureDrift, role: str = "") -> str:
    distance = DISTANCE[feature.kind]
    stats = (f"PSI {e(stat(statistic(feature, 'psi')))} · {e(distance)} "
             f"{e(stat(statistic(feature, distance)))} · nulls "
             f"{_share(feature.reference_null_rate)} → {_share(feature.current_null_rate)}")
    histogram = feature_histogram(result, feature)
    body = chart(histogram) if histogram else "<p>No comparable current data.</p>"
    unseen = ""
    if feature.unseen_categories:
        shown = ", ".join(f"{e(c)} ({s:.1%})" for c, s in by_share(feature)[:10])
        unseen = f"<p>* not in the reference: {shown}</p>"
    return (f'<figure class="l-{e(feature.level)}"><figcaption>{e(feature.column)}{e(role)} '
            f"{_badge(feature.level)}<small>{feature.kind} · {stats}</small></figcaption>"
            f"{body}{unseen}</figure>")


def _schema(result: MonitorResult) -> str:
    issues = result.drift.schema
    if not issues:
        return "<p>No missing, new or retyped columns.</p>"
    rows = "".join(f"<tr><td>{_badge(i.level)}</td><td>{e(i.kind.replace('_', ' '))}</td>"
                   f"<td>{e(i.column)}</td><td>{e(i.reference_type or '-')}</td>"
                   f"<td>{e(i.current_type or '-')}</td></tr>" for i in issues)
    return ("<table><tr><th>level</th><th>issue</th><th>column</th><th>reference type</th>"
            f"<th>current type</th></tr>{rows}</table>")


def _performance(result: MonitorResult) -> str:
    check = result.performance
    if check is None:
        return "<p>Not checked (see the notes).</p>"
    cells = [check.metric, fmt_value(check.production), fmt_value(check.recorded),
             fmt_value(check.shortfall), fmt_value(check.max_gap), f"{check.rows:,}"]
    row = "".join(f"<td>{e(c)}</td>" for c in cells) + f"<td>{_badge(check.level)}</td>"
    note = f"<p>{e(check.note)}</p>" if check.note else ""
    return ("<table><tr><th>metric</th><th>production</th><th>recorded</th><th>shortfall</th>"
            f"<th>max gap</th><th>labelled rows</th><th>level</th></tr><tr>{row}</tr></table>"
            f"{note}<p>Recorded metrics: {e(check.recorded_source)}.</p>")


def report_html(result: MonitorResult) -> str:
    drift = result.drift
    order = {"alert": 0, "warn": 1, "ok": 2}
    features = sorted(drift.features, key=lambda f: order[f.level])
    figures = [_figure(result, drift.score, " (model score)")] if drift.score else []
    figures += [_figure(result, f) for f in features]
    actions = (f"<p>Action on alert: <b>{e(', '.join(result.actions))}</b></p>"
               if result.actions else "")
    actions += "".join(f"<p>Cause <b>{e(cause)}</b>: {e(', '.join(route) or 'no action')}</p>"
                       for cause, route in result.route.items())
    notes = "".join(f"<li>{e(n)}</li>" for n in result.notes)
    title = f"{result.model} in {result.environment}: {result.verdict}"
    legend = (f'<p class="legend"><span class="sw" style="background:{REFERENCE_COLOUR}">'
              f'</span>reference<span class="sw" style="background:{CURRENT_COLOUR}"></span>'
              f'current<span class="sw" style="background:{UNSEEN_COLOUR}"></span>'
              "category the reference never saw</p>")
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>mlgate monitor: {e(title)}</title><style>{CSS}</style></head><body><main>",
        f'<header class="v-{e(result.verdict)}"><h1>{e(title.upper())}</h1>'
        f"<p>{e(count(len(result.files), 'batch file'))} "
        f"({e(count(drift.current_rows, 'row'))}) against the reference profile "
        f"{e(result.reference_path)} ({e(count(drift.reference_rows, 'row'))}).</p>"
        f"<p>Judged against {e(result.judged_against)}.</p>"
        f"<p>Features: {e(result.feature_verdict)}; the dataset alerts when "
        f"{e(rule_text(result))}.</p>{actions}</header>",
        f"<section><h2>Schema</h2>{_schema(result)}</section>",
        f"<section><h2>Performance</h2>{_performance(result)}</section>",
        f"<section><h2>Notes</h2><ul>{notes}</ul></section>" if notes else "",
        f"<section><h2>Distributions</h2>{legend}<div class=\"grid\">{''.join(figures)}"
        "</div></section>",
        "</main></body></html>",
        "",
    ])
