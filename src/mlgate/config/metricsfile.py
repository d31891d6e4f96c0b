"""Metrics files (JSON, YAML or TOML, as `dvc metrics show` reads them) and dotted-path
lookups into them. A metrics file that does not parse, is nested too deep, or is not a
mapping, is an InvalidFile with file:line."""

from __future__ import annotations

import re
from typing import Any

from mlgate.errors import InvalidFile
from mlgate.plumbing import jsonread

_MISSING = object()


def parse_metrics(raw: bytes, path: str) -> dict[str, Any]:
    if path.endswith((".yaml", ".yml")):
        from mlgate.config.yamlio import load_bytes  # only here: flatten() needs no YAML

        data = load_bytes(raw, path).data
    elif path.endswith(".toml"):
        data = _toml(raw, path)
    else:
        data = jsonread.load_file(
            raw, path, hint="the metrics file is written by the pipeline; re-run it "
                            "(`mlgate run`)")
    if not isinstance(data, dict):
        raise InvalidFile("expected a JSON object of metrics", path=path, line=1)
    return data


def _toml(raw: bytes, path: str) -> dict[str, Any]:
    import tomllib

    try:
        return tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise InvalidFile(f"not valid TOML: {exc}", path=path,
                          line=int(line[1]) if line else 1,
                          hint="the metrics file is written by the pipeline; re-run it "
                               "(`mlgate run`)") from None


def lookup(metrics: dict[str, Any], dotted: str) -> Any:
    """Value at a dotted path, or ``None`` when absent. Exact keys win over splitting,
    so a key that itself contains a dot (``"f1.macro"``) is found too."""
    value = _lookup(metrics, dotted)
    return None if value is _MISSING else value


def _lookup(node: Any, dotted: str) -> Any:
    if not isinstance(node, dict):
        return _MISSING
    if dotted in node:
        return node[dotted]
    head, sep, rest = dotted.partition(".")
    while sep:
        if head in node:
            found = _lookup(node[head], rest)
            if found is not _MISSING:
                return found
        more_head, sep, rest = rest.partition(".")
        head = f"{head}.{more_head}"
    return _MISSING


def flatten(metrics: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{'a': {'b': 1}} -> {'a.b': 1}; leaves that are not mappings are kept as they are."""
    flat: dict[str, Any] = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, name + "."))
        else:
            flat[name] = value
    return flat
