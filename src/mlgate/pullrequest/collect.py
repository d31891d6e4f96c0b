"""Gather everything a pull request's report shows, read-only, then evaluate the gates.

The head is the working tree (what CI checked out and reproduced); the base is a ref,
read through git plumbing and the DVC cache, never checked out. The gates come from
the base's policy, so that a change cannot weaken what judges it; every environment's are
judged, from facts gathered once, and the first environment's (where a merge promotes to)
decide.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgate.config.declarations import (
    PIPELINES_DIR,
    declaration_paths,
    read_dvc_lock,
    read_dvc_yaml,
)
from mlgate.config.dvcfiles import DvcLock
from mlgate.config.imports import ImportSource, import_sources
from mlgate.config.metricsfile import parse_metrics
from mlgate.config.model import Model
from mlgate.config.stages import data_dependencies, model_stages
from mlgate.errors import InvalidFile, MlgateError, NotFound
from mlgate.gates import facts, judge
from mlgate.gates.candidate import open_candidate, read_lock
from mlgate.gates.judge import AT_PROMOTION
from mlgate.gates.policy_source import PolicySource, check_environment, load_policy
from mlgate.plumbing import git
from mlgate.plumbing.dvc import DvcStatus
from mlgate.pullrequest.compare import (
    MetricRow,
    ValueChange,
    direction_of,
    flatten,
    metric_rows,
    moved,
    numeric_names,
)
from mlgate.pullrequest.datadeps import DepChange, dependency_changes
from mlgate.pullrequest.independent_view import EvaluationView
from mlgate.pullrequest.independent_view import view as evaluation_view
from mlgate.pullrequest.params import params_changes
from mlgate.pullrequest.rewiring import Rewiring, rewirings
from mlgate.registry.state import ModelState, read_model

if TYPE_CHECKING:
    from mlgate.gates.policy import Decision, GateResult

DEFAULT_BASES = ("refs/remotes/origin/main", "refs/heads/main")


@dataclass(frozen=True)
class Revision:
    label: str  # the ref as given, or "working tree"
    commit: str | None


@dataclass(frozen=True)
class Serving:
    environment: str
    version: str | None
    commit: str
    tag: str
    since: datetime
    metrics_from: str  # "git" (its commit's metrics files) or "record" (its tag's record)


@dataclass(frozen=True)
class EnvironmentGates:
    """One environment's gates for the change: those judged now, and those only a
    promotion can check (soak time, approvals, the DVC remote)."""

    environment: str
    decision: Decision
    decides: bool  # its verdict is the report's (the environment a merge promotes into)

    @property
    def judged(self) -> tuple[GateResult, ...]:
        return tuple(r for r in self.decision.results if r.kind not in AT_PROMOTION)

    @property
    def at_promotion(self) -> tuple[GateResult, ...]:
        return tuple(r for r in self.decision.results if r.kind in AT_PROMOTION)

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.judged)

    @property
    def failed(self) -> tuple[GateResult, ...]:
        return tuple(r for r in self.judged if not r.passed)


@dataclass(frozen=True)
class Report:
    model: str
    environment: str  # the one whose deployed version the metrics are compared with
    base: Revision
    head: Revision
    head_dirty: bool
    policy: PolicySource
    new_model: bool
    gates: tuple[EnvironmentGates, ...]  # in declaration order; the first decides
    params: tuple[ValueChange, ...]
    deps: tuple[DepChange, ...]
    metrics: tuple[MetricRow, ...]  # the key metrics
    moved: tuple[MetricRow, ...]  # every other metric that moved (compare.moved)
    metrics_error: str | None  # why the head has no metrics
    incumbent: Serving | None
    sensitive: tuple[str, ...]  # changed files that decide promotions
    notes: tuple[str, ...]
    rewired: tuple[Rewiring, ...] = ()  # changed stages that write what the gates judge
    # the independent evaluation (pullrequest.evaluation), None when none is declared
    evaluation: EvaluationView | None = None
    # data brought by `dvc import`/`import-url`: where it comes from, changed or not
    imports: tuple[ImportSource, ...] = ()

    @property
    def deciding(self) -> EnvironmentGates:
        return next(g for g in self.gates if g.decides)

    @property
    def passed(self) -> bool:
        """The verdict of the environment a merge promotes into; the others are reported."""
        return self.deciding.passed


def default_base(root: Path) -> str:
    """The first of :data:`DEFAULT_BASES` that exists, fully qualified as they all are."""
    for ref in DEFAULT_BASES:
        try:
            return git.resolve_ref(ref, cwd=root).name
        except NotFound:
            continue
    raise MlgateError("no base to compare with: neither origin/main nor main exists here",
                      hint="name the branch the pull request targets with --base REF")


def only_model(root: Path) -> str:
    names = [p.stem for p in declaration_paths(root)]
    if len(names) == 1:
        return names[0]
    if not names:
        raise MlgateError(f"no model is declared in {PIPELINES_DIR}/",
                          hint="declare one in pipelines/<model>.yaml (`mlgate init`)")
    raise MlgateError(f"{len(names)} models are declared: name the one to report on",
                      hint=f"`mlgate report MODEL`, with MODEL one of {', '.join(names)}")


def build(root: Path, name: str | None, base_ref: str | None, env: str | None,
          *, now: datetime | None = None) -> Report:
    # `dvc status` takes most of the time: it runs while everything else is read
    early = judge.start(root, None)
    try:
        return _build(root, name, base_ref, env, now or datetime.now(UTC), early)
    finally:
        if early is not None:
            early.cancel()


def _build(root: Path, name: str | None, base_ref: str | None, env: str | None,
           now: datetime, early: DvcStatus | None) -> Report:
    base_ref = base_ref or default_base(root)
    base_commit = git.resolve_ref(base_ref, cwd=root).commit
    name = name or only_model(root)
    base = git.RevReader(base_commit, cwd=root)
    cand = open_candidate(root, None)
    new_model = base(f"{PIPELINES_DIR}/{name}.yaml") is None
    source = load_policy(name, cand, base_ref, env=env)
    model = source.model
    if env is not None:
        check_environment(model, env)
    # Every environment is judged; the first, which a merge promotes into, decides.
    # `--env` judges that one alone, and compares with what it serves.
    envs = (env,) if env else model.environment_names
    env = env or model.environment_names[-1]
    head_dvc = read_dvc_yaml(cand.read, model)
    base_dvc = _at_base(lambda read: read_dvc_yaml(read, model), base)
    head_lock = read_lock(cand, model)
    base_lock = _at_base(lambda read: read_dvc_lock(read, model), base)
    stages = _union(model_stages(model, head_dvc), model_stages(model, base_dvc))
    params = params_changes(cand.read, base, base_ref, stages, head_dvc, base_dvc)
    deps = [d for d in dependency_changes(root, head_lock, base_lock, stages, head_dvc, base)
            if d.path != model.artifact]  # the model itself: what the change made, not data
    state = read_model(model.address, cwd=root)
    incumbent, incumbent_metrics = incumbent_of(root, model, state, env)
    base_metrics, missing = metrics_at(model, base)
    sensitive = sensitive_paths(changed_paths(root, base_commit))
    rewired = rewirings(model, base_dvc, head_dvc, base, cand.read)
    judged = judge.judge_each(cand, source, envs, state=state, now=now, early=early)
    gathered = judged[0].gathered
    gates = tuple(EnvironmentGates(e, j.decision, decides=i == 0)
                  for i, (e, j) in enumerate(zip(envs, judged, strict=True)))

    head_flat = flatten(gathered.metrics)
    base_flat, inc_flat = flatten(base_metrics), flatten(incumbent_metrics)
    direction = direction_of(model.metrics)
    key = list(model.key_metrics) or [n for n in numeric_names(head_flat, base_flat)
                                      if "." not in n]
    others = [n for n in numeric_names(head_flat, base_flat, inc_flat) if n not in key]
    notes = _notes(name, model, gathered, base_ref, head_lock, base_lock,
                   missing if not new_model else [])
    return Report(
        model=name, environment=env, base=Revision(base_ref, base_commit),
        head=Revision("working tree", cand.commit), head_dirty=not gathered.repo.clean,
        policy=source, new_model=new_model, gates=gates, params=tuple(params),
        deps=tuple(deps),
        metrics=tuple(metric_rows(key, head_flat, base_flat, inc_flat, direction)),
        moved=tuple(moved(metric_rows(others, head_flat, base_flat, inc_flat, direction))),
        metrics_error=gathered.metrics_error, incumbent=incumbent,
        sensitive=tuple(sensitive), notes=tuple(notes), rewired=tuple(rewired),
        evaluation=evaluation_view(gathered.independent, [j.decision for j in judged],
                                   gathered.metrics, env),
        imports=tuple(import_sources(cand.read, data_dependencies(model, head_dvc))))


def _notes(name: str, model: Model, gathered: facts.Gathered, base_ref: str,
           head_lock: DvcLock | None, base_lock: DvcLock | None, missing: list[str]
           ) -> list[str]:
    """What the reader should know, and what to run when something is missing."""
    notes = []
    run = f"`mlgate run {name}`"
    if head_lock is None:
        notes.append(f"The working tree has no dvc.lock: run {run} and commit dvc.lock.")
    elif not gathered.repo.dvc_clean:
        changes = "; ".join(gathered.repo.dvc_changes) or "dvc status is not clean"
        notes.append(f"The pipeline is not up to date with its inputs ({changes}): the "
                     f"metrics shown may be stale. Run {run}, then commit dvc.lock and "
                     f"{', '.join(model.metrics.files)}.")
    if base_lock is None:
        notes.append(f"`{base_ref}` has no dvc.lock: every dependency counts as new.")
    if missing:
        notes.append(f"`{base_ref}` has no {' or '.join(missing)}: no base metrics to compare "
                     "with.")
    return notes


def _at_base(read: Any, base: git.RevReader) -> Any:
    """A DVC file at the base; one that does not parse there counts as absent (git failing
    to read it does not)."""
    try:
        return read(base)
    except InvalidFile:
        return None


def _union(*lists: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(item for items in lists for item in items))


def metrics_at(model: Model, read: git.RevReader) -> tuple[dict[str, Any], list[str]]:
    """The model's metrics at a commit, and the metrics files missing there."""
    merged: dict[str, Any] = {}
    missing = []
    for path in model.metrics.files:
        raw = read(path)
        if raw is None:
            missing.append(path)
            continue
        try:
            merged.update(parse_metrics(raw, f"{read.commit[:7]}:{path}"))
        except InvalidFile:
            missing.append(path)
    return merged, missing


def incumbent_of(root: Path, model: Model, state: ModelState, env: str
                 ) -> tuple[Serving | None, dict[str, Any]]:
    """What ``env`` serves now, with its metrics: its commit's metrics files through git,
    else (a shallow clone without that commit) the metrics its deployment record holds."""
    stay = state.current(env)
    if stay is None:
        return None, {}
    metrics, missing = metrics_at(model, git.RevReader(stay.commit, cwd=root))
    origin = "git"
    if missing:
        recorded = (stay.record or {}).get("predicate", {}).get("metrics")
        metrics, origin = (recorded if isinstance(recorded, dict) else {}), "record"
    return Serving(env, stay.version, stay.commit, stay.event.name, stay.since, origin), metrics


def changed_paths(root: Path, base_commit: str) -> list[str]:
    """Files this change touches: the working tree against its merge base with the base,
    as the pull request's diff shows them, and files git does not track yet."""
    point = git.git(["merge-base", base_commit, "HEAD"], cwd=root, check=False).strip()
    diff = git.git(["diff", "--name-only", "--no-renames", "-z", point or base_commit],
                   cwd=root)
    untracked = git.git(["ls-files", "-z", "--others", "--exclude-standard"], cwd=root)
    return sorted({p for p in (*diff.split("\0"), *untracked.split("\0")) if p})


CODEOWNERS = ("CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS")


def sensitive_paths(paths: Sequence[str]) -> list[str]:
    """Policies, workflows and CODEOWNERS: what decides whether models are promoted."""
    return [p for p in paths
            if (p.startswith(f"{PIPELINES_DIR}/") and p.count("/") == 1
                and p.endswith((".yaml", ".yml")))
            or p.startswith(".github/workflows/") or p in CODEOWNERS]
