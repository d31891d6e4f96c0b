"""Gather, read-only, everything a gate may look at.

The candidate (:mod:`mlgate.gates.candidate`) is either the working tree (the default: HEAD
plus uncommitted changes) or a commit (`--rev`), read through git plumbing and the local
DVC cache, never checked out. `dvc status` is the slow part, so it starts first and runs
while the rest is read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from mlgate.config.declarations import read_dvc_yaml
from mlgate.config.dvcfiles import DvcLock, parse_dvc_lock
from mlgate.config.stages import data_dependencies, model_stages
from mlgate.errors import MlgateError
from mlgate.gates.candidate import Candidate, candidate_metrics, lock_mismatches, read_lock
from mlgate.gates.lockstatus import stale_stages
from mlgate.gates.policy_source import PolicySource
from mlgate.gates.predictions import Columns, read_predictions
from mlgate.plumbing import git
from mlgate.plumbing.dvc import DvcStatus
from mlgate.plumbing.dvccache import bytes_md5

if TYPE_CHECKING:  # numpy and the policy load while `dvc status` already runs
    from mlgate.gates.policy import Evidence, RepoState


def data_change_times(cand: Candidate, lock: DvcLock | None, deps: Sequence[str],
                      now: datetime, lock_file: str = "dvc.lock") -> dict[str, datetime]:
    """When each dependency last changed: the commit that first recorded its current md5
    in dvc.lock (one `git log`, one `git cat-file --batch`)."""
    if lock is None or not deps:
        return {}
    current: dict[str, str | None] = {}
    for dep in deps:
        entry = lock.dep(dep)
        current[dep] = entry.md5 if entry else None
    times: dict[str, datetime] = {}
    if cand.rev is None and cand.commit is not None:
        committed = git.RevReader(cand.commit, cwd=cand.root)(lock_file)
        head_lock = parse_dvc_lock(committed, lock_file) if committed else None
        for dep, md5 in current.items():
            head_entry = head_lock.dep(dep) if head_lock else None
            if head_entry is None or head_entry.md5 != md5:
                times[dep] = now  # changed in the working tree, not committed yet
    if cand.commit is None:
        return times
    history = git.commits_touching(lock_file, cwd=cand.root, rev=cand.commit)
    blobs = git.cat_files([f"{sha}:{lock_file}" for sha, _ in history], cwd=cand.root)
    for dep, md5 in current.items():
        if dep in times or md5 is None:
            continue
        since = None
        for (_, when), blob in zip(history, blobs, strict=True):
            entry = parse_dvc_lock(blob.data, lock_file).dep(dep) if blob else None
            if entry is None or entry.md5 != md5:
                break
            since = when
        if since is not None:
            times[dep] = datetime.fromtimestamp(since, UTC)
    return times


@dataclass(frozen=True)
class Gathered:
    """Every raw fact of one check, before the policy is applied."""

    policy: PolicySource
    candidate: Candidate
    metrics: dict[str, Any]
    metrics_error: str | None
    predictions: dict[str, Any] | None
    predictions_error: str | None
    repo: RepoState
    data_changed_at: dict[str, datetime]
    now: datetime
    lock_digest: str | None = None
    # the independent evaluation (gates.independent.Independent), when the policy's ref
    # declares one: the gates judge its numbers, not the candidate's files
    independent: Any = None

    def to_evidence(self, env: str | None = None, **more: Any) -> Evidence:
        """The pure evaluation's input; ``more`` adds registry facts (incumbents, ...).
        The predictions become arrays only when a gate (of ``env``, when given) reads them:
        numpy is not imported for a policy of thresholds."""
        from mlgate.gates.policy import Evidence, Predictions
        if self.independent is not None:
            return self._independent_evidence(**more)
        predictions, error = None, self.predictions_error
        declared = self.policy.model.predictions
        if self.predictions is not None and declared is not None:
            missing = [c for c in (declared.label, declared.score) if c not in self.predictions]
            if missing:
                error = f"{declared.path} has no column {missing[0]!r}"
            elif self.policy.model.reads_predictions(env):
                import numpy as np

                predictions = Predictions(
                    label=_numbers(self.predictions[declared.label], declared.path),
                    score=_numbers(self.predictions[declared.score], declared.path),
                    columns={name: np.asarray([v if v != "" else None for v in values],
                                              dtype=object)
                             for name, values in self.predictions.items()
                             if name not in (declared.label, declared.score)})
        return Evidence(now=self.now, metrics=self.metrics, metrics_error=self.metrics_error,
                     predictions=predictions, predictions_error=error, repo=self.repo,
                     data_changed_at=self.data_changed_at,
                     candidate_commit=self.candidate.commit, **more)


    def _independent_evidence(self, **more: Any) -> Evidence:
        """The candidate as the independent evaluation saw it: its metrics on the holdout,
        and its holdout scores as the predictions that confidence and slices gates read."""
        import numpy as np

        from mlgate.gates.policy import Evidence, Predictions

        found = self.independent
        columns = {c: np.asarray(v, dtype=object) for c, v in found.slices.items()}
        predictions = Predictions(label=found.labels, score=found.candidate.scores,
                                  columns=columns, task=found.pinned.evaluation.task)
        return Evidence(now=self.now, metrics=found.candidate.metrics, metrics_error=None,
                        predictions=predictions, predictions_error=None, repo=self.repo,
                        data_changed_at=self.data_changed_at,
                        candidate_commit=self.candidate.commit, independent=found,
                        **more)


def gather(cand: Candidate, policy: PolicySource, *, now: datetime | None = None,
           every_stage: DvcStatus | None = None,
           predictions: tuple[Columns | None, str | None] | None = None,
           recomputed: tuple[dict[str, Any], str | None] | None = None) -> Gathered:
    """Everything the gates may need about ``cand``, judged by ``policy``'s model.
    ``every_stage``: a `dvc status` of the whole pipeline that the caller started early,
    read for the model's stages (else one of those stages is started here).
    ``predictions``: what :func:`read_predictions` gave the caller (else it is read here);
    ``recomputed``: the recomputed metrics, or why there are none (else the candidate's files
    are read, as a rollback and a retirement record them)."""
    now = now or datetime.now(UTC)
    root, rev = cand.root, cand.rev
    model = policy.model
    dvc_yaml = read_dvc_yaml(cand.read, model)
    stages = model_stages(model, dvc_yaml)
    status = None if rev is not None else every_stage or DvcStatus(root, stages)
    try:
        lock = read_lock(cand, model)
        metrics, metrics_error = recomputed or candidate_metrics(model, cand)
        columns, predictions_error = predictions or read_predictions(model, cand, lock)
        mismatches = lock_mismatches(model, cand, lock)
        dirty = git.dirty_paths(cwd=root) if rev is None else []
        changed_at = data_change_times(cand, lock, data_dependencies(model, dvc_yaml), now,
                                       model.lock_file)
        if status:
            dvc_clean, dvc_changes = status.result(stages if status is every_stage else None)
        else:  # a commit that is not checked out: what `dvc status` would say of it
            assert cand.commit is not None
            stale = stale_stages(root, cand.commit, cand.read, dvc_yaml, lock, stages)
            dvc_clean, dvc_changes = not stale, tuple(stale)
    finally:
        if status:
            status.cancel()
    lock_raw = cand.read(model.lock_file)
    return Gathered(
        policy=policy, candidate=cand, metrics=metrics, metrics_error=metrics_error,
        predictions=columns, predictions_error=predictions_error,
        repo=_repo_state(dirty, dvc_clean, dvc_changes, mismatches),
        data_changed_at=changed_at, now=now,
        lock_digest=None if lock_raw is None else bytes_md5(lock_raw),
    )


def _numbers(values: Sequence[Any], path: str) -> Any:
    import numpy as np

    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise MlgateError("expected numbers in the label and score columns", path=path,
                          hint="labels are 0/1 and scores probabilities") from None


def _repo_state(dirty: Sequence[str], dvc_clean: bool, dvc_changes: Sequence[str],
                mismatches: Sequence[str]) -> RepoState:
    from mlgate.gates.policy import RepoState

    return RepoState(not dirty, tuple(dirty), dvc_clean, tuple(dvc_changes), tuple(mismatches))
