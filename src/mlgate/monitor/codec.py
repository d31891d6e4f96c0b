"""Profiles to and from a small, deterministic JSON document.

The same profile always serialises to the same bytes: keys are sorted, the schema keeps
table order, sketch buckets are ``[key, count]`` pairs in ascending key order, and
floats are written with Python's shortest round-tripping repr. Floats that JSON cannot
hold (an overflowed variance) are written as the strings ``"inf"``, ``"-inf"``, ``"nan"``.

Example: ``age`` = 29, null, 34, 51 and ``city`` = Paris, Lyon, null, Paris give::

    {"columns":{"age":{"count":3,"kind":"numeric","max":51.0,"mean":38.0,"min":29.0,
    "null_count":1,"sketch":{"negative":[],"positive":[[169,1],[177,1],[197,1]],
    "zero":0},"variance":88.66666666666667},"city":{"counts":{"Lyon":1,"Paris":2},
    "kind":"categorical","null_count":1}},"format":"mlgate.profile",
    "relative_accuracy":0.01,"rows":4,"schema":[{"name":"age","type":"int64"},
    {"name":"city","type":"string"}],"score_column":null,"version":1}
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from mlgate.errors import MlgateError
from mlgate.monitor.sketch import Sketch
from mlgate.monitor.summaries import CategoricalSummary, ColumnSummary, NumericSummary, Profile
from mlgate.plumbing import jsonread

FORMAT = "mlgate.profile"
VERSION = 1


def _float_out(value: float | None) -> float | str | None:
    if value is None or math.isfinite(value):
        return value
    return repr(value)


def _float_in(value: Any) -> float:
    return float(value)


def _column_out(summary: ColumnSummary) -> dict[str, Any]:
    if isinstance(summary, CategoricalSummary):
        return {
            "kind": "categorical",
            "null_count": summary.null_count,
            "counts": dict(summary.counts),
        }
    return {
        "kind": "numeric",
        "count": summary.count,
        "null_count": summary.null_count,
        "min": _float_out(summary.minimum),
        "max": _float_out(summary.maximum),
        "mean": _float_out(summary.mean),
        "variance": _float_out(summary.variance),
        "sketch": summary.sketch.to_json(),
    }


def _column_in(data: dict[str, Any], relative_accuracy: float) -> ColumnSummary:
    if data["kind"] == "categorical":
        counts = {str(k): int(v) for k, v in sorted(data["counts"].items())}
        return CategoricalSummary(int(data["null_count"]), counts)
    if data["kind"] != "numeric":
        raise ValueError(f"unknown column kind {data['kind']!r}")
    return NumericSummary(
        count=int(data["count"]),
        null_count=int(data["null_count"]),
        minimum=None if data["min"] is None else _float_in(data["min"]),
        maximum=None if data["max"] is None else _float_in(data["max"]),
        mean=_float_in(data["mean"]),
        variance=_float_in(data["variance"]),
        sketch=Sketch.from_json(data["sketch"], relative_accuracy),
    )


def to_dict(profile: Profile) -> dict[str, Any]:
    """The profile as plain JSON-ready data (see the module docstring)."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "rows": profile.rows,
        "relative_accuracy": profile.relative_accuracy,
        "score_column": profile.score_column,
        "schema": [{"name": name, "type": type_} for name, type_ in profile.schema],
        "columns": {name: _column_out(summary) for name, summary in profile.columns.items()},
    }


def dumps(profile: Profile) -> str:
    """Deterministic compact JSON for ``profile``."""
    return json.dumps(to_dict(profile), sort_keys=True, separators=(",", ":"), allow_nan=False)


def from_dict(data: Any, source: str | None = None) -> Profile:
    """Inverse of :func:`to_dict`; bad documents raise :class:`MlgateError`."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise MlgateError(
            "not an mlgate profile",
            path=source,
            hint=f"expected a JSON object with format {FORMAT!r}",
        )
    if data.get("version") != VERSION:
        raise MlgateError(
            f"unsupported profile version {data.get('version')!r} (this mlgate reads {VERSION})",
            path=source,
            hint="re-create the profile with this version of mlgate",
        )
    try:
        accuracy = float(data["relative_accuracy"])
        schema = tuple((str(c["name"]), str(c["type"])) for c in data["schema"])
        columns = {name: _column_in(data["columns"][name], accuracy) for name, _ in schema}
        score = data["score_column"]
        return Profile(
            int(data["rows"]), schema, columns, None if score is None else str(score), accuracy
        )
    except (KeyError, TypeError, ValueError) as error:
        raise MlgateError(
            f"malformed profile: {type(error).__name__}: {error}",
            path=source,
            hint="the file may be truncated or edited by hand; re-create it",
        ) from error


def loads(text: str | bytes, source: str | None = None) -> Profile:
    """The profile in ``text``; anything else (not UTF-8, not JSON, nested too deep, not a
    profile) is an InvalidFile or MlgateError at ``source``."""
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    data = jsonread.load_file(raw, source, hint="re-create the profile with `mlgate profile`")
    return from_dict(data, source)


def write_profile(profile: Profile, path: str | Path) -> None:
    Path(path).write_text(dumps(profile) + "\n", encoding="utf-8")


def read_profile(path: str | Path) -> Profile:
    return loads(Path(path).read_bytes(), source=str(path))
