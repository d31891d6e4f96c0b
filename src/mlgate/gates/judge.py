"""The one judging path: `check`, `report`, `promote` and `rollback` all judge here.

A candidate is judged in one order, whoever asks: the environment's policy (for a
promotion, with the gates it always needs: :func:`with_required_gates`), the metrics and
predictions recomputed by re-running the stages that write them
(:mod:`mlgate.gates.recompute`, while `dvc status` runs; never the committed files), the
gates computed from the predictions alone (a 1,000-resample bootstrap, slices), every
other fact gathered, the registry's facts added (incumbents, the
history of each environment, the candidate's version), and the pure
:func:`mlgate.gates.policy.evaluate`. Evidence only a promotion has (who approved it, the
DVC remote's answer) is passed in; a caller that has none gets the same rows, judged
without it. So the three commands cannot disagree on a candidate: a test holds their gate
rows equal.

A promotion that lost a push race judges again against the winner's registry; what it
learnt of the candidate itself (a fixed commit, or the working tree, in one process) does
not change, so its retries reuse it (:class:`Remembered`): the re-run, `dvc status` and
the remote's answer are had once, and only the registry's facts and the pure policy are
had again. Twenty promotions landing one after another then cost one judging each.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgate.config.declarations import read_dvc_yaml
from mlgate.config.model import Model, NoRegressionGate, ReproducibleGate
from mlgate.errors import CommandFailed, MlgateError, NotFound
from mlgate.gates.recompute import recompute
from mlgate.plumbing.dvc import DvcStatus
from mlgate.registry.state import ModelState, read_model

if TYPE_CHECKING:  # facts and the policy load while `dvc status` already runs
    from mlgate.config.dvcfiles import DvcLock
    from mlgate.gates import facts
    from mlgate.gates.candidate import Candidate, RemoteAtRev
    from mlgate.gates.independent import Independent
    from mlgate.gates.policy import Action, Approvals, Decision, GateResult
    from mlgate.gates.policy_source import PolicySource
    from mlgate.gates.predictions import Columns

PREDICTION_GATES = ("confidence", "slices")
# Judged when a version is promoted, not before: a pull request's head cannot have soaked
# in staging, been approved for production, or been pushed to the DVC remote yet.
AT_PROMOTION = ("requires", "approval", "remote")


@dataclass(frozen=True)
class Judged:
    """A decision with the facts it was made on."""

    decision: Decision
    gathered: facts.Gathered


@dataclass
class Remembered:
    """The candidate's facts from a promotion's first attempt, for its retries: everything
    :func:`judge_each` gathers before the registry's facts, and the remote's row."""

    gathered: facts.Gathered | None = None
    early_rows: dict[str, dict[int | None, GateResult]] = field(default_factory=dict)
    recomputed: Any = None  # mlgate.gates.recompute.Recomputed
    remote: GateResult | None = None

    @property
    def known(self) -> bool:
        return self.gathered is not None


def start(root: Path, rev: str | None) -> DvcStatus | None:
    """`dvc status` of the whole pipeline, started now so that it runs while the caller
    reads the rest (it takes most of the time). None for a commit that is not checked
    out (``rev``): its status is worked out from git (:mod:`mlgate.gates.lockstatus`)."""
    return DvcStatus(root, ()) if rev is None else None


def check(root: Path, name: str, env: str, *, rev: str | None, policy_ref: str | None,
          now: datetime) -> Judged:
    """`mlgate check`: the candidate (the working tree, or ``rev``) judged by the policy
    at ``policy_ref`` (else its own)."""
    early = start(root, rev)
    try:
        from mlgate.gates.candidate import open_candidate
        from mlgate.gates.policy_source import check_environment, load_policy

        cand = open_candidate(root, rev)
        source = load_policy(name, cand, policy_ref, env=env)
        check_environment(source.model, env)
        state = read_model(source.model.address, cwd=root)
    except BaseException:
        if early is not None:
            early.cancel()
        raise
    return judge(cand, source, env, state=state, now=now, early=early)


def judge(cand: Candidate, source: PolicySource, env: str, *,
          state: ModelState, now: datetime, early: DvcStatus | None = None,
          approvals: Approvals | None = None, remote: RemoteCheck | None = None,
          action: Action = "promote", promotion: bool = False,
          remembered: Remembered | None = None) -> Judged:
    """``cand`` judged by ``source``'s policy for ``env``. ``early`` is :func:`start`'s
    status, which this consumes; ``approvals`` and ``remote`` are a promotion's own
    evidence (without them the approval row fails and there is no remote row). A
    ``promotion`` also needs what every promotion needs (:func:`with_required_gates`);
    `check` and `report` show the declared gates only. ``remembered``: a retry's
    candidate facts, filled by its first attempt."""
    return judge_each(cand, source, (env,), state=state, now=now, early=early,
                      approvals=approvals, remote=remote, action=action,
                      promotion=promotion, remembered=remembered)[0]


def judge_each(cand: Candidate, source: PolicySource, envs: Sequence[str], *,
               state: ModelState, now: datetime, early: DvcStatus | None = None,
               approvals: Approvals | None = None, remote: RemoteCheck | None = None,
               action: Action = "promote", promotion: bool = False,
               remembered: Remembered | None = None) -> tuple[Judged, ...]:
    """:func:`judge` for each of ``envs``, in order, from facts gathered once."""
    from mlgate.gates import facts
    from mlgate.gates.candidate import read_lock
    from mlgate.gates.predictions import read_predictions, recomputed_predictions

    model = source.model
    if promotion:
        for env in envs:
            model = with_required_gates(model, env)
    source = dataclasses.replace(source, model=model)
    if remembered is not None and remembered.known:
        for started in (early, remote):
            if started is not None:
                started.cancel()
        assert remembered.gathered is not None
        gathered = dataclasses.replace(remembered.gathered, now=now)
        if gathered.independent is not None:  # the incumbents it is compared with moved
            gathered = dataclasses.replace(
                gathered, independent=independent_evaluation(cand, source, envs, state))
        return _decide(cand, model, envs, gathered, remembered.early_rows,
                       remembered.recomputed, remembered.remote, state=state,
                       approvals=approvals, action=action)
    recomputed = None
    found = None
    try:
        lock = read_lock(cand, model)
        if action == "promote":  # scored first: bad input ends the run before the re-run
            found = independent_evaluation(cand, source, envs, state)
        early_rows: dict[str, dict[int | None, GateResult]] = {env: {} for env in envs}
        if action == "promote":  # a rollback brings back what was judged when promoted
            from concurrent.futures import ThreadPoolExecutor

            # the bootstrap and slices are judged on the committed predictions while the
            # re-run runs, and kept when the re-run writes the same bytes
            with ThreadPoolExecutor(max_workers=1) as pool:
                rerun = pool.submit(recompute, cand, model, read_dvc_yaml(cand.read, model), lock)
                guesses = {env: _on_committed(cand, source, env, lock, now) for env in envs}
                recomputed = rerun.result()
            predictions = recomputed_predictions(model, recomputed.predictions,
                                                 recomputed.error)
            for env in envs:
                guess, guessed_rows = guesses[env]
                early_rows[env] = (guessed_rows
                                   if guess is not None and guess == recomputed.predictions
                                   else judge_predictions(cand, source, env, predictions, now))
        else:
            predictions = read_predictions(model, cand, lock)
        gathered = facts.gather(
            cand, source, now=now, every_stage=early, predictions=predictions,
            recomputed=None if recomputed is None else (recomputed.metrics or {},
                                                      recomputed.error))
        if found is not None:
            gathered = dataclasses.replace(gathered, independent=found)
            early_rows = {env: {} for env in envs}  # judged on the holdout's scores instead
    finally:
        if early is not None:
            early.cancel()
    remote_result = remote_row(remote) if remote is not None else None
    if remembered is not None:
        remembered.gathered, remembered.early_rows = gathered, early_rows
        remembered.recomputed, remembered.remote = recomputed, remote_result
    return _decide(cand, model, envs, gathered, early_rows, recomputed, remote_result,
                   state=state, approvals=approvals, action=action)


def _decide(cand: Candidate, model: Model, envs: Sequence[str],
            gathered: facts.Gathered, early_rows: dict[str, dict[int | None, GateResult]],
            recomputed: Any, remote_result: GateResult | None, *, state: ModelState,
            approvals: Approvals | None, action: Action) -> tuple[Judged, ...]:
    """The candidate's facts with the registry's, through the pure policy, per env."""
    from mlgate.gates import policy

    version = state.version_of(cand.commit) if cand.commit else None
    registry = registry_facts(state, model)
    out = []
    for env in envs:
        judged = gathered.to_evidence(env, candidate_version=version, approvals=approvals,
                                      **registry)
        if early_rows[env]:
            judged = dataclasses.replace(judged, predictions=None)
        decision = policy.evaluate(model, env, judged, action=action)
        results = tuple(early_rows[env].get(r.index, r) if r.kind in PREDICTION_GATES else r
                        for r in decision.results)
        if recomputed is not None:
            results = (recomputed.row, *results)
        if remote_result is not None:
            results = (*results, remote_result)
        decision = dataclasses.replace(decision, results=results,
                                       passed=all(r.passed for r in results))
        out.append(Judged(decision, gathered))
    return tuple(out)


def independent_evaluation(cand: Candidate, source: PolicySource,
                           envs: Sequence[str], state: ModelState) -> Independent | None:
    """The candidate and the incumbents it is compared with, scored by the evaluation that
    the policy's ref declares (the default branch when the policy is the candidate's own);
    None when it declares none."""
    from mlgate.gates import independent
    from mlgate.plumbing import git

    if source.floor is not None:
        return None  # a new model: nothing reviewed says how to evaluate it
    if source.commit is not None and source.ref != cand.label:
        pinned = independent.pin(cand.root, source.model.name,
                                 git.Ref(source.ref, source.commit))
    else:
        pinned = independent.find(cand.root, source.model.name, None)
    if pinned is None:
        return None
    against: list[str] = []
    for env in envs:
        found = source.model.environment(env)
        for gate in found.gates if found else ():
            if isinstance(gate, NoRegressionGate):
                wanted = gate.against or env
                if wanted not in against:
                    against.append(wanted)
    return independent.run(cand, pinned, state, against)


def with_required_gates(model: Model, env: str) -> Model:
    """A promotion always needs a reproducible candidate, declared or not."""
    envs = []
    for e in model.environments:
        if e.name == env and not any(isinstance(g, ReproducibleGate) for g in e.gates):
            required = ReproducibleGate(kind="reproducible", label=None, index=-1)
            e = dataclasses.replace(e, gates=(required, *e.gates))
        envs.append(e)
    return dataclasses.replace(model, environments=tuple(envs))


def judge_predictions(cand: Candidate, source: PolicySource, env: str,
                      predictions: tuple[Columns | None, str | None], now: datetime
                      ) -> dict[int | None, GateResult]:
    """``env``'s gates computed from ``predictions`` alone, by gate index. They depend on
    nothing `dvc status` reports, so they are judged while it runs."""
    from mlgate.gates import facts, policy

    model = source.model
    found = model.environment(env)
    assert found is not None  # checked by policy_source.check_environment
    slow = tuple(g for g in found.gates if g.kind in PREDICTION_GATES)
    if not slow:
        return {}
    only_slow = dataclasses.replace(model, environments=tuple(
        dataclasses.replace(e, gates=slow, requires=None, approval=None) if e.name == env
        else e for e in model.environments))
    columns, error = predictions
    provisional = facts.Gathered(
        policy=source, candidate=cand, metrics={}, metrics_error=None, predictions=columns,
        predictions_error=error, repo=policy.RepoState(clean=True), data_changed_at={},
        now=now)
    return {r.index: r for r in policy.evaluate(only_slow, env, provisional.to_evidence()).results}


def _on_committed(cand: Candidate, source: PolicySource, env: str,
                  lock: DvcLock | None, now: datetime
                  ) -> tuple[bytes | None, dict[int | None, GateResult]]:
    """The committed predictions' bytes and the rows judged on them, when ``env`` has gates
    on the predictions; else (None, {}). A file that does not read is no guess: the
    recomputed one is judged instead."""
    from mlgate.gates.predictions import predictions_bytes, read_table_columns, slice_columns

    model = source.model
    found = model.environment(env)
    p = model.predictions
    if p is None or found is None or not any(g.kind in PREDICTION_GATES for g in found.gates):
        return None, {}
    raw, _ = predictions_bytes(model, cand, lock)
    if raw is None:
        return None, {}
    try:
        columns = read_table_columns(raw, p.path, [p.label, p.score, *slice_columns(model)])
        return raw, judge_predictions(cand, source, env, (columns, None), now)
    except MlgateError:
        return None, {}


def registry_facts(state: ModelState, model: Model) -> dict[str, Any]:
    """What the registry says about each of ``model``'s environments: what serves it now
    (with the metrics its record holds) and every stay there, for the policy."""
    from mlgate.gates.policy import Assignment, Incumbent

    incumbents: dict[str, Incumbent | None] = {}
    history: dict[str, list[Assignment]] = {}
    for env in model.environment_names:
        current = state.current(env)
        record = current.record if current else None
        metrics = (record or {}).get("predicate", {}).get("metrics") or {}
        incumbents[env] = (Incumbent(current.version or current.commit[:12], metrics)
                           if current else None)
        history[env] = [Assignment(version=s.version or "", since=s.since, commit=s.commit,
                                   until=s.until)
                        for s in state.timeline(env)]
    return {"incumbents": incumbents, "environment_history": history}


@dataclass
class RemoteCheck:
    """Whether the DVC remote holds what a deploy will pull: ``status`` is `dvc status
    --cloud` of the working tree, or the query of a commit's objects; ``fix`` says how to
    put what is missing there."""

    status: DvcStatus | RemoteAtRev
    fix: str

    def cancel(self) -> None:
        self.status.cancel()


def remote_row(check: RemoteCheck) -> GateResult:
    """The "in DVC remote" row."""
    from mlgate.gates.policy import GateResult

    expected = "artifact and data in the default DVC remote"
    try:
        in_sync, changes = check.status.result()
    except (CommandFailed, NotFound) as exc:  # DVC failed, or there is no dvc.lock to ask for
        why = exc.summary if isinstance(exc, CommandFailed) else exc.message
        return GateResult("in DVC remote", "remote", "unknown", expected, False,
                          f"cannot compare with the DVC remote: {why}")
    if in_sync:
        return GateResult("in DVC remote", "remote", "present", expected, True,
                          "every output of the model's stages is in the remote")
    shown = ", ".join(changes[:5]) + (f" and {len(changes) - 5} more" if len(changes) > 5 else "")
    return GateResult("in DVC remote", "remote", "missing", expected, False,
                      f"not in the remote: {shown}; {check.fix}")
