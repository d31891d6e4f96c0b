"""The metrics the gates judge, recomputed: never read on trust from the candidate's files.

The stages that write a model's metrics files and predictions are re-run from the
artifact and their committed inputs, in a temporary worktree of the candidate (see
:mod:`mlgate.plumbing.worktree`): the candidate's commit, or for the working tree its
HEAD with the working tree's changed and new files copied over. Their inputs that git
does not hold (the artifact, the test data) are copied there from the repository's DVC
cache, by the md5 the candidate's dvc.lock recorded; DVC then runs them with no cache and
no run cache to restore from. The gates judge the numbers this gives, and the
"metrics recomputed" row fails when they differ from the committed ones.

Training is never re-run: the stages re-run are those that write the metrics or the
predictions and everything between them and the artifact. A stage that writes both the
artifact and the metrics cannot be re-run without training, and a stage that writes the
metrics without reading the artifact cannot be computing the model's numbers: both are a
failed row saying how to lay out the pipeline instead.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgate.config.dvcfiles import DvcLock, DvcYaml
from mlgate.config.metricsfile import flatten, parse_metrics
from mlgate.config.model import Model
from mlgate.errors import CommandFailed, InvalidFile
from mlgate.plumbing import git, worktree
from mlgate.plumbing.dvccache import DIR_SUFFIX, cache_dir, file_md5, object_intact, object_path

if TYPE_CHECKING:
    from mlgate.gates.candidate import Candidate
    from mlgate.gates.policy import GateResult

GATE = "metrics recomputed"
KIND = "recomputed"
# Metrics written to JSON by a re-run of the same code can differ in their last bits (a
# sum taken in another order: ~1e-16 relative); a number edited by hand or by a stage that
# fakes it differs at the precision a gate reads (1e-2 to 1e-6). 1e-9 sits between both.
REL_TOL = 1e-9
ABS_TOL = 1e-12
EXPECTED = f"committed metrics equal to the re-run's (within {REL_TOL:g} relative)"
LAYOUT_HINT = ("give the evaluation a stage of its own that reads the artifact and the test "
               "data and writes the predictions and metrics (README: \"Metrics are "
               "recomputed\")")


class NotRecomputed(Exception):
    """Why the metrics could not be recomputed, and what to do about it."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


@dataclass(frozen=True)
class Recomputed:
    """What the re-run gave: its metrics (merged, as the gates read them) and predictions,
    or why there are none; and the gate row comparing them with the committed files."""

    metrics: dict[str, Any] | None
    predictions: bytes | None
    error: str | None
    row: GateResult
    stages: tuple[str, ...] = field(default=())


def plan(model: Model, dvc_yaml: DvcYaml | None) -> list[str]:
    """The stages to re-run, in dependency order: those that write the model's metrics
    files and predictions, and every stage between them and the artifact."""
    if dvc_yaml is None:
        raise NotRecomputed("there is no dvc.yaml", "declare the pipeline's stages in dvc.yaml")
    training = dvc_yaml.producer(model.artifact)
    if training is None:
        raise NotRecomputed(f"no stage in dvc.yaml writes the artifact {model.artifact}",
                            "declare the artifact as an output of the training stage")
    targets = [*model.metrics.files, *([model.predictions.path] if model.predictions else [])]
    stages: list[str] = []
    for path in targets:
        writer = dvc_yaml.producer(path)
        if writer is None:
            raise NotRecomputed(f"no stage in dvc.yaml writes {path}",
                                "declare it as an output of the evaluation stage")
        if writer.name == training.name:
            raise NotRecomputed(
                f"stage {writer.name!r} writes both the artifact {model.artifact} and {path}: "
                "they cannot be recomputed without training again", LAYOUT_HINT)
        chain = dvc_yaml.upstream(writer.name)
        if training.name not in [s.name for s in chain]:
            raise NotRecomputed(
                f"stage {writer.name!r} writes {path} without reading the artifact "
                f"{model.artifact}: its numbers cannot be the model's",
                f"make {model.artifact} a dependency of the stage that computes {path}")
        for stage in chain:
            reads_model = training.name in [s.name for s in dvc_yaml.upstream(stage.name)]
            if stage.name != training.name and reads_model and stage.name not in stages:
                stages.append(stage.name)
    # `--single-item` runs the stages in the order given: the pipeline's own order, each
    # after what it depends on, else in dvc.yaml's order
    order = [s.name for top in dvc_yaml.stages for s in dvc_yaml.upstream(top.name)]
    return sorted(stages, key=order.index)


def recompute(cand: Candidate, model: Model, dvc_yaml: DvcYaml | None, lock: DvcLock | None
              ) -> Recomputed:
    """The model's metrics and predictions re-run for ``cand`` (see the module's doc). A
    committed metrics file that does not parse, or that the DVC cache lacks (NotFound), is
    bad input, found before anything runs."""
    from mlgate.gates.candidate import metrics_file_bytes  # git's, else the DVC cache's

    committed = {path: None if (raw := metrics_file_bytes(cand, path, model)) is None
                 else parse_metrics(raw, path) for path in model.metrics.files}
    stages: list[str] = []
    try:
        stages = plan(model, dvc_yaml)
        assert dvc_yaml is not None
        if lock is None:
            raise NotRecomputed(f"dvc.lock is missing at {cand.label}",
                                "run `dvc repro` and commit dvc.lock")
        if cand.commit is None:
            raise NotRecomputed("the repository has no commit yet", "commit the pipeline")
        produced = _rerun(cand, model, dvc_yaml, lock, stages)
    except NotRecomputed as exc:
        return _refused(exc, stages)
    return _compared(cand, model, committed, produced, stages)


def _rerun(cand: Candidate, model: Model, dvc_yaml: DvcYaml, lock: DvcLock,
           stages: Sequence[str]) -> dict[str, bytes | None]:
    """Each metrics file and the predictions as the re-run wrote them (None: not written)."""
    assert cand.commit is not None
    with worktree.temporary(cand.root, cand.commit) as tree:
        if cand.rev is None:
            worktree.overlay(cand.root, tree, _working_changes(cand.root))
        _bring_inputs(cand, tree, dvc_yaml, lock, stages)
        worktree.isolate_dvc(tree)
        for path in _outputs(model):  # nothing committed may stand in for an output
            target = tree / path
            if target.is_file():
                target.unlink()
        try:
            worktree.run_stages(tree, stages)
        except CommandFailed as exc:
            shown = ", ".join(stages)
            raise NotRecomputed(f"re-running {shown} failed: {exc.summary}",
                                f"run `dvc repro --single-item --force {' '.join(stages)}` "
                                "to see why") from None
        return {path: (tree / path).read_bytes() if (tree / path).is_file() else None
                for path in _outputs(model)}


def _outputs(model: Model) -> list[str]:
    return [*model.metrics.files, *([model.predictions.path] if model.predictions else [])]


def _working_changes(root: Path) -> list[str]:
    """Files of the working tree that differ from HEAD: changed, deleted and new ones."""
    changed = git.git(["diff", "--name-only", "--no-renames", "-z", "HEAD"], cwd=root)
    new = git.git(["ls-files", "-z", "--others", "--exclude-standard"], cwd=root)
    return sorted({p for p in (*changed.split("\0"), *new.split("\0")) if p})


def _bring_inputs(cand: Candidate, tree: Path, dvc_yaml: DvcYaml, lock: DvcLock,
                  stages: Sequence[str]) -> None:
    """Copy into ``tree``, from the DVC cache, every input of ``stages`` that git does not
    hold and none of them writes, as the candidate's dvc.lock recorded it."""
    written = {out for name in stages if (s := dvc_yaml.stage(name)) for out in s.outs}
    cache = cache_dir(cand.root)
    for name in stages:
        stage = dvc_yaml.stage(name)
        locked = lock.stages.get(name)
        if stage is None or locked is None:
            raise NotRecomputed(f"stage {name!r} is not in dvc.lock at {cand.label}",
                                "run `dvc repro` and commit dvc.lock")
        for dep in stage.deps:
            if "://" in dep or Path(dep).is_absolute() or ".." in Path(dep).parts:
                raise NotRecomputed(f"stage {name!r} reads {dep}, outside the repository",
                                    "an evaluation stage reads the artifact and files of the "
                                    "repository only")
            if dep in written or (tree / dep).exists():
                continue  # made by the re-run, or held by git
            entry = next((d for d in locked.deps if d.path == dep), None)
            if entry is None or not entry.md5:
                raise NotRecomputed(f"{dep} has no md5 in dvc.lock's stage {name!r}",
                                    "run `dvc repro` and commit dvc.lock")
            _materialize(cand, cache, dep, entry.md5, tree)


def _materialize(cand: Candidate, cache: Path, path: str, md5: str, tree: Path) -> None:
    missing = NotRecomputed(
        f"{path} (md5 {md5[:8]}) is not in the local DVC cache",
        f"bring it with `dvc pull {path}` (or `dvc fetch`), then check again")
    if not md5.endswith(DIR_SUFFIX):
        _copy_object(cand, cache, path, md5, tree / path, missing)
        return
    listing = object_path(cache, md5)
    if not listing.is_file():
        raise missing
    _check_intact(listing, path, md5)
    try:
        entries = json.loads(listing.read_bytes())
    except (OSError, ValueError):
        raise missing from None
    for entry in entries:
        rel, oid = entry.get("relpath"), entry.get("md5")
        if not isinstance(rel, str) or not isinstance(oid, str) or ".." in rel.split("/"):
            raise NotRecomputed(f"{path}: the DVC cache's listing of {md5[:8]} is not DVC's",
                                "`dvc pull` it again")
        _copy_object(cand, cache, f"{path}/{rel}", oid, tree / path / rel, missing)


def _copy_object(cand: Candidate, cache: Path, path: str, md5: str, target: Path,
                 missing: NotRecomputed) -> None:
    source = object_path(cache, md5)
    if not source.is_file() and cand.rev is None:
        # the working tree's own copy, when it is what dvc.lock recorded
        here = cand.root / path
        source = here if file_md5(here) == md5 else source
    if not source.is_file():
        raise missing
    _check_intact(source, path, md5)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)  # a copy: a stage writing to it cannot reach the cache


def _check_intact(source: Path, path: str, md5: str) -> None:
    """The bytes the re-run reads are those dvc.lock names: the cache is the change's to
    write (a stage, a `.dvc/config` naming a cache it commits), and a better model under
    the poor one's md5 would give the committed numbers of another artifact."""
    if not object_intact(source, md5):
        raise NotRecomputed(f"{path} (md5 {md5[:8]}) in the local DVC cache does not match "
                            "the md5 it is stored under: its bytes were changed",
                            f"delete {source} and bring it again with `dvc fetch` from a "
                            "remote you trust (or `dvc repro`)")


def differences(committed: dict[str, Any], recomputed: dict[str, Any]
                ) -> list[tuple[str, Any, Any]]:
    """(metric, committed value, recomputed value) of every metric that differs, a missing
    one shown as None; numbers are equal within :data:`REL_TOL`."""
    left, right = flatten(committed), flatten(recomputed)
    found = []
    for name in sorted(left.keys() | right.keys()):
        a, b = left.get(name), right.get(name)
        if name not in left or name not in right or not _same(a, b):
            found.append((name, a, b))
    return found


def _same(a: Any, b: Any) -> bool:
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers) \
            and not isinstance(a, bool) and not isinstance(b, bool):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    return bool(a == b and type(a) is type(b))


def _compared(cand: Candidate, model: Model, committed: dict[str, dict[str, Any] | None],
              produced: dict[str, bytes | None], stages: Sequence[str]) -> Recomputed:
    from mlgate.gates.policy import GateResult

    merged: dict[str, Any] = {}
    diffs: list[dict[str, Any]] = []
    missing: list[str] = []  # not committed: nothing to compare with
    for path in model.metrics.files:
        raw = produced[path]
        if raw is None:
            return _refused(NotRecomputed(f"the re-run of {', '.join(stages)} did not write "
                                          f"{path}", "check the stage's command"), stages)
        try:
            fresh = parse_metrics(raw, f"{path} (recomputed)")
        except InvalidFile as exc:
            return _refused(NotRecomputed(exc.message, "check the stage's command"), stages)
        merged.update(fresh)
        before = committed[path]
        if before is None:
            missing.append(path)
            continue
        diffs.extend({"file": path, "metric": name, "committed": a, "recomputed": b}
                     for name, a, b in differences(before, fresh))
    predictions = produced.get(model.predictions.path) if model.predictions else None
    ran = f"re-ran {', '.join(repr(s) for s in stages)} from {model.artifact} in a temporary " \
          "worktree"
    details = {"stages": list(stages), "differences": diffs, "not_committed": missing}
    if missing:
        row = GateResult(GATE, KIND, "not committed", EXPECTED, False,
                         f"{', '.join(missing)} is missing at {cand.label}: run the pipeline "
                         f"(`mlgate run {model.name}`) and commit it", details)
    elif not diffs:
        files = ", ".join(model.metrics.files)
        row = GateResult(GATE, KIND, "same", EXPECTED, True, f"{ran}: {files} as committed",
                         details)
    else:
        shown = "; ".join(f"{d['file']}: {d['metric']} committed {_show(d['committed'])}, "
                          f"recomputed {_show(d['recomputed'])}" for d in diffs[:5])
        more = f" and {len(diffs) - 5} more" if len(diffs) > 5 else ""
        row = GateResult(GATE, KIND, "differs", EXPECTED, False,
                         f"{shown}{more}; {ran}, and the gates judge its numbers", details)
    return Recomputed(merged, predictions, None, row, tuple(stages))


def _show(value: Any) -> str:
    return "missing" if value is None else json.dumps(value)


def _refused(exc: NotRecomputed, stages: Sequence[str]) -> Recomputed:
    from mlgate.gates.policy import GateResult

    row = GateResult(GATE, KIND, "not recomputed", EXPECTED, False,
                     f"{exc.message}; {exc.hint}", {"stages": list(stages)})
    return Recomputed(None, None, f"the metrics were not recomputed: {exc.message}", row,
                      tuple(stages))
