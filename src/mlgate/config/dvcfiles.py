"""Read dvc.yaml and dvc.lock as plain YAML: what each stage declares and what ran.

mlgate reads these files itself instead of importing DVC, so that `validate`,
`check` and `report` start fast and can read them at any git ref. Either file, when it
does not parse or is not shaped as DVC writes it (see :mod:`mlgate.config.dvcshape`), is
an InvalidFile with file:line.

A pipeline in a subdirectory (a monorepo's `models/a/dvc.yaml`) is read as DVC reads it:
its paths are relative to its directory, its params file is that directory's
`params.yaml`, its dvc.lock sits beside it. Parsed, every path is made relative to the
repository root and every stage is named as DVC addresses it from there
(`models/a/dvc.yaml:train`), so that the rest of mlgate compares paths and names stages
one way whichever pipeline they come from; the root's `dvc.yaml` reads as before.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Any

from mlgate.config.dvcshape import check_dvc_lock, check_dvc_yaml
from mlgate.config.dvctemplate import expand
from mlgate.config.yamlio import Document, load_bytes


@dataclass(frozen=True)
class Stage:
    name: str
    cmd: str
    deps: tuple[str, ...] = ()
    outs: tuple[str, ...] = ()  # every output: outs, metrics and plots
    metrics: tuple[str, ...] = ()
    plots: tuple[str, ...] = ()
    params: tuple[str, ...] = ()
    folder: str = ""  # where its command runs, relative to the root ("" at the root)


@dataclass(frozen=True)
class DvcYaml:
    path: str
    stages: tuple[Stage, ...] = ()
    artifacts: dict[str, Any] = field(default_factory=dict)
    # top-level `metrics:` (DVC 3, DVCLive): files that may sit in a stage's output directory
    metrics: tuple[str, ...] = ()
    # top-level `params:` (DVC 3, DVCLive): params files tracked whole, by any stage's run
    params: tuple[str, ...] = ()

    def producer(self, out: str) -> Stage | None:
        """The stage that has ``out`` among its outputs (or a directory output above it)."""
        for stage in self.stages:
            for candidate in stage.outs:
                if out == candidate or out.startswith(candidate.rstrip("/") + "/"):
                    return stage
        return None

    def metrics_stage(self, path: str) -> Stage | None:
        return next((s for s in self.stages if path in s.metrics), None)

    def stage(self, name: str) -> Stage | None:
        return next((s for s in self.stages if s.name == name), None)

    def upstream(self, name: str) -> list[Stage]:
        """``name`` and every stage it depends on, in dependency order."""
        order: list[Stage] = []
        seen: set[str] = set()

        def visit(stage: Stage) -> None:
            if stage.name in seen:
                return
            seen.add(stage.name)
            for dep in stage.deps:
                producer = self.producer(dep)
                if producer is not None:
                    visit(producer)
            order.append(stage)

        start = self.stage(name)
        if start is not None:
            visit(start)
        return order


def _cmd(cmd: Any) -> str:
    """A stage's command as one string, whether written as a string or as a list."""
    return " && ".join(map(str, cmd)) if isinstance(cmd, list) else str(cmd)


def folder_of(pipeline: str) -> str:
    """The directory of a dvc.yaml (or dvc.lock), relative to the root: "" at the root."""
    return posixpath.dirname(pipeline)


def rooted(path: str, folder: str) -> str:
    """A path written in the pipeline of ``folder``, relative to the repository root
    (`../../src/common.py` in models/a/dvc.yaml is `src/common.py`)."""
    return posixpath.normpath(posixpath.join(folder, path)) if folder else path


def stage_address(name: str, pipeline: str) -> str:
    """A stage as DVC names it from the repository root."""
    return f"{pipeline}:{name}" if folder_of(pipeline) else name


def _paths(entries: Any, folder: str = "") -> tuple[str, ...]:
    """DVC lists entries as strings or as one-key mappings {path: {options}}."""
    out: list[str] = []
    for entry in entries if isinstance(entries, list) else []:  # a `${...}` left as written
        if isinstance(entry, str):
            out.append(rooted(entry, folder))
        elif isinstance(entry, dict):
            out.extend(rooted(str(k), folder) for k in entry)
    return tuple(out)


def _params(entries: Any, folder: str = "") -> tuple[str, ...]:
    """`file:key` for a params file named (relative to the root), the bare key for the
    root's params.yaml; a subdirectory pipeline's default file is its own params.yaml."""
    out: list[str] = []
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, str):
            out.append(f"{rooted('params.yaml', folder)}:{entry}" if folder else entry)
        elif isinstance(entry, dict):
            for file, keys in entry.items():
                if isinstance(keys, list) and keys:
                    out.extend(f"{rooted(str(file), folder)}:{k}" for k in keys)
                else:  # `- other.yaml:` with no keys tracks the whole file: "other.yaml:"
                    out.append(f"{rooted(str(file), folder)}:")
    return tuple(out)


def parse_dvc_yaml(doc: Document, context: dict[str, Any] | None = None) -> DvcYaml:
    """The stages, `foreach` and `matrix` groups expanded with ``context`` (what `${...}`
    may name: `vars:` and params.yaml) into the stages dvc.lock names."""
    check_dvc_yaml(doc)
    data = doc.data or {}
    folder = folder_of(doc.path)
    stages = []
    generated = [stage for name, group in (data.get("stages") or {}).items()
                 for stage in expand(doc, str(name), group, context or {})]
    for name, body in generated:
        if not isinstance(body, dict):
            continue  # a template whose iterable did not resolve to stages
        metrics = _paths(body.get("metrics"), folder)
        plots = _paths(body.get("plots"), folder)
        outs = _paths(body.get("outs"), folder)
        stages.append(
            Stage(
                name=stage_address(str(name), doc.path),
                cmd=_cmd(body.get("cmd", "")),
                deps=_paths(body.get("deps"), folder),
                outs=outs + metrics + plots,
                metrics=metrics,
                plots=plots,
                params=_params(body.get("params"), folder),
                folder=folder,
            )
        )
    artifacts = data.get("artifacts") or {}
    return DvcYaml(doc.path, tuple(stages), artifacts if isinstance(artifacts, dict) else {},
                   _paths(data.get("metrics"), folder), _paths(data.get("params"), folder))


def load_dvc_yaml(raw: bytes, path: str = "dvc.yaml",
                  context: dict[str, Any] | None = None) -> DvcYaml:
    """``path`` is where the file is, relative to the root: its paths are read from there;
    ``context`` is what `${...}` may name (:func:`parse_dvc_yaml`)."""
    return parse_dvc_yaml(load_bytes(raw, path), context)


@dataclass(frozen=True)
class LockEntry:
    path: str
    md5: str | None
    size: int | None = None


@dataclass(frozen=True)
class LockStage:
    name: str
    cmd: str
    deps: tuple[LockEntry, ...]
    outs: tuple[LockEntry, ...]
    params: dict[str, Any]


@dataclass(frozen=True)
class DvcLock:
    stages: dict[str, LockStage]

    def out(self, path: str) -> LockEntry | None:
        for stage in self.stages.values():
            for entry in stage.outs:
                if entry.path == path:
                    return entry
        return None

    def holder(self, path: str) -> tuple[LockEntry, str | None] | None:
        """The output that holds ``path``: itself (with None), or a directory output and
        the path within it (as DVCLive's `eval/metrics.json` is in `eval`)."""
        exact = self.out(path)
        if exact is not None:
            return exact, None
        for stage in self.stages.values():
            for entry in stage.outs:
                top = entry.path.rstrip("/") + "/"
                if path.startswith(top) and (entry.md5 or "").endswith(".dir"):
                    return entry, path[len(top):]
        return None

    def dep(self, path: str) -> LockEntry | None:
        for stage in self.stages.values():
            for entry in stage.deps:
                if entry.path == path:
                    return entry
        return None


def _entries(items: Any, folder: str) -> tuple[LockEntry, ...]:
    out = []
    for item in items or []:
        if "path" in item:
            md5 = item.get("md5") or item.get("etag") or item.get("checksum")
            out.append(LockEntry(rooted(str(item["path"]), folder), md5, item.get("size")))
    return tuple(out)


def parse_dvc_lock(raw: bytes, path: str = "dvc.lock", *, at: str | None = None) -> DvcLock:
    """``path`` is where the file is, relative to the root (its paths are read from
    there); ``at``, when given, is how messages name it (`COMMIT:models/a/dvc.lock`)."""
    doc = load_bytes(raw, at or path)
    check_dvc_lock(doc)
    data = doc.data or {}
    folder = folder_of(path)
    pipeline = posixpath.join(folder, "dvc.yaml")
    stages = {}
    for name, body in (data.get("stages") or {}).items():
        address = stage_address(str(name), pipeline)
        params = body.get("params") or {}
        if folder and isinstance(params, dict):
            params = {rooted(str(file), folder): keys for file, keys in params.items()}
        stages[address] = LockStage(
            name=address,
            cmd=_cmd(body.get("cmd", "")),
            deps=_entries(body.get("deps"), folder),
            outs=_entries(body.get("outs"), folder),
            params=params,
        )
    return DvcLock(stages)
