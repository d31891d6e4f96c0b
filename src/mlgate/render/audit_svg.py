"""Inline SVG charts for the audit report: who served each environment when (one lane per
environment, one bar per stay), and each key metric across versions."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

PALETTE = ("#6e8fbf", "#f08a4b", "#2da44e", "#8250df", "#bf3989", "#d4a72c", "#0969da",
           "#57606a")
AXIS = "#d8dee4"


def e(value: object) -> str:
    return escape(str(value), quote=True)


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def timeline(model: str, lanes: dict[str, list[dict[str, Any]]], versions: list[str],
             end: datetime) -> str:
    """A lane per environment; a bar per stay, coloured by version, dashed for a rollback."""
    width, left, lane_h, top = 960, 120, 34, 8
    starts = [_when(s["since"]) for stays in lanes.values() for s in stays]
    if not starts:
        return ""
    start = min(starts)
    span = max((end - start).total_seconds(), 1.0)
    plot = width - left - 16

    def x(when: datetime) -> float:
        return left + plot * (when - start).total_seconds() / span

    height = top + lane_h * len(lanes) + 28
    parts = [f'<svg viewBox="0 0 {width} {height}" role="img" xmlns="http://www.w3.org/2000/svg" '
             f'aria-label="{e(model)}: what each environment served, over time">']
    for row, (env, stays) in enumerate(lanes.items()):
        y = top + row * lane_h
        parts.append(f'<text x="{left - 8}" y="{y + lane_h / 2 + 4:.1f}" text-anchor="end" '
                     f'font-size="12">{e(env)}</text>')
        parts.append(f'<line x1="{left}" x2="{width - 16}" y1="{y + lane_h - 2}" '
                     f'y2="{y + lane_h - 2}" stroke="{AXIS}"/>')
        for stay in stays:
            x0 = x(_when(stay["since"]))
            x1 = x(_when(stay["until"])) if stay["until"] else x(end)
            w = max(x1 - x0, 2.0)
            version = stay["version"] or "?"
            fill = colour(versions.index(version)) if version in versions else PALETTE[-1]
            dash = ' stroke="#1f2328" stroke-dasharray="4 3"' if stay["action"] == "rollback" \
                else ""
            until = stay["until"] or "now"
            parts.append(f'<rect x="{x0:.1f}" y="{y + 4}" width="{w:.1f}" height="{lane_h - 10}" '
                         f'rx="3" fill="{fill}"{dash}><title>v{e(version)} in {e(env)}: '
                         f'{e(stay["action"])} {e(stay["since"])} until {e(until)}</title></rect>')
            if w > 46:
                parts.append(f'<text x="{x0 + 5:.1f}" y="{y + lane_h / 2 + 3:.1f}" '
                             f'font-size="11" fill="#fff">v{e(version)}</text>')
    base = top + lane_h * len(lanes) + 16
    for when, anchor, xpos in ((start, "start", left), (end, "end", width - 16)):
        parts.append(f'<text x="{xpos}" y="{base}" text-anchor="{anchor}" font-size="11" '
                     f'fill="#59636e">{e(when.strftime("%Y-%m-%d %H:%M UTC"))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def metric(model: str, name: str, values: dict[str, Any], versions: list[str]) -> str:
    """One metric across versions: a line through one point per version."""
    points = [(i, float(values[v])) for i, v in enumerate(versions)
              if isinstance(values.get(v), int | float) and not isinstance(values.get(v), bool)]
    if not points:
        return ""
    width, height, left, bottom, top, right = 320, 170, 52, 34, 14, 16
    low = min(p[1] for p in points)
    high = max(p[1] for p in points)
    pad = (high - low) * 0.15 or abs(high) * 0.05 or 0.5
    low, high = low - pad, high + pad
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(versions) - 1, 1)

    def xy(i: int, value: float) -> tuple[float, float]:
        x = left + (i * step if len(versions) > 1 else plot_w / 2)
        return x, top + plot_h * (1 - (value - low) / (high - low))

    parts = [f'<svg viewBox="0 0 {width} {height}" role="img" xmlns="http://www.w3.org/2000/svg" '
             f'aria-label="{e(model)}: {e(name)} by version">']
    for frac in (0.0, 0.5, 1.0):
        y = top + plot_h * (1 - frac)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="{AXIS}"/><text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" '
                     f'font-size="10" fill="#59636e">{low + (high - low) * frac:.3g}</text>')
    coords = [xy(i, v) for i, v in points]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    parts.append(f'<polyline points="{path}" fill="none" stroke="{PALETTE[0]}" '
                 'stroke-width="2"/>')
    for (i, value), (x, y) in zip(points, coords, strict=True):
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour(i)}">'
                     f'<title>v{e(versions[i])}: {e(f"{value:.6g}")}</title></circle>')
    for i, version in enumerate(versions):
        x, _ = xy(i, low)
        parts.append(f'<text x="{x:.1f}" y="{height - 12}" text-anchor="middle" font-size="10" '
                     f'fill="#59636e">v{e(version)}</text>')
    parts.append("</svg>")
    return "".join(parts)
