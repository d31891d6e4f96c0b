"""`foreach` and `matrix` stages of dvc.yaml expanded as DVC 3 expands them, pure.

DVC names each generated stage `group@key` in dvc.lock: for `foreach` over a list of
scalars the key is the value itself, over a list holding lists or mappings its index,
over a mapping its key; for `matrix` the values joined by `-`, a list or mapping value
written as the matrix key and its index (`lr0`). Inside the stage body, `${item}`,
`${item.a.b}` and `${key}` are replaced, and so are names from dvc.yaml's `vars:` and
params.yaml (the context DVC interpolates from). A reference this module cannot resolve
is left as written, so that a path it cannot know still never names another stage's.

dvc.yaml comes with a pull request: the number of stages one group may generate is
bounded (:data:`MAX_GENERATED`), so that a matrix of many long lists is an InvalidFile
at its line, not an exhausted machine.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping
from typing import Any

from mlgate.config.yamlio import Document
from mlgate.errors import InvalidFile, Problem

JOIN = "@"
MAX_GENERATED = 10_000
_REF = re.compile(r"\$\{\s*([A-Za-z0-9_][A-Za-z0-9_.\-]*)\s*\}")
HINT = ("see https://dvc.org/doc/user-guide/project-structure/dvcyaml-files"
        "#foreach-stages; mlgate reads at most 10000 generated stages per group")


def to_str(value: Any) -> str:
    """A scalar as DVC writes it into a name or a string: booleans in lower case."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _composite(value: Any) -> bool:
    return isinstance(value, Mapping | list)


def lookup(context: Mapping[str, Any], dotted: str) -> tuple[bool, Any]:
    """(found, value) of `a.b.0.c` in nested mappings and lists."""
    node: Any = context
    for part in dotted.split("."):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False, None
    return True, node


def interpolate(value: Any, context: Mapping[str, Any]) -> Any:
    """``value`` with every resolvable `${name}` replaced; a string that is one reference
    alone takes the referenced value's type, as DVC does."""
    if isinstance(value, str):
        whole = _REF.fullmatch(value.strip())
        if whole:
            found, resolved = lookup(context, whole.group(1))
            return resolved if found else value

        def text(match: re.Match[str]) -> str:
            found, resolved = lookup(context, match.group(1))
            return to_str(resolved) if found and not _composite(resolved) else match.group(0)

        return _REF.sub(text, value)
    if isinstance(value, list):
        return [interpolate(v, context) for v in value]
    if isinstance(value, Mapping):
        return {interpolate(k, context): interpolate(v, context) for k, v in value.items()}
    return value


def _too_many(doc: Document, name: str, key: str, count: int) -> InvalidFile:
    line, column = doc.locate(("stages", name, key))
    return InvalidFile.from_problems([Problem(
        f"{key} generates {count} stages, more than mlgate reads ({MAX_GENERATED})",
        doc.path, line, column, json_path=f"stages.{name}.{key}", hint=HINT)])


def expand(doc: Document, name: str, body: Mapping[str, Any], context: Mapping[str, Any]
           ) -> list[tuple[str, Any]]:
    """The stages one entry of `stages:` stands for: itself, or the generated ones with
    their bodies interpolated. An iterable that does not resolve to a list or mapping
    leaves the group as one template stage, named as written."""
    members: list[tuple[str, dict[str, Any]]]
    if "foreach" in body:
        data = interpolate(body["foreach"], context)
        if isinstance(data, Mapping):  # DVC sets `key` only for a mapping
            members = [(to_str(k), {"item": v, "key": k}) for k, v in data.items()]
        elif isinstance(data, list):
            composite = any(_composite(v) for v in data)
            members = [(to_str(i) if composite else to_str(v), {"item": v})
                       for i, v in enumerate(data)]
        else:
            return [(name, body.get("do", body))]
        if len(members) > MAX_GENERATED:
            raise _too_many(doc, name, "foreach", len(members))
        template = body.get("do", {})
    elif "matrix" in body:
        matrix = interpolate(body["matrix"], context)
        if not isinstance(matrix, Mapping) or not all(isinstance(v, list)
                                                       for v in matrix.values()):
            return [(name, {k: v for k, v in body.items() if k != "matrix"})]
        count = math.prod(len(v) for v in matrix.values())
        if count > MAX_GENERATED:
            raise _too_many(doc, name, "matrix", count)
        members = []
        for combination in itertools.product(*(list(enumerate(v)) for v in matrix.values())):
            item = {k: v for k, (_, v) in zip(matrix, combination, strict=True)}
            key = "-".join(f"{k}{i}" if _composite(v) else to_str(v)
                           for k, (i, v) in zip(matrix, combination, strict=True))
            members.append((key, {"item": item, "key": key}))
        template = {k: v for k, v in body.items() if k != "matrix"}
    else:
        return [(name, body)]
    return [(f"{name}{JOIN}{key}", interpolate(template, {**context, **local}))
            for key, local in members]


def context_files(data: Any) -> list[tuple[str, list[str] | None]]:
    """The files `${...}` may name, as DVC reads them: params.yaml, then each file of
    `vars:` (`file.yaml` whole, `file.yaml:a,b` those keys)."""
    files: list[tuple[str, list[str] | None]] = [("params.yaml", None)]
    entries = data.get("vars") if isinstance(data, Mapping) else None
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, str):
            file, sep, keys = entry.partition(":")
            files.append((file, [k.strip() for k in keys.split(",")] if sep else None))
    return files


def inline_vars(data: Any) -> dict[str, Any]:
    """The mappings written inside `vars:`, merged in order."""
    merged: dict[str, Any] = {}
    entries = data.get("vars") if isinstance(data, Mapping) else None
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, Mapping):
            merged.update(entry)
    return merged


def parse_values(raw: bytes, path: str) -> Any:
    """A params or vars file's values (YAML, JSON or TOML); None when it does not parse,
    as the params diff reports that file's problem itself."""
    import json
    import tomllib

    from mlgate.config.yamlio import load_bytes
    from mlgate.errors import MlgateError

    try:
        if path.endswith(".json"):
            return json.loads(raw)
        if path.endswith(".toml"):
            return tomllib.loads(raw.decode("utf-8"))
        return load_bytes(raw, path).data
    except (ValueError, UnicodeDecodeError, MlgateError):
        return None
