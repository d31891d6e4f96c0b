"""`mlgate reproduce REF`: run a deployed version's pipeline again and compare every digest.

A temporary `git worktree` at the recorded commit shares the repository's DVC cache (so
inputs need no second download and nothing is checked out in the user's tree); `dvc
repro --force --no-run-cache` re-runs the model's stages for real, and the dvc.lock it
writes is compared, entry by entry, with the one committed at that commit, and the
artifact's sha256 with the record's subject. The worktree is removed whatever happens.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlgate.audit.evidence import file_sha256, lock_at
from mlgate.audit.records import Record
from mlgate.audit.trail import Trail
from mlgate.config.dvcfiles import DvcLock, parse_dvc_lock
from mlgate.errors import InvalidFile, MlgateError, NotFound, suggest
from mlgate.plumbing import dvc, git, progress
from mlgate.plumbing.dvccache import cache_dir
from mlgate.registry.state import TagEvent
from mlgate.registry.tags import Action, parse_tag

REF_HINT = "name a version or assignment tag, e.g. MODEL@v1.2.0 or MODEL#production#7 " \
           "(`mlgate history` lists them)"


@dataclass(frozen=True)
class Target:
    """What to reproduce: the tag, the record (if any), the commit, the model's stages."""

    ref: str
    model: str
    version: str | None
    commit: str
    record: Record | None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Compared:
    stage: str
    kind: str  # "out", "dep" or "artifact sha256"
    path: str
    recorded: str | None
    reproduced: str | None

    @property
    def same(self) -> bool:
        return self.recorded == self.reproduced

    def as_dict(self) -> dict[str, Any]:
        return {"stage": self.stage, "kind": self.kind, "path": self.path,
                "recorded": self.recorded, "reproduced": self.reproduced, "same": self.same}


@dataclass(frozen=True)
class Reproduction:
    target: Target
    stages: tuple[str, ...]
    compared: tuple[Compared, ...]

    @property
    def differing(self) -> list[Compared]:
        return [c for c in self.compared if not c.same]

    @property
    def identical(self) -> bool:
        return bool(self.compared) and not self.differing

    def as_dict(self) -> dict[str, Any]:
        t = self.target
        return {"ref": t.ref, "model": t.model, "version": t.version, "commit": t.commit,
                "record_digest": t.record.digest if t.record else None,
                "stages": list(self.stages), "identical": self.identical,
                "differs": [c.path for c in self.differing],
                "compared": [c.as_dict() for c in self.compared], "notes": list(t.notes)}


def resolve(trail: Trail, ref: str) -> Target:
    parsed = parse_tag(ref)
    if parsed is None:
        raise MlgateError(f"{ref!r} is not a version or assignment tag", hint=REF_HINT)
    events = {e.name: e for e in trail.registry.model(parsed.model).events}
    event = events.get(ref)
    if event is None:
        names = sorted(events) or sorted(trail.registry.names)
        close = suggest(ref, names)
        tip = f"did you mean {close!r}? " if close else ""
        raise MlgateError(f"no tag {ref!r} in this repository",
                          hint=f"{tip}fetch the registry first (`git fetch --tags origin`), "
                               "or " + REF_HINT.replace("name", "name one of", 1))
    if parsed.action not in (Action.REGISTER, Action.ASSIGN):
        raise MlgateError(f"{ref!r} {parsed.action.value}s: it names no version to reproduce",
                          hint=REF_HINT)
    record = _record_for(trail, event)
    notes = []
    commit = event.commit
    if record is not None and record.commit and record.commit != event.commit:
        notes.append(f"the tag points at {event.commit[:12]} but its record at "
                     f"{record.commit[:12]}: reproducing the recorded commit "
                     "(`mlgate audit verify` says more)")
        commit = record.commit
    state = trail.registry.model(parsed.model)
    version = (record.version if record else None) or parsed.version or state.version_of(commit)
    return Target(ref, parsed.model, version, commit, record, tuple(notes))


def _record_for(trail: Trail, event: TagEvent) -> Record | None:
    named = trail.naming().get(event.name)
    if named is not None:
        return named
    if event.record is not None:
        from mlgate.registry.ledger import digest

        return trail.by_digest.get(digest(event.record)) or Record(event.record)
    return None


def model_stages(root: Path, target: Target, lock: DvcLock) -> tuple[tuple[str, ...], str | None]:
    """The stages that make the model (and its artifact path), per its declaration at the
    commit; every locked stage when there is none there or it does not pass (git failing
    to read it is an error, not a reason to re-run everything)."""
    from mlgate.config.declarations import load_model, read_dvc_yaml
    from mlgate.config.stages import model_stages as stages_of

    reader = git.RevReader(target.commit, cwd=root)
    try:
        model = load_model(root, target.model, reader)
    except (NotFound, InvalidFile):
        return tuple(lock.stages), None
    stages = stages_of(model, read_dvc_yaml(reader, model))
    return tuple(stages or lock.stages), model.artifact


def lock_path(root: Path, target: Target) -> str:
    """The dvc.lock of the model's pipeline: the one its record names (a subdirectory
    pipeline's `models/a/dvc.lock`), else the one its declaration at the commit implies,
    else the root's."""
    from mlgate.config.declarations import load_model

    if target.record is not None:
        where = lock_at(target.record)
        return where.partition(":")[2] or "dvc.lock"
    try:
        return load_model(root, target.model, git.RevReader(target.commit, cwd=root)).lock_file
    except (NotFound, InvalidFile):
        return "dvc.lock"


def reproduce(root: Path, target: Target) -> Reproduction:
    path = lock_path(root, target)
    raw = git.RevReader(target.commit, cwd=root)(path)
    if raw is None:
        raise MlgateError(f"there is no {path} at {target.commit[:12]} ({target.ref})",
                          hint="only a DVC pipeline's recorded run can be reproduced")
    recorded = parse_dvc_lock(raw, path, at=f"{target.commit[:12]}:{path}")
    stages, artifact = model_stages(root, target, recorded)
    with worktree(root, target.commit) as tree, \
            progress.task(f"reproducing {target.ref}", total=len(stages) + 1,
                          unit="stages") as advance:
        advance(0, ", ".join(stages))
        dvc.dvc(["repro", "--force", "--no-run-cache", "--pull", *stages], cwd=tree,
                capture=False, hint=f"the pipeline at {target.commit[:12]} did not run to the "
                                    "end: see DVC's output above")
        advance(len(stages), "comparing the outputs")
        rerun = parse_dvc_lock((tree / path).read_bytes(), path, at=f"reproduced {path}")
        compared = compare(recorded, rerun, stages)
        record = target.record
        name = str((record.subject.get("name") if record else None) or artifact or "")
        sha256 = record.digests.get("sha256") if record else None
        if name and sha256:
            made = tree / name
            compared.append(Compared("", "artifact sha256", name, sha256,
                                     file_sha256(made) if made.is_file() else None))
        if record is not None and name and (tree / name).is_file():
            from mlgate.audit.reevaluation import KIND, reevaluate

            compared += [Compared("", KIND, what, before, after)
                         for what, before, after in reevaluate(root, record, target.model,
                                                               tree / name)]
    return Reproduction(target, stages, tuple(compared))


def compare(recorded: DvcLock, rerun: DvcLock, stages: tuple[str, ...]) -> list[Compared]:
    found = []
    for name in stages:
        before = recorded.stages.get(name)
        after = rerun.stages.get(name)
        if before is None:
            continue
        for kind, entries, again in (("dep", before.deps, after.deps if after else ()),
                                     ("out", before.outs, after.outs if after else ())):
            now = {e.path: e.md5 for e in again}
            found += [Compared(name, kind, e.path, e.md5, now.get(e.path)) for e in entries]
    return found


@contextmanager
def worktree(root: Path, commit: str) -> Iterator[Path]:
    """A detached worktree at ``commit`` using this repository's DVC cache; always removed."""
    scratch = Path(tempfile.mkdtemp(prefix="mlgate-reproduce-"))
    tree = scratch / "worktree"
    try:
        git.git(["worktree", "add", "--detach", "--quiet", str(tree), commit], cwd=root,
                hint="`git worktree add` failed: is the commit fetched?")
        local = root / ".dvc" / "config.local"  # remote credentials are kept here
        if local.is_file() and (tree / ".dvc").is_dir():
            shutil.copyfile(local, tree / ".dvc" / "config.local")
        dvc.dvc(["config", "--local", "cache.dir", str(cache_dir(root))], cwd=tree,
                hint="is there a .dvc directory at that commit?")
        yield tree
    finally:
        git.git(["worktree", "remove", "--force", str(tree)], cwd=root, check=False)
        shutil.rmtree(scratch, ignore_errors=True)
        git.git(["worktree", "prune"], cwd=root, check=False)
