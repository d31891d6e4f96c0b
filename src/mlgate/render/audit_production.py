"""The audit report's production section: per model and environment, a chart of each
monitoring run's production metric and drift (max PSI) over time, coloured by the version
judged, and every alert with its route and what the ledger shows was done next.

Invariant: inline SVG and escaped text only, as the rest of `audit.html`; a run with no
number for a series is left out of that series' chart, never drawn at zero.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mlgate.render.audit_svg import AXIS, PALETTE, colour, e


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def over_time(title: str, runs: list[dict[str, Any]], key: str, versions: list[str],
              limit: float | None = None) -> str:
    """One series over time: a point per run (its version's colour, red ring on alert)."""
    points = [(_when(r["time"]), float(r[key]), r) for r in runs
              if r.get("time") and isinstance(r.get(key), int | float)]
    if not points:
        return ""
    width, height, left, bottom, top, right = 460, 180, 56, 30, 14, 16
    values = [v for _, v, _ in points] + ([limit] if limit is not None else [])
    low, high = min(values), max(values)
    pad = (high - low) * 0.15 or abs(high) * 0.05 or 0.5
    low, high = low - pad, high + pad
    start, end = points[0][0], points[-1][0]
    span = max((end - start).total_seconds(), 1.0)
    plot_w, plot_h = width - left - right, height - top - bottom

    def xy(when: datetime, value: float) -> tuple[float, float]:
        x = left + (plot_w * (when - start).total_seconds() / span if len(points) > 1
                    else plot_w / 2)
        return x, top + plot_h * (1 - (value - low) / (high - low))

    parts = [f'<svg viewBox="0 0 {width} {height}" role="img" '
             f'xmlns="http://www.w3.org/2000/svg" aria-label="{e(title)}">']
    for frac in (0.0, 0.5, 1.0):
        y = top + plot_h * (1 - frac)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="{AXIS}"/><text x="{left - 6}" y="{y + 4:.1f}" '
                     f'text-anchor="end" font-size="10" fill="#59636e">'
                     f'{low + (high - low) * frac:.3g}</text>')
    if limit is not None:
        _, y = xy(start, limit)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
                     'stroke="#cf222e" stroke-dasharray="4 3"><title>alert threshold '
                     f'{e(f"{limit:.4g}")}</title></line>')
    coords = [xy(when, value) for when, value, _ in points]
    parts.append('<polyline points="' + " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
                 + f'" fill="none" stroke="{PALETTE[0]}" stroke-width="1.5"/>')
    for (_, value, run), (x, y) in zip(points, coords, strict=True):
        version = run.get("version") or "?"
        fill = colour(versions.index(version)) if version in versions else PALETTE[-1]
        ring = ' stroke="#cf222e" stroke-width="2"' if run.get("verdict") == "alert" else ""
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{fill}"{ring}><title>'
                     f'{e(run["time"])} v{e(version)}: {e(f"{value:.6g}")} '
                     f'({e(run.get("verdict"))})</title></circle>')
    for when, anchor, xpos in ((start, "start", left), (end, "end", width - right)):
        parts.append(f'<text x="{xpos}" y="{height - 10}" text-anchor="{anchor}" '
                     f'font-size="10" fill="#59636e">'
                     f'{e(when.strftime("%Y-%m-%d %H:%M"))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def charts(model: str, env: str, runs: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(caption, svg) of the production metric and the largest feature PSI."""
    versions = list(dict.fromkeys(r.get("version") or "?" for r in runs))
    metric = next((r["metric"] for r in runs if r.get("metric")), None)
    found = []
    if metric:
        found.append((f"{model} in {env}: {metric} in production",
                      over_time(f"{model} {env} {metric}", runs, "production", versions)))
    found.append((f"{model} in {env}: drift (largest feature PSI)",
                  over_time(f"{model} {env} max psi", runs, "max_psi", versions)))
    return [(caption, svg) for caption, svg in found if svg]
