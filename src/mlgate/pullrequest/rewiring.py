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
from collections.abc import Sequence
from dataclasses import dataclass

from mlgate.config.declarations import Reader
from mlgate.config.dvcfiles import DvcYaml, Stage
from mlgate.config.model import Model
from mlgate.config.stages import CODE_SUFFIXES
from mlgate.plumbing import git


@dataclass(frozen=True)
class Rewiring:
    """One stage that writes a judged path and differs between base and head."""

    stage: str  # the head's stage (the base's when the head has none)
    paths: tuple[str, ...]  # the judged paths it writes (or wrote)
    changes: tuple[str, ...]  # what differs, in words

    def sentence(self) -> str:
        return (f"stage `{self.stage}` (writes {', '.join(f'`{p}`' for p in self.paths)}): "
                + "; ".join(self.changes))


def judged_paths(model: Model) -> list[str]:
    paths = [model.artifact, *model.metrics.files]
    if model.predictions is not None:
        paths.append(model.predictions.path)
    return paths


def rewirings(model: Model, base_dvc: DvcYaml | None, head_dvc: DvcYaml | None,
              base: Reader, head: Reader) -> list[Rewiring]:
    """Every stage writing one of ``model``'s judged paths that the change alters."""
    by_stage: dict[str, list[str]] = {}
    moved: dict[str, list[str]] = {}
    for path in judged_paths(model):
        was = base_dvc.producer(path) if base_dvc else None
        now = head_dvc.producer(path) if head_dvc else None
        name = now.name if now else was.name if was else None
        if name is None:
            continue
        by_stage.setdefault(name, []).append(path)
        if (was.name if was else None) != (now.name if now else None):
            before = f"stage `{was.name}`" if was else "no stage"
            after = f"stage `{now.name}`" if now else "no stage"
            moved.setdefault(name, []).append(f"`{path}` is now written by {after} "
                                              f"(was {before})")
    found = []
    for name, paths in by_stage.items():
        was = base_dvc.stage(name) if base_dvc else None
        now = head_dvc.stage(name) if head_dvc else None
        changes = [*moved.get(name, []), *_stage_changes(was, now, base, head)]
        if changes:
            found.append(Rewiring(name, tuple(paths), tuple(changes)))
    return found


def _stage_changes(was: Stage | None, now: Stage | None, base: Reader, head: Reader
                   ) -> list[str]:
    if was is None and now is None:
        return []
    if was is None:
        assert now is not None
        return [f"new: runs `{_cmd(now)}`"]
    if now is None:
        return ["removed"]
    changes = []
    if was.cmd != now.cmd:
        changes.append(f"runs `{_cmd(now)}` (was `{_cmd(was)}`)")
    if set(was.outs) != set(now.outs):
        changes.append(f"outputs {_listed(now.outs)} (were {_listed(was.outs)})")
    old_code, new_code = code_files(was), code_files(now)
    if set(old_code) != set(new_code):
        changes.append(f"code {_listed(new_code)} (was {_listed(old_code)})")
    edited = [p for p in new_code if p in old_code and _blob(base, p) != _blob(head, p)]
    if edited:
        changes.append(f"code changed: {_listed(edited)}")
    return changes


def code_files(stage: Stage) -> list[str]:
    """The code a stage runs: its dependencies with a code suffix, and the files with one
    that its command names (a script the stage runs without declaring it)."""
    try:
        words = shlex.split(stage.cmd)
    except ValueError:
        words = stage.cmd.split()
    named = [w for w in words if w.endswith(CODE_SUFFIXES) and "://" not in w]
    return list(dict.fromkeys([*(d for d in stage.deps if d.endswith(CODE_SUFFIXES)),
                               *named]))


def _cmd(stage: Stage, limit: int = 160) -> str:
    """The command as one line for a code span: no backticks, cut when long."""
    text = " ".join(stage.cmd.replace("`", "'").split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _blob(read: Reader, path: str) -> str | None:
    raw = read(path)
    return None if raw is None else git.blob_id(raw)


def _listed(paths: Sequence[str]) -> str:
    return ", ".join(f"`{p}`" for p in paths) or "none"
