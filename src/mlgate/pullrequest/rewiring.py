"""Changes to the stages that write what the gates judge: a caution at the top of a report.

The metrics are recomputed by re-running the stages that write them as the change defines
them (:mod:`mlgate.gates.recompute`), so a change to those stages changes what the gates
are told. For every path the gates judge (the artifact, the metrics files, the
predictions), the stage that writes it at the base is compared with the one at the head:
which stage it is, its command, its outputs, the code it runs (its dependencies with a
code suffix and the code files its command names) and that code's git blob ids.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass

from mlgate.config.declarations import Reader
from mlgate.config.dvcfiles import DvcYaml, Stage, rooted
from mlgate.config.model import Model
from mlgate.config.stages import CODE_SUFFIXES
from mlgate.plumbing import git

Value = str | tuple[str, ...]  # a name, or a list of them ("none" when empty)


@dataclass(frozen=True)
class Change:
    """One difference, in words: ``template``'s ``{}`` are ``values``, from the change and
    so untrusted, which the renderer shows (and makes inert) as it must."""

    template: str
    values: tuple[Value, ...] = ()

    def render(self, code: Callable[[str], str]) -> str:
        def one(v: Value) -> str:
            if isinstance(v, str):
                return code(v)
            return ", ".join(code(p) for p in v) or "none"
        return self.template.format(*(one(v) for v in self.values))


@dataclass(frozen=True)
class Rewiring:
    """One stage that writes a judged path and differs between base and head."""

    stage: str  # the head's stage (the base's when the head has none)
    paths: tuple[str, ...]  # the judged paths it writes (or wrote)
    changes: tuple[Change, ...]  # what differs

    def sentence(self, code: Callable[[str], str]) -> str:
        return (Change("stage {} (writes {}): ", (self.stage, self.paths)).render(code)
                + "; ".join(c.render(code) for c in self.changes))


def judged_paths(model: Model) -> list[str]:
    paths = [model.artifact, *model.metrics.files]
    if model.predictions is not None:
        paths.append(model.predictions.path)
    return paths


def rewirings(model: Model, base_dvc: DvcYaml | None, head_dvc: DvcYaml | None,
              base: Reader, head: Reader) -> list[Rewiring]:
    """Every stage writing one of ``model``'s judged paths that the change alters."""
    by_stage: dict[str, list[str]] = {}
    moved: dict[str, list[Change]] = {}
    for path in judged_paths(model):
        was = base_dvc.producer(path) if base_dvc else None
        now = head_dvc.producer(path) if head_dvc else None
        name = now.name if now else was.name if was else None
        if name is None:
            continue
        by_stage.setdefault(name, []).append(path)
        if (was.name if was else None) != (now.name if now else None):
            after, before = (("stage {}", (s.name,)) if s else ("no stage", ())
                             for s in (now, was))
            moved.setdefault(name, []).append(Change(
                f"{{}} is now written by {after[0]} (was {before[0]})",
                (path, *after[1], *before[1])))
    found = []
    for name, paths in by_stage.items():
        was = base_dvc.stage(name) if base_dvc else None
        now = head_dvc.stage(name) if head_dvc else None
        changes = [*moved.get(name, []), *_stage_changes(was, now, base, head)]
        if changes:
            found.append(Rewiring(name, tuple(paths), tuple(changes)))
    return found


def _stage_changes(was: Stage | None, now: Stage | None, base: Reader, head: Reader
                   ) -> list[Change]:
    if was is None and now is None:
        return []
    if was is None:
        assert now is not None
        return [Change("new: runs {}", (_cmd(now),))]
    if now is None:
        return [Change("removed")]
    changes = []
    if was.cmd != now.cmd:
        changes.append(Change("runs {} (was {})", (_cmd(now), _cmd(was))))
    if set(was.outs) != set(now.outs):
        changes.append(Change("outputs {} (were {})", (tuple(now.outs), tuple(was.outs))))
    old_code, new_code = code_files(was), code_files(now)
    if set(old_code) != set(new_code):
        changes.append(Change("code {} (was {})", (tuple(new_code), tuple(old_code))))
    edited = [p for p in new_code if p in old_code and _blob(base, p) != _blob(head, p)]
    if edited:
        changes.append(Change("code changed: {}", (tuple(edited),)))
    return changes


def code_files(stage: Stage) -> list[str]:
    """The code a stage runs: its dependencies with a code suffix, and the files with one
    that its command names (a script the stage runs without declaring it), relative to the
    root (the command runs in its dvc.yaml's directory). A name outside the repository
    (`/usr/lib/x.py`, `../x.py` at the root) is none of the repository's code."""
    try:
        words = shlex.split(stage.cmd)
    except ValueError:
        words = stage.cmd.split()
    named = [path for w in words if w.endswith(CODE_SUFFIXES) and "://" not in w
             and not (path := rooted(w, stage.folder)).startswith(("/", "../"))
             and path != ".."]
    return list(dict.fromkeys([*(d for d in stage.deps if d.endswith(CODE_SUFFIXES)),
                               *named]))


def _cmd(stage: Stage, limit: int = 160) -> str:
    """The command as one line, cut when long."""
    text = " ".join(stage.cmd.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _blob(read: Reader, path: str) -> str | None:
    raw = read(path)
    return None if raw is None else git.blob_id(raw)
