"""Plain-text tables and JSON for terminals and machines."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any


def fmt_value(value: Any, digits: int = 4) -> str:
    if isinstance(value, float):  # first: tables of thousands of metrics
        size = abs(value)
        if 10 ** -digits <= size < math.inf or size == 0:
            return f"{value:.{digits}f}".rstrip("0").rstrip(".")
        if size < math.inf:  # small, not zero
            return f"{value:.{digits}g}"
        return str(value)  # nan, inf, -inf (NaN fails every comparison)
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(h) for h in headers]] + [
        [c if type(c) is str else fmt_value(c) for c in row] for row in rows]
    widths = [max(map(len, column)) for column in zip(*cells, strict=True)]
    line = "  ".join(f"{{:<{w}}}" for w in widths).format  # one call a row: tables are long
    lines = [line(*row).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, default=str, allow_nan=False)
