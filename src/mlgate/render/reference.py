"""The YAML reference in README.md, generated from the packaged JSON Schema.

`python -m mlgate.render.reference README.md` rewrites the section between the
markers; a test fails when the README and the schema disagree.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from mlgate.config.schema import load_schema

BEGIN = "<!-- BEGIN yaml-reference (generated from src/mlgate/schemas; do not edit) -->"
END = "<!-- END yaml-reference -->"


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """``node``, or what its `$ref` names: in ``schema``, or in another packaged schema
    (`model.schema.json#/$defs/...`); a description beside the `$ref` wins."""
    ref = node.get("$ref")
    if not isinstance(ref, str) or "#/" not in ref:
        return node
    name, _, pointer = ref.partition("#/")
    target: Any = load_schema(name.removesuffix(".schema.json")) if name else schema
    for step in pointer.split("/"):
        target = target[step]
    resolved: dict[str, Any] = dict(target)
    if "description" in node:
        resolved["description"] = node["description"]
    return resolved


def _type(schema: dict[str, Any], node: dict[str, Any]) -> str:
    node = _resolve(schema, node)
    if "enum" in node:
        return " \\| ".join(f"`{v}`" for v in node["enum"])
    if "const" in node:
        return f"`{node['const']}`"
    kind = node.get("type", "mapping")
    if isinstance(kind, list):
        return " or ".join(_type(schema, {**node, "type": k}) for k in kind)
    if kind == "array":
        return f"list of {_type(schema, node.get('items', {}))}"
    return {"object": "mapping", "integer": "integer", "number": "number",
            "boolean": "boolean", "string": "string"}.get(kind, str(kind))


def _bounds(node: dict[str, Any]) -> str:
    parts = []
    for key, sign in (("minimum", ">="), ("exclusiveMinimum", ">"), ("maximum", "<="),
                      ("exclusiveMaximum", "<")):
        if key in node:
            parts.append(f"{sign} {node[key]}")
    if "default" in node:
        parts.append(f"default `{json.dumps(node['default'])}`")
    return "; ".join(parts)


def _rows(schema: dict[str, Any], node: dict[str, Any], prefix: str,
          rows: list[tuple[str, str, str, str]]) -> None:
    node = _resolve(schema, node)
    required = set(node.get("required", []))
    for key, child in node.get("properties", {}).items():
        child = _resolve(schema, child)
        path = f"{prefix}{key}"
        desc = child.get("description", "").replace("|", "\\|")
        extra = _bounds(child)
        rows.append((f"`{path}`", _type(schema, child), "yes" if key in required else "",
                     desc + (f" ({extra})" if extra else "")))
        items = child.get("items", {})
        each = child.get("additionalProperties")
        if child.get("type") == "object" and "properties" in child:
            _rows(schema, child, path + ".", rows)
        elif "x-key" in child and isinstance(each, dict):  # a mapping keyed by names
            _rows(schema, {"properties": {f"<{child['x-key']}>": each}}, path + ".", rows)
        elif isinstance(items, dict) and items.get("$ref") not in (
                None, "#/$defs/gate", "model.schema.json#/$defs/gate"):
            _rows(schema, items, path + "[].", rows)


def _table(rows: list[tuple[str, str, str, str]]) -> list[str]:
    out = ["| key | type | required | meaning |", "|---|---|---|---|"]
    out += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return out


def render() -> str:
    schema = load_schema("model")
    lines = [BEGIN, "", "### `pipelines/<model>.yaml`", "", schema["description"], ""]
    rows: list[tuple[str, str, str, str]] = []
    _rows(schema, schema, "", rows)
    lines += _table(rows)
    lines += ["", "### Gate kinds", "",
              "Each entry of `gates:` is a mapping with a `kind` and that kind's keys. "
              "Every gate may also have a `name` shown in reports.", ""]
    for kind in schema["$defs"]["gate"]["properties"]["kind"]["enum"]:
        gate = schema["$defs"][f"gate_{kind}"]
        lines += [f"#### `{kind}`", "", gate["description"], ""]
        gate_rows: list[tuple[str, str, str, str]] = []
        _rows(schema, gate, "", gate_rows)
        gate_rows = [r for r in gate_rows if r[0] not in ("`kind`", "`name`")]
        lines += (_table(gate_rows) if gate_rows else ["(no keys besides `kind`)"]) + [""]
    policy = load_schema("repo_policy")
    lines += ["### `pipelines/_policy.yaml`", "", policy["description"], ""]
    rows = []
    _rows(policy, policy, "", rows)
    lines += [*_table(rows), "", END]
    return "\n".join(lines)


def splice(readme: str) -> str:
    if BEGIN not in readme or END not in readme:
        raise ValueError("README has no yaml-reference markers")
    head, _, rest = readme.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return head + render() + tail


def main(argv: list[str]) -> int:
    path = Path(argv[0] if argv else "README.md")
    path.write_text(splice(path.read_text()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
