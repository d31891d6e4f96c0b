"""Which models a range of commits changed, for the promote workflow's matrix.

A model changed when its declaration changed, or when what dvc.lock records for any
stage that makes it (its command, dependencies, parameters, outputs) changed: a change
to a README or to another model's stages promotes nothing.
"""

from __future__ import annotations

from pathlib import Path

from mlgate.config.declarations import PIPELINES_DIR, Reader, read_dvc_yaml
from mlgate.config.dvcfiles import DvcLock, DvcYaml, parse_dvc_lock
from mlgate.config.model import Model
from mlgate.errors import NotFound
from mlgate.plumbing import git


def base_commit(since: str, *, cwd: Path) -> str | None:
    """The commit to compare with; None when there is none to compare (a new branch, or
    a `before` that a force push or a shallow clone left unknown): everything changed.
    git failing is no such case: it raises CommandFailed."""
    if not since.strip("0"):
        return None
    try:
        return git.resolve(since, cwd=cwd)
    except NotFound:
        return None


def _lock(read: Reader) -> DvcLock | None:
    raw = read("dvc.lock")
    return None if raw is None else parse_dvc_lock(raw)


def changed_models(models: list[Model], base: str, *, cwd: Path) -> list[Model]:
    from mlgate.config.stages import model_stages

    before = git.RevReader(base, cwd=cwd)
    head = git.RevReader(git.resolve("HEAD", cwd=cwd), cwd=cwd)
    lock_before, lock_after = _lock(before), _lock(head)
    dvc_before, dvc_after = read_dvc_yaml(before), read_dvc_yaml(head)
    changed = []
    for model in models:
        path = f"{PIPELINES_DIR}/{model.name}.yaml"
        stages = model_stages(model, dvc_after)
        if before(path) != head(path) or any(
                _stage(lock_before, s) != _stage(lock_after, s)
                or _definition(dvc_before, s) != _definition(dvc_after, s) for s in stages):
            changed.append(model)
    return changed


def _stage(lock: DvcLock | None, name: str) -> object:
    return None if lock is None else lock.stages.get(name)


def _definition(dvc_yaml: DvcYaml | None, name: str) -> object:
    return None if dvc_yaml is None else dvc_yaml.stage(name)
