"""Gather, read-only, everything a gate may look at.

The candidate is either the working tree (the default: HEAD plus uncommitted changes) or
a commit (`--rev`), read through git plumbing and the local DVC cache, never checked out.
`dvc status` is the slow part, so it starts first and runs while the rest is read.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgate.config import repo_policy
from mlgate.config.declarations import (
    PIPELINES_DIR,
    Reader,
    cross_check,
    parse_declaration,
    read_dvc_lock,
    read_dvc_yaml,
    workspace_reader,
)
from mlgate.config.dvcfiles import DvcLock, DvcYaml, LockEntry, parse_dvc_lock
from mlgate.config.floors import judged_by_floor, model_shortfalls
from mlgate.config.metricsfile import parse_metrics
from mlgate.config.model import Model
from mlgate.config.repo_policy import RepoPolicy
from mlgate.config.stages import data_dependencies, gated_outputs, model_stages
from mlgate.config.yamlio import load_bytes
from mlgate.errors import MlgateError, NotFound, suggest
from mlgate.gates.lockstatus import stale_stages
from mlgate.plumbing import git
from mlgate.plumbing.dvc import DvcStatus
from mlgate.plumbing.dvccache import bytes_md5, cached_file, dir_member, file_md5

if TYPE_CHECKING:  # numpy and the policy load while `dvc status` already runs
    from mlgate.gates.policy import Evidence, RepoState

@dataclass(frozen=True)
class Candidate:
    """Where the candidate's files come from."""

    root: Path
    read: Reader
    commit: str | None  # HEAD for the working tree; the resolved --rev otherwise
    rev: str | None  # as the user named it; None for the working tree

    @property
    def label(self) -> str:
        return self.rev or "working tree"


def candidate(root: Path, rev: str | None) -> Candidate:
    if rev is None:
        return Candidate(root, workspace_reader(root), git.head_commit(cwd=root), None)
    commit = git.resolve(rev, cwd=root)
    return Candidate(root, git.RevReader(commit, cwd=root), commit, rev)


@dataclass(frozen=True)
class PolicySource:
    """The declaration whose gates judge the candidate, and where it was read."""

    model: Model
    ref: str  # "working tree" or the ref given to --policy-ref
    commit: str | None
    blob: str | None  # git blob id of the declaration file (of the floor's, for a new model)
    path: str
    # how the candidate's own copy differs from the one applied: "changes", "deletes" or None
    candidate_change: str | None = None
    # a model the ref does not know: "new model: judged by the floor for risk tier ..."
    floor: str | None = None


def load_policy(name: str, cand: Candidate, policy_ref: str | None, *,
                env: str | None = None, new_model: bool = True) -> PolicySource:
    """The model declaration from ``policy_ref`` (via git) or from the candidate itself.

    From a ref, the repository policy there binds it too: a declaration weaker than its
    tier's floor is refused, and a model the ref does not know is judged by its tier's
    floor alone (with ``new_model``; without, it is refused)."""
    relpath = f"{PIPELINES_DIR}/{name}.yaml"
    cand_raw = cand.read(relpath)
    repo: RepoPolicy | None = None
    if policy_ref is None:
        if cand_raw is None:
            raise MlgateError(f"no model named {name!r}", path=relpath,
                              hint="declare it in pipelines/<model>.yaml (`mlgate validate`)")
        raw, ref, commit = cand_raw, cand.label, cand.commit
    else:
        # resolved fully qualified: a tag named like the base, made by the change's own
        # code, must not hand the change its own policy
        resolved = git.resolve_ref(policy_ref, cwd=cand.root)
        commit = resolved.commit
        # both in one `git cat-file`: the declaration and the floor that binds it
        own, floor = git.cat_files([f"{commit}:{relpath}",
                                    f"{commit}:{repo_policy.POLICY_FILE}"], cwd=cand.root)
        found = None if own is None else own.data
        if floor is not None:
            repo = repo_policy.parse(floor.data, f"{policy_ref}:{repo_policy.POLICY_FILE}",
                                     resolved.name)
        if found is None:
            if not new_model:
                raise MlgateError(f"{relpath} does not exist at {policy_ref}",
                                  hint=f"only a model declared at {policy_ref} can be promoted: "
                                       "merge its declaration there first")
            return _judged_by_floor(name, cand, cand_raw, policy_ref, commit, repo, env)
        raw, ref = found, policy_ref
    shown = relpath if policy_ref is None else f"{policy_ref}:{relpath}"
    model = _declaration(raw, shown, name, cand, own=policy_ref is None)
    if repo is not None:
        _check_floor(model, repo, shown)
    blob = git.blob_id(raw)
    change = None
    if policy_ref is not None and cand_raw != raw:
        change = "deletes" if cand_raw is None else "changes"
    return PolicySource(model, ref, commit, blob, relpath, change)


def _declaration(raw: bytes, shown: str, name: str, cand: Candidate, *, own: bool) -> Model:
    doc = load_bytes(raw, shown)
    model, problems = parse_declaration(doc, name)
    if model is not None and not problems:
        # a policy from another ref judges the candidate: a metric the candidate lacks is
        # that gate's failure (exit 1), not a fault in the declaration (exit 2)
        problems = cross_check(model, doc, read_dvc_yaml(cand.read, model), cand.read,
                               metric_names=own)
    if model is None or problems:
        raise MlgateError.from_problems(problems)
    return model


def _check_floor(model: Model, repo: RepoPolicy, shown: str) -> None:
    lacking = model_shortfalls(model, repo)
    if lacking:
        env, lines = next(iter(lacking.items()))
        raise MlgateError(
            f"{shown}: environment {env!r} is weaker than the floor for risk tier "
            f"{model.risk_tier} in {repo.source}: it lacks {'; '.join(lines)}",
            hint="raise the model's policy to its floor on the default branch (`mlgate "
                 "validate` lists what is missing)")


def _judged_by_floor(name: str, cand: Candidate, cand_raw: bytes | None, policy_ref: str,
                     commit: str, repo: RepoPolicy | None, env: str | None) -> PolicySource:
    """A model that ``policy_ref`` does not know (new, or renamed): the candidate's own
    declaration says what it is and its risk tier, and the floor of that tier at the ref
    says what it must pass. Never its own gates: nobody has reviewed them yet."""
    relpath = f"{PIPELINES_DIR}/{name}.yaml"
    if cand_raw is None:
        raise MlgateError(f"no model named {name!r}", path=relpath,
                          hint="declare it in pipelines/<model>.yaml (`mlgate validate`)")
    if repo is None:
        raise MlgateError(
            f"{relpath} does not exist at {policy_ref}, and there is no "
            f"{repo_policy.POLICY_FILE} there: nothing reviewed can judge a new model",
            hint=f"a new or renamed model is judged by the floor of its risk tier: add "
                 f"{repo_policy.POLICY_FILE} with `floors:` to {policy_ref} first")
    own = _declaration(cand_raw, relpath, name, cand, own=False)
    model = judged_by_floor(own, repo)
    wanted = env or (model.environment_names[-1] if model else None)
    if model is None or wanted not in model.environment_names:
        where = f"environment {wanted!r}" if model else "any of its environments"
        raise MlgateError(
            f"{name} is new at {policy_ref}, and the floor for risk tier {own.risk_tier} in "
            f"{repo.source} sets nothing for {where}: nothing reviewed can judge it",
            hint=f"add floors.{own.risk_tier}.every_environment (or .environments) to "
                 f"{repo_policy.POLICY_FILE} at {policy_ref}")
    return PolicySource(model, policy_ref, commit, repo.blob, repo_policy.POLICY_FILE,
                        floor=f"new model: judged by the floor for risk tier "
                              f"{own.risk_tier} at {policy_ref}")


class RemoteAtRev:
    """Whether the default DVC remote holds what a commit's dvc.lock records for a model
    (`dvc status --cloud` answers that for the working tree only): every output of the
    stages that make it, and every data dependency of theirs, down to each file of a
    directory. What git holds at the commit (metrics kept in git, a CSV committed with
    the code) needs no remote. Asked when :meth:`result` is called, through DVC's API."""

    def __init__(self, cand: Candidate, model: Model, dvc_yaml: DvcYaml | None) -> None:
        self.cand, self.model, self.dvc_yaml = cand, model, dvc_yaml

    def result(self) -> tuple[bool, tuple[str, ...]]:
        from mlgate.plumbing.dvc import missing_in_remote

        lock = read_lock(self.cand, self.model)
        if lock is None:
            raise NotFound(f"{self.model.lock_file} is missing at {self.cand.label}",
                           hint="run `dvc repro` and commit dvc.lock")
        wanted = remote_objects(self.cand, self.model, self.dvc_yaml, lock)
        missing = missing_in_remote(self.cand.root, {md5 for _, md5 in wanted})
        changes = []
        for path, md5 in wanted:
            if md5 not in missing:
                continue
            lacking = missing[md5]
            if not lacking:
                changes.append(f"{path} (md5 {md5[:8]})")
            else:
                shown = ", ".join(lacking[:3]) + (", ..." if len(lacking) > 3 else "")
                changes.append(f"{path} ({len(lacking)} of its files: {shown})")
        return (not changes, tuple(changes))

    def cancel(self) -> None:
        """Nothing runs before :meth:`result` (the same shape as
        :class:`mlgate.plumbing.dvc.DvcStatus`)."""


def remote_objects(cand: Candidate, model: Model, dvc_yaml: DvcYaml | None, lock: DvcLock
                   ) -> list[tuple[str, str]]:
    """(path, md5) of what the model's stages output and read as data, per ``lock``,
    that git does not hold at the candidate's commit; in dvc.lock's order."""
    stages = model_stages(model, dvc_yaml)
    entries = [entry for name, stage in lock.stages.items()
               if name.partition("@")[0] in stages for entry in stage.outs]
    for path in data_dependencies(model, dvc_yaml):
        dep = lock.dep(path)
        if dep is not None:
            entries.append(dep)
    local = [e for e in entries if e.md5 and "://" not in e.path
             and not Path(e.path).is_absolute()]  # an external dependency has no md5 here
    in_git = _held_by_git(cand, [e.path for e in local])
    wanted: list[tuple[str, str]] = []
    for entry in local:
        assert entry.md5 is not None
        if entry.path not in in_git and (entry.path, entry.md5) not in wanted:
            wanted.append((entry.path, entry.md5))
    return wanted


def _held_by_git(cand: Candidate, paths: Sequence[str]) -> set[str]:
    """Those of ``paths`` that git holds at the commit: a file, or a directory of files."""
    if not paths or cand.commit is None:
        return set()
    held = set()
    for _, path in git.ls_tree(cand.commit, paths, cwd=cand.root):
        held.add(path)
        held.update(path[:i] for i, char in enumerate(path) if char == "/")  # its folders
    return {p for p in paths if p.rstrip("/") in held}


def read_lock(cand: Candidate, model: Model | None = None) -> DvcLock | None:
    """The dvc.lock beside ``model``'s pipeline (the root's without one), as the candidate
    has it."""
    return read_dvc_lock(cand.read, model)


def lock_mismatches(model: Model, cand: Candidate, lock: DvcLock | None) -> list[str]:
    """Outputs whose bytes are not what dvc.lock recorded (e.g. a hand-edited metrics file)."""
    if lock is None:
        return ["dvc.lock (missing: run `dvc repro` and commit dvc.lock)"]
    found = []
    for path in gated_outputs(model):
        entry = lock.out(path) or _member_entry(cand, lock, path)
        if entry is not None and entry.md5 is None and lock.out(path) is None:
            found.append(f"{path} (its directory's listing is not in the DVC cache: run "
                         "`dvc pull`)")
            continue
        if entry is None or entry.md5 is None:
            found.append(f"{path} (not recorded in dvc.lock)")
            continue
        if cand.rev is None:
            actual = file_md5(cand.root / path)
        elif path in model.metrics.files and (raw := cand.read(path)) is not None:
            actual = bytes_md5(raw)  # metrics kept in git
        else:
            actual = entry.md5 if cached_file(cand.root, entry.md5).is_file() else None
        if actual is None:
            where = "in the working tree" if cand.rev is None else "in git or the DVC cache"
            found.append(f"{path} (missing {where})")
        elif actual != entry.md5:
            found.append(f"{path} (md5 {actual[:8]}, dvc.lock has {entry.md5[:8]})")
    return found


def _member_entry(cand: Candidate, lock: DvcLock, path: str) -> LockEntry | None:
    """``path`` inside a directory output of ``lock`` (DVCLive's `eval/metrics.json` in
    `eval`), as an entry of its own, its md5 from the directory's listing in the cache."""
    held = lock.holder(path)
    if held is None or held[1] is None or held[0].md5 is None:
        return None
    return LockEntry(path, dir_member(cand.root, held[0].md5, held[1]))


def cached_metrics_file(cand: Candidate, path: str, model: Model | None = None
                        ) -> bytes | None:
    """A metrics file that git does not hold at the candidate (:func:`cached_output`)."""
    return cached_output(cand, path, "the metrics file", model)


def cached_output(cand: Candidate, path: str, what: str, model: Model | None = None
                  ) -> bytes | None:
    """An output that git does not hold at the candidate: a DVC output (or a file in a
    directory output) read from the local cache at the md5 the dvc.lock of ``model``'s
    pipeline records. None when that dvc.lock does not name it; NotFound, with the command
    that brings it, when the cache lacks it. ``what`` names the file in that message."""
    lock = read_lock(cand, model)
    held = lock.holder(path) if lock is not None else None
    if held is None or held[0].md5 is None:
        return None
    entry, inside = held
    assert entry.md5 is not None
    md5 = entry.md5 if inside is None else dir_member(cand.root, entry.md5, inside)
    found = cached_file(cand.root, md5) if md5 else None
    if found is None or not found.is_file():
        where = entry.path if inside is None else f"{path} (in the output {entry.path})"
        raise NotFound(f"{what} {where} at {cand.label} is not in the local DVC "
                       "cache", hint="bring it with `dvc fetch --all-commits` (or `dvc pull` "
                                     "with that revision checked out); then run this again")
    return found.read_bytes()


def metrics_file_bytes(cand: Candidate, path: str, model: Model | None = None
                       ) -> bytes | None:
    """A metrics file as the candidate has it (:func:`output_bytes`)."""
    return output_bytes(cand, path, "the metrics file", model)


def output_bytes(cand: Candidate, path: str, what: str, model: Model | None = None
                 ) -> bytes | None:
    """A file as the candidate has it: in the working tree (where DVC checks its outputs
    out); at a revision, in git, else in the DVC cache (:func:`cached_output`); None when
    it has none."""
    raw = cand.read(path)
    if raw is None and cand.rev is not None:
        raw = cached_output(cand, path, what, model)
    return raw


def candidate_metrics(model: Model, cand: Candidate) -> tuple[dict[str, Any], str | None]:
    merged: dict[str, Any] = {}
    for path in model.metrics.files:
        raw = metrics_file_bytes(cand, path, model)
        if raw is None:
            return {}, (f"{path} is missing at {cand.label}: run the pipeline "
                        f"(`mlgate run {model.name}`)")
        merged.update(parse_metrics(raw, path))
    return merged, None


def predictions_bytes(model: Model, cand: Candidate, lock: DvcLock | None
                      ) -> tuple[bytes | None, str | None]:
    if model.predictions is None:
        return None, "the model declares no predictions file"
    path = model.predictions.path
    if cand.rev is None:
        try:
            return (cand.root / path).read_bytes(), None
        except FileNotFoundError:
            return None, f"{path} is missing: run the pipeline (`mlgate run {model.name}`)"
    entry = (lock.out(path) or _member_entry(cand, lock, path)) if lock else None
    if entry is None or entry.md5 is None:
        return None, f"{path} is not recorded in dvc.lock at {cand.label}"
    cached = cached_file(cand.root, entry.md5)
    if not cached.is_file():
        return None, f"{path} at {cand.label} is not in the local DVC cache: run `dvc pull`"
    return cached.read_bytes(), None


Columns = dict[str, Any]  # a column's name -> its values


def recomputed_predictions(model: Model, raw: bytes | None, error: str | None
                           ) -> tuple[Columns | None, str | None]:
    """The columns gates read from the predictions the re-run wrote (``raw``), or why there
    are none."""
    p = model.predictions
    if p is None:
        return None, "the model declares no predictions file"
    if raw is None:
        return None, error or f"the re-run did not write {p.path}"
    return read_table_columns(raw, p.path, [p.label, p.score, *slice_columns(model)]), None


def read_predictions(model: Model, cand: Candidate, lock: DvcLock | None
                     ) -> tuple[Columns | None, str | None]:
    """The predictions file's columns that gates read (label, score, every slice column),
    or None and why it could not be read."""
    raw, error = predictions_bytes(model, cand, lock)
    if raw is None or model.predictions is None:
        return None, error
    p = model.predictions
    return read_table_columns(raw, p.path, [p.label, p.score, *slice_columns(model)]), error


def read_table_columns(data: bytes, path: str, wanted: Sequence[str]) -> Columns:
    """Named columns of a CSV or Parquet file, as lists of values.

    CSV goes through the csv module: for an evaluation set it is ~20x faster than
    importing pyarrow and pandas, which would dominate `mlgate check`'s time."""
    hint = "the evaluation stage writes this file; re-run it"
    if path.endswith((".parquet", ".pq")):
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(io.BytesIO(data))
        except (pa.ArrowInvalid, OSError) as exc:
            raise MlgateError(f"cannot read predictions: {exc}", path=path, hint=hint) from None
        return {n: table.column(n).to_pylist() for n in wanted if n in table.column_names}
    try:
        rows = csv.reader(io.StringIO(data.decode("utf-8")))
        header = next(rows, [])
        found = [(name, header.index(name)) for name in wanted if name in header]
        columns: dict[str, list[str]] = {name: [] for name, _ in found}
        for line, row in enumerate(rows, start=2):
            if len(row) != len(header):
                raise MlgateError(f"expected {len(header)} fields, found {len(row)}",
                                  path=path, line=line, hint=hint)
            for name, index in found:
                columns[name].append(row[index])
    except (UnicodeDecodeError, csv.Error) as exc:
        raise MlgateError(f"cannot read predictions: {exc}", path=path, hint=hint) from None
    return columns


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


def slice_columns(model: Model) -> list[str]:
    columns: list[str] = []
    for env in model.environments:
        for gate in (*env.gates, *env.rollback.gates):
            column = getattr(gate, "column", None)
            if column and column not in columns:
                columns.append(column)
    return columns


def check_environment(model: Model, env: str) -> None:
    declared = model.environment_names
    if env in declared:
        return
    close = suggest(env, declared)
    tip = f"did you mean {close!r}? " if close else ""
    raise MlgateError(f"unknown environment {env!r} for model {model.name!r}",
                      hint=f"{tip}(declared: {', '.join(declared)})")


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
