"""The shapes of dvc.yaml and dvc.lock that mlgate reads, checked before it reads them.

Both files come with a pull request, so any YAML may be in them. Every place mlgate reads
holds what DVC writes there (a mapping of stages, lists of paths, a command) or is an
InvalidFile at file:line:column naming the key, what was expected and what was found:
nothing past :func:`check_dvc_yaml` and :func:`check_dvc_lock` meets a wrong type.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mlgate.config.yamlio import Document
from mlgate.errors import InvalidFile, Problem

Path = tuple[str | int, ...]
YAML_HINT = "see https://dvc.org/doc/user-guide/project-structure/dvcyaml-files"
LOCK_HINT = ("dvc.lock is written by DVC: restore it from git, or re-create it with "
             "`dvc repro` or `dvc commit`")


def _got(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


class _Checker:
    def __init__(self, doc: Document, hint: str) -> None:
        self.doc, self.hint = doc, hint

    def fail(self, at: Path, expected: str, value: Any) -> InvalidFile:
        line, column = self.doc.locate(at)
        shown = "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in at).lstrip(".")
        return InvalidFile.from_problems([Problem(
            f"expected {expected}, got {_got(value)}", self.doc.path, line, column,
            json_path=shown or None, hint=self.hint)])

    def mapping(self, value: Any, at: Path, expected: str, *, optional: bool = True) -> dict[
            Any, Any]:
        if value is None and optional:
            return {}
        if not isinstance(value, dict):
            raise self.fail(at, expected, value)
        return value

    def items(self, value: Any, at: Path, expected: str,
              each: Callable[[Any, Path], None]) -> None:
        if value is None:
            return
        if not isinstance(value, list):
            raise self.fail(at, expected, value)
        for n, item in enumerate(value):
            each(item, (*at, n))

    def cmd(self, body: dict[Any, Any], at: Path) -> None:
        cmd = body.get("cmd")
        ok = cmd is None or isinstance(cmd, str) or (
            isinstance(cmd, list) and all(isinstance(c, str) for c in cmd))
        if not ok:
            raise self.fail((*at, "cmd"), "a command (a string or a list of strings)", cmd)


def check_dvc_yaml(doc: Document) -> None:
    """Raise InvalidFile where dvc.yaml's stages are not shaped as DVC writes them."""
    check = _Checker(doc, YAML_HINT)
    data = check.mapping(doc.data, (), "a mapping with `stages:`")
    check.mapping(data.get("artifacts"), ("artifacts",), "a mapping of artifact names")
    stages = check.mapping(data.get("stages"), ("stages",), "a mapping of stage names to stages")

    def path_entry(item: Any, at: Path) -> None:
        if not isinstance(item, str) and not (
                isinstance(item, dict) and all(isinstance(k, str) for k in item)):
            raise check.fail(at, "a path, or a mapping of a path to its options", item)

    def params_entry(item: Any, at: Path) -> None:
        if isinstance(item, str):
            return
        for file, keys in check.mapping(item, at, "a parameter name, or a mapping of a "
                                        "params file to its parameter names").items():
            check.items(keys, (*at, file), "a list of parameter names", _string(check))

    check.items(data.get("metrics"), ("metrics",), "a list of paths", path_entry)
    check.items(data.get("params"), ("params",), "a list of params files", path_entry)
    for name, body in stages.items():
        at: Path = ("stages", name)
        body = check.mapping(body, at, "a stage (a mapping with `cmd:`)", optional=False)
        template = "foreach" in body or "matrix" in body
        if "foreach" in body:
            at = (*at, "do")
            body = check.mapping(body.get("do"), at, "a stage (a mapping with `cmd:`)",
                                 optional=False)
        if not (template and _reference(body.get("cmd"))):
            check.cmd(body, at)
        for key in ("deps", "outs", "metrics", "plots", "params"):
            if template and _reference(body.get(key)):
                continue  # a list that `${item...}` gives, read once expanded
            expected = "a list of parameters" if key == "params" else "a list of paths"
            check.items(body.get(key), (*at, key), expected,
                        params_entry if key == "params" else path_entry)


def _reference(value: Any) -> bool:
    """Whether ``value`` is one `${...}` reference, as a foreach stage's list may be."""
    return isinstance(value, str) and value.strip().startswith("${") \
        and value.strip().endswith("}")


def _string(check: _Checker) -> Callable[[Any, Path], None]:
    def each(item: Any, at: Path) -> None:
        if not isinstance(item, str):
            raise check.fail(at, "a string", item)
    return each


def check_dvc_lock(doc: Document) -> None:
    """Raise InvalidFile where dvc.lock is not shaped as DVC writes it."""
    check = _Checker(doc, LOCK_HINT)
    data = check.mapping(doc.data, (), "a mapping with `stages:`")
    stages = check.mapping(data.get("stages"), ("stages",), "a mapping of stage names to stages")

    def entry(item: Any, at: Path) -> None:
        item = check.mapping(item, at, "an entry with `path:` and a hash", optional=False)
        if not isinstance(item.get("path"), str):
            raise check.fail((*at, "path"), "a path", item.get("path"))
        for key in ("md5", "etag", "checksum"):
            if item.get(key) is not None and not isinstance(item[key], str):
                raise check.fail((*at, key), "a hash (a string)", item[key])
        size = item.get("size")
        if size is not None and (type(size) is not int):
            raise check.fail((*at, "size"), "a size in bytes (an integer)", size)

    for name, body in stages.items():
        at: Path = ("stages", name)
        body = check.mapping(body, at, "a stage (a mapping with `cmd:`)", optional=False)
        check.cmd(body, at)
        for key in ("deps", "outs"):
            check.items(body.get(key), (*at, key), "a list of entries", entry)
        params = check.mapping(body.get("params"), (*at, "params"),
                               "a mapping of params files to their values")
        for file, values in params.items():
            check.mapping(values, (*at, "params", file), "a mapping of parameters to values")
