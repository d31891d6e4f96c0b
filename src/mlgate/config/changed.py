"""Which models a range of commits changed, for the workflows' matrix (`mlgate matrix
--since`): the promote workflow promotes them, the pull-request workflow reports on them.

A model changed when its declaration changed; when what its pipeline's dvc.lock records,
or its dvc.yaml defines, for any stage that makes it (before or after the change) changed;
when the change touches a file one of those stages depends on (shared code changed without
a `dvc repro` still changes the model), or a value one of them tracks in a params file;
or, for a pipeline of its own in a subdirectory (a monorepo's `models/a/dvc.yaml`), when
the change touches anything in that directory. A change to a README or to another model's
stages or directory changes nothing. The range starts at the merge base, so that what the
base branch did meanwhile is not counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mlgate.config.declarations import PIPELINES_DIR, Reader, read_dvc_lock, read_dvc_yaml
from mlgate.config.dvcfiles import DvcLock, DvcYaml, folder_of
from mlgate.config.model import Model
from mlgate.config.yamlio import load_bytes
from mlgate.errors import InvalidFile, NotFound
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


@dataclass(frozen=True)
class _Side:
    dvc_yaml: DvcYaml | None
    lock: DvcLock | None


def _side(read: Reader, model: Model) -> _Side:
    """A pipeline as one side of the change has it; one that does not parse there counts
    as absent (so that every stage differs)."""
    try:
        return _Side(read_dvc_yaml(read, model), read_dvc_lock(read, model))
    except InvalidFile:
        return _Side(None, None)


def changed_models(models: list[Model], base: str, *, cwd: Path) -> list[Model]:
    from mlgate.config.stages import model_stages

    head_commit = git.resolve("HEAD", cwd=cwd)
    point = git.git(["merge-base", base, head_commit], cwd=cwd, check=False).strip() or base
    before = git.RevReader(point, cwd=cwd)
    head = git.RevReader(head_commit, cwd=cwd)
    touched = [p for p in git.git(["diff", "--name-only", "--no-renames", "-z", point,
                                   head_commit], cwd=cwd).split("\0") if p]
    sides: dict[str, tuple[_Side, _Side]] = {}
    changed = []
    for model in models:
        if model.pipeline not in sides:
            sides[model.pipeline] = (_side(before, model), _side(head, model))
        old, new = sides[model.pipeline]
        path = f"{PIPELINES_DIR}/{model.name}.yaml"
        stages = list(dict.fromkeys([*model_stages(model, old.dvc_yaml),
                                     *model_stages(model, new.dvc_yaml)]))
        folder = folder_of(model.pipeline)
        if before(path) != head(path) \
                or (folder and any(p.startswith(f"{folder}/") for p in touched)) \
                or any(_stage(old.lock, s) != _stage(new.lock, s)
                       or _definition(old.dvc_yaml, s) != _definition(new.dvc_yaml, s)
                       for s in stages) \
                or _reads_any(touched, stages, old.dvc_yaml, new.dvc_yaml) \
                or _params_moved(touched, stages, before, head, old.dvc_yaml, new.dvc_yaml):
            changed.append(model)
    return changed


def _params_moved(touched: list[str], stages: list[str], before: Reader, head: Reader,
                  *dvcs: DvcYaml | None) -> bool:
    """Whether a value the stages track, in a params file the change touches, differs."""
    tracked = {(file, key) for dvc in dvcs if dvc is not None for name in stages
               if (stage := dvc.stage(name)) is not None
               for file, key in map(_params_entry, stage.params) if file in touched}
    return any(_param(before, file, key) != _param(head, file, key) for file, key in tracked)


def _params_entry(entry: str) -> tuple[str, str]:
    file, sep, key = entry.partition(":")
    if sep and file.endswith((".yaml", ".yml", ".json", ".toml")):
        return file, key
    return "params.yaml", entry


def _param(read: Reader, file: str, key: str) -> object:
    """The value at ``key`` (dotted; the whole file when empty); a file that does not
    parse as YAML (TOML) counts as its bytes."""
    raw = read(file)
    if raw is None:
        return None
    try:
        data: object = load_bytes(raw, file).data
    except InvalidFile:
        return raw
    for part in key.split(".") if key else ():
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def _reads_any(touched: list[str], stages: list[str], *dvcs: DvcYaml | None) -> bool:
    """Whether a touched file is a dependency of one of ``stages`` (or in a directory that
    is), on either side."""
    deps = {dep.rstrip("/") for dvc in dvcs if dvc is not None for name in stages
            if (stage := dvc.stage(name)) is not None for dep in stage.deps}
    return any(p in deps or any(p.startswith(f"{d}/") for d in deps) for p in touched)


def _stage(lock: DvcLock | None, name: str) -> object:
    return None if lock is None else lock.stages.get(name)


def _definition(dvc_yaml: DvcYaml | None, name: str) -> object:
    return None if dvc_yaml is None else dvc_yaml.stage(name)
