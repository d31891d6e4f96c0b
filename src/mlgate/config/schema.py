"""JSON Schema validation that reports every error as file:line:column with a hint."""

from __future__ import annotations

import difflib
import json
from functools import cache
from importlib import resources
from typing import Any

from mlgate.config.yamlio import Document, key_location
from mlgate.errors import Problem

_TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "null": "null",
}


SCHEMAS = ("model", "approvals", "repo_policy")


@cache
def load_schema(name: str) -> dict[str, Any]:
    text = resources.files("mlgate.schemas").joinpath(f"{name}.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _registry() -> Any:
    """Every packaged schema by its `$id`, so that one may refer to another's definitions
    (the repository policy's floors hold the model's gates)."""
    from referencing import Registry, Resource

    return Registry().with_resources(
        (load_schema(n)["$id"], Resource.from_contents(load_schema(n))) for n in SCHEMAS
        if "$id" in load_schema(n))


def json_path(steps: Any) -> str:
    out = ""
    for step in steps:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out or "(top level)"


def describe(value: Any) -> str:
    """A short, typed rendering of a found value: 'high' (a string), 3 (a number), a list..."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"{shown!r} (a string)"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def validate(doc: Document, schema_name: str) -> list[Problem]:
    """Every schema violation of ``doc``, located and phrased for a person."""
    import jsonschema  # lazily: keeps `mlgate --help` fast

    schema = load_schema(schema_name)
    validator = jsonschema.Draft202012Validator(
        schema, registry=_registry(),
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    problems: list[Problem] = []
    for error in validator.iter_errors(doc.data):
        problems.extend(_explain(error, doc))
    unique = {(p.line, p.column, p.json_path, p.message): p for p in problems}
    return sorted(unique.values(), key=lambda p: (p.line or 0, p.column or 0, p.message))


def _explain(error: Any, doc: Document) -> list[Problem]:
    path = list(error.absolute_path)
    schema = error.schema
    hint = schema.get("x-hint") if isinstance(schema, dict) else None
    described = hint or (schema.get("description") if isinstance(schema, dict) else None)
    validator = error.validator
    instance = error.instance

    if validator in ("allOf", "anyOf", "oneOf") and error.context:
        if validator == "anyOf" and all(e.validator == "required" for e in error.context):
            keys = [str(e.validator_value[0]) for e in error.context]
            return [_at(doc, path, f"expected at least one of {', '.join(keys)}", hint=None)]
        return [p for sub in error.context for p in _explain(sub, doc)]
    if validator == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        out = []
        for key in sorted(set(instance) - set(allowed)):
            close = difflib.get_close_matches(str(key), allowed, n=1)
            tip = f"did you mean {close[0]!r}?" if close else f"allowed keys: {', '.join(allowed)}"
            line, col = key_location(doc.root, [*path, key])
            out.append(
                Problem(f"unknown key {key!r}", doc.path, line, col, json_path(path), hint=tip)
            )
        return out
    if validator == "required":
        missing = error.validator_value
        missing = [k for k in missing if k not in instance] if isinstance(instance, dict) else []
        key = missing[0] if missing else str(error.message)
        desc = schema.get("properties", {}).get(key, {}).get("description")
        return [_at(doc, path, f"missing required key {key!r}", hint=desc)]
    if validator == "type":
        expected = error.validator_value
        names = [expected] if isinstance(expected, str) else list(expected)
        want = " or ".join(_TYPE_NAMES.get(n, n) for n in names)
        return [_at(doc, path, f"expected {want}, got {describe(instance)}", described)]
    if validator in ("enum", "const"):
        options = error.validator_value if validator == "enum" else [error.validator_value]
        text = f"expected one of {', '.join(map(str, options))}, got {describe(instance)}"
        if validator == "const":
            text = f"expected {options[0]!r}, got {describe(instance)}"
        close = difflib.get_close_matches(str(instance), [str(o) for o in options], n=1)
        return [_at(doc, path, text, f"did you mean {close[0]!r}?" if close else hint)]
    if validator == "pattern":
        return [_at(doc, path, f"{describe(instance)} is not allowed here", hint)]
    if validator == "format" and error.validator_value == "date":
        return [_at(doc, path, f"{describe(instance)} is not a calendar date",
                    "a real date as YYYY-MM-DD: month 01-12, a day the month has")]
    bounds = {
        "minimum": "at least",
        "maximum": "at most",
        "exclusiveMinimum": "more than",
        "exclusiveMaximum": "less than",
    }
    if validator in bounds:
        want = f"expected a number {bounds[validator]} {error.validator_value}"
        return [_at(doc, path, f"{want}, got {describe(instance)}", described)]
    if validator in ("minLength", "maxLength"):
        word = "at least" if validator == "minLength" else "at most"
        return [
            _at(doc, path, f"expected {word} {error.validator_value} characters, got "
                f"{len(instance)}", hint)
        ]
    if validator in ("minItems", "maxItems"):
        word = "at least" if validator == "minItems" else "at most"
        return [
            _at(doc, path, f"expected {word} {error.validator_value} items, got {len(instance)}",
                hint)
        ]
    if validator == "uniqueItems":
        return [_at(doc, path, "expected every item to be different, found a repeat", hint)]
    return [_at(doc, path, str(error.message), hint)]


def _at(doc: Document, path: list[Any], message: str, hint: str | None) -> Problem:
    line, column = doc.locate(path)
    return Problem(message, doc.path, line, column, json_path(path), hint)
