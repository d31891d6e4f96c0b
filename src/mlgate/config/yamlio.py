"""Strict YAML loading that keeps line numbers.

PyYAML is lenient where a policy file must not be: it keeps the last of two
duplicate keys, reads ``no`` as false and ``2027-01-01`` as a date, and expands
aliases without limit. This loader rejects duplicate keys, resolves only the
YAML 1.2 core scalars (true/false, null, numbers), bounds the expanded size of
the document, and returns the composed node tree so that any JSON path can be
mapped back to ``file:line:column``. What it rejects is an InvalidFile; a file that is
not there, a NotFound.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from mlgate.errors import InvalidFile, MlgateError, NotFound

MAX_BYTES = 1024 * 1024
MAX_EXPANDED_NODES = 100_000
# a declaration nests a few levels; deeper documents would exhaust the composer's stack
# (PyYAML's is recursive, libyaml's crashes the process on a 200 kB file of brackets)
MAX_DEPTH = 64


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core scalars and no silent duplicate keys."""

    # a fresh table (PyYAML copies the parent's on first add); filled below
    yaml_implicit_resolvers = {}  # noqa: RUF012


# libyaml's parser when PyYAML was built with it (the wheels are): several times faster.
# Its nodes carry the same marks; on any error the pure-Python loader parses again, so
# that messages and what is accepted do not depend on how PyYAML was built.
_FastLoader: type[yaml.CSafeLoader] | None = None
if getattr(yaml, "__with_libyaml__", False):

    class _CStrictLoader(yaml.CSafeLoader):
        yaml_implicit_resolvers = {}  # noqa: RUF012

    _FastLoader = _CStrictLoader

# YAML 1.2 core schema: only true/false are booleans, only ~/null are null,
# and no implicit timestamps (dates stay strings, as JSON Schema expects).
for _loader in (_StrictLoader, _FastLoader):
    if _loader is None:
        continue
    _loader.add_implicit_resolver(
        "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
        list("tTfF"))
    _loader.add_implicit_resolver(
        "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])
    _loader.add_implicit_resolver(
        "tag:yaml.org,2002:int",
        re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
        list("-+0123456789"),
    )
    _loader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(
            r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
            r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
        ),
        list("-+0123456789."),
    )


@dataclass(frozen=True)
class Document:
    """A loaded YAML file: its data, its node tree, and where it came from."""

    path: str
    data: Any
    root: Node | None

    def locate(self, json_path: Sequence[str | int]) -> tuple[int, int]:
        """1-based (line, column) of the deepest node that exists along ``json_path``."""
        return locate(self.root, json_path)


def _step(node: Node, step: str | int) -> Node | None:
    if isinstance(node, MappingNode):
        return next(
            (v for k, v in node.value if isinstance(k, ScalarNode) and k.value == step), None
        )
    if isinstance(node, SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
        child: Node = node.value[step]
        return child
    return None


def _mark(node: Node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


def locate(root: Node | None, json_path: Iterable[str | int]) -> tuple[int, int]:
    """1-based (line, column) of the deepest node that exists along ``json_path``."""
    if root is None:
        return (1, 1)
    node = root
    for step in json_path:
        child = _step(node, step)
        if child is None:
            break
        node = child
    return _mark(node)


def key_location(root: Node | None, json_path: Sequence[str | int]) -> tuple[int, int]:
    """Location of the *key* at the end of ``json_path`` (for unknown-key errors)."""
    if root is None or not json_path:
        return locate(root, json_path)
    parent: Node | None = root
    for step in json_path[:-1]:
        parent = _step(parent, step) if parent is not None else None
    if isinstance(parent, MappingNode):
        for key, _ in parent.value:
            if isinstance(key, ScalarNode) and key.value == json_path[-1]:
                return _mark(key)
    return locate(root, json_path)


def _composed_fast(text: str) -> tuple[yaml.CSafeLoader | yaml.SafeLoader | None, Node | None]:
    """libyaml's loader and the root it composed, or (None, None) when libyaml is missing,
    the document is empty or libyaml finds an error (the pure-Python parser then reads it
    again, to say what is wrong)."""
    if _FastLoader is None:
        return None, None
    loader = _FastLoader(text)
    try:
        root = loader.get_single_node()
    except yaml.YAMLError:
        root = None
    if root is None:
        loader.dispose()
        return None, None
    return loader, root


def _check_depth(text: str, path: str) -> None:
    """Reject documents nested deeper than MAX_DEPTH, reading the event stream (the parsers
    are state machines: no recursion) before anything is composed. A syntax error is left
    for the loader to report: up to it, the nesting was within bounds."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_FastLoader or _StrictLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                mark = event.start_mark
                if depth > MAX_DEPTH:
                    raise InvalidFile(
                        f"nested more than {MAX_DEPTH} levels deep",
                        path=path,
                        line=mark.line + 1 if mark else None,
                        column=mark.column + 1 if mark else None,
                        hint="a model declaration nests a few levels; is this the right file?",
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return


def load_text(text: str, path: str) -> Document:
    """Parse YAML text strictly. Raises InvalidFile with file:line on any problem."""
    _check_depth(text, path)
    loader, root = _composed_fast(text)
    if loader is None:
        loader = _StrictLoader(text)
    try:
        if root is None:
            root = loader.get_single_node()
        if root is None:
            return Document(path, None, None)
        _check_expansion(root, path)
        _check_duplicate_keys(root, path)
        data = loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, path, text) from None
    except yaml.YAMLError as exc:  # errors without a mark
        raise InvalidFile(f"invalid YAML: {exc}", path=path) from None
    finally:
        loader.dispose()
    return Document(path, data, root)


def load_bytes(raw: bytes, path: str, size: int | None = None) -> Document:
    if len(raw) > MAX_BYTES:
        raise InvalidFile(
            f"file is {size or len(raw):,} bytes, larger than the {MAX_BYTES:,}-byte limit",
            path=path,
            hint="a model declaration is a few kilobytes; is this the right file?",
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InvalidFile(
            f"not valid UTF-8: byte 0x{raw[exc.start]:02x} cannot be decoded",
            path=path,
            line=line,
            column=column,
            hint="save the file as UTF-8",
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return load_text(text, path)


def load_file(path: str, display: str | None = None) -> Document:
    shown = display or path
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)  # never more: the file may be huge
            size = os.fstat(fh.fileno()).st_size
    except FileNotFoundError:
        raise NotFound("no such file", path=shown) from None
    except IsADirectoryError:
        raise InvalidFile("is a directory, expected a YAML file", path=shown) from None
    except OSError as exc:
        raise MlgateError(f"cannot read: {exc.strerror}", path=shown) from None
    return load_bytes(raw, shown, size)


def _syntax_error(exc: yaml.MarkedYAMLError, path: str, text: str) -> InvalidFile:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else None
    column = mark.column + 1 if mark else None
    problem = exc.problem or "invalid YAML"
    hint = "check the indentation and quoting near this line"
    if "'\\t'" in problem or (mark is not None and _tab_at(text, mark.line)):
        problem = "tab character used for indentation"
        hint = "YAML indentation must use spaces, not tabs"
    elif exc.context:
        problem = f"{problem} ({exc.context})"
    return InvalidFile(f"invalid YAML: {problem}", path=path, line=line, column=column, hint=hint)


def _tab_at(text: str, line_index: int) -> bool:
    lines = text.splitlines()
    if not 0 <= line_index < len(lines):
        return False
    indent = re.match(r"^[ \t]*", lines[line_index])
    return indent is not None and "\t" in indent.group(0)


def _check_expansion(root: Node, path: str) -> None:
    """Reject documents whose aliases expand past MAX_EXPANDED_NODES ("billion laughs")."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            line = node.start_mark.line + 1
            raise InvalidFile(
                "recursive alias: a node contains itself",
                path=path,
                line=line,
                hint="anchors (&) may be reused with aliases (*), but not inside themselves",
            )
        active.add(key)
        total = 1
        if isinstance(node, SequenceNode):
            total += sum(size(child) for child in node.value)
        elif isinstance(node, MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        active.discard(key)
        if total > MAX_EXPANDED_NODES:
            raise InvalidFile(
                f"aliases expand this document past {MAX_EXPANDED_NODES:,} nodes",
                path=path,
                line=node.start_mark.line + 1,
                column=node.start_mark.column + 1,
                hint="this looks like an alias bomb; write the values out or use fewer aliases",
            )
        sizes[key] = total
        return total

    size(root)


def _check_duplicate_keys(root: Node, path: str) -> None:
    seen_nodes: set[int] = set()
    stack: list[Node] = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, MappingNode):
            first_line: dict[str, int] = {}
            for key, value in node.value:
                if isinstance(key, ScalarNode):
                    if key.value in first_line:
                        raise InvalidFile(
                            f"duplicate key {key.value!r} (first defined on line "
                            f"{first_line[key.value]})",
                            path=path,
                            line=key.start_mark.line + 1,
                            column=key.start_mark.column + 1,
                            hint="YAML keeps only one of them silently; remove or rename one",
                        )
                    first_line[key.value] = key.start_mark.line + 1
                stack.append(key)
                stack.append(value)
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
