"""The metrics the gates judge, recomputed: never read on trust from the candidate's files.

The stages that write a model's metrics files and predictions are re-run from the
artifact and their committed inputs, in a temporary worktree of the candidate (see
:mod:`mlgate.plumbing.worktree`): the candidate's commit, or for the working tree its
HEAD with the working tree's changed and new files copied over. Their inputs that git
does not hold (the artifact, the test data) are copied there from the repository's DVC
cache, by the md5 the candidate's dvc.lock recorded, each checked against it
(:mod:`mlgate.gates.rerun_inputs`); DVC then runs them with no cache and no run cache to
restore from. Nothing is written through a symlink that leads out of the worktree. The
gates judge the numbers this gives, and the "metrics recomputed" row fails when they
differ from the committed ones.

Training is never re-run: the stages re-run are those that write the metrics or the
predictions and everything between them and the artifact. A stage that writes both the
artifact and the metrics cannot be re-run without training, and a stage that writes the
metrics without reading the artifact cannot be computing the model's numbers: both are a
failed row saying how to lay out the pipeline instead.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgate.config.dvcfiles import DvcLock, DvcYaml
from mlgate.config.metricsfile import flatten, parse_metrics
from mlgate.config.model import Model
from mlgate.errors import CommandFailed, InvalidFile
from mlgate.gates.rerun_inputs import NotRecomputed, bring_inputs, stays_inside
from mlgate.plumbing import git, worktree

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
        changes = _working_changes(cand.root) if cand.rev is None else []
        stays_inside(tree, [*changes, *_outputs(model), ".dvc/config.local"])
        worktree.overlay(cand.root, tree, changes)
        bring_inputs(cand, tree, dvc_yaml, lock, stages)
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
