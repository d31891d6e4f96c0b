"""Plain-text tables and JSON for terminals and machines, and :func:`neutral`, the one way
untrusted text (from data or a pull request) enters GitHub markdown: inert."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from typing import Any


def fmt_value(value: Any, digits: int = 4) -> str:
    if isinstance(value, float):  # first: tables of thousands of metrics
        spec, smallest = _FIXED.get(digits) or _fixed(digits)
        size = abs(value)
        if smallest <= size < math.inf or size == 0:
            return format(value, spec).rstrip("0").rstrip(".")
        if size < math.inf:  # small, not zero
            return f"{value:.{digits}g}"
        return str(value)  # nan, inf, -inf (NaN fails every comparison)
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


_FIXED: dict[int, tuple[str, float]] = {}


def _fixed(digits: int) -> tuple[str, float]:
    """The format of ``digits`` decimals, and the smallest size it shows (made once)."""
    _FIXED[digits] = (f".{digits}f", 10.0 ** -digits)
    return _FIXED[digits]


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    return text_table(headers, [[c if type(c) is str else fmt_value(c) for c in row]
                                for row in rows])


def text_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """:func:`table` of cells that are text already (long tables: no cell is converted)."""
    cells = [[str(h) for h in headers], *rows]
    widths = [max(map(len, column)) for column in zip(*cells, strict=True)]
    pad = str.ljust
    lines = ["  ".join(map(pad, row, widths)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, default=str, allow_nan=False)


# --- untrusted text in GitHub markdown ---

_MD_SPECIAL = re.compile(r"([\\`*_\[\]()|~#!])")
_ZWSP = "\u200b"  # invisible, and enough to keep GitHub from reading a mention or a link
# a scheme before its colon, "www" before its dot: "data.train_years" is no link
_LIVE = re.compile(r"(@|#(?=\d)|(?i:https?|ftp|mailto|javascript|data)(?=:)|(?i:www)(?=\.))")
_TICKS = re.compile(r"`+")


def neutral(text: object, *, within: str = "text") -> str:
    """``text`` from data or a pull request, made inert in GitHub markdown: one line, no
    HTML, no @mention, no issue reference, no link, autolink or image. ``within`` says
    where it goes: "text" (markdown, its specials backslash-escaped), "code" (returned as
    a code span, whose content markdown never reads) or "html" (inside an HTML element,
    where backslashes would show)."""
    plain = " ".join(str(text).splitlines())
    broken = _LIVE.sub(lambda m: m.group(0) + _ZWSP, plain)
    if within == "code":
        # a fence longer than any run of backticks inside; a space keeps edge ticks apart
        fence = "`" * (max(map(len, _TICKS.findall(broken)), default=0) + 1)
        pad = " " if broken.startswith("`") or broken.endswith("`") else ""
        return f"{fence}{pad}{broken}{pad}{fence}"
    html = broken.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if within == "html":
        return html
    return _MD_SPECIAL.sub(r"\\\1", html)
