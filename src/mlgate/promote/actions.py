"""The act step of promote (and later rollback, retire): decide, then write the registry.

One attempt reads the registry, gathers facts, evaluates, and on a pass writes tags and a
ledger record in one local transaction and, with --push, one atomic push. It returns
None when the push lost a race, so that the caller can fetch and judge again; any other
failed push is an error. Either way the local refs are first put back as they were.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from mlgate.config.declarations import read_dvc_yaml
from mlgate.config.model import Model, ReproducibleGate
from mlgate.errors import MlgateError
from mlgate.gates import facts
from mlgate.plumbing import git
from mlgate.plumbing.dvc import DvcStatus
from mlgate.promote.record import (
    ApprovalFile,
    artifact_digests,
    choose_version,
    predicate,
    read_approvals,
)
from mlgate.registry import ledger, publish
from mlgate.registry.state import ModelState, read_model
from mlgate.registry.tags import Action, TagName


@dataclass(frozen=True)
class Outcome:
    model: str
    environment: str
    action: str
    passed: bool
    version: str | None
    tags: tuple[str, ...]
    record: dict[str, Any] | None
    decision: Any
    pushed: bool
    dry_run: bool
    notes: tuple[str, ...] = ()


def with_required_gates(model: Model, env: str) -> Model:
    """A promotion always needs a reproducible candidate, declared or not."""
    envs = []
    for e in model.environments:
        if e.name == env and not any(isinstance(g, ReproducibleGate) for g in e.gates):
            required = ReproducibleGate(kind="reproducible", label=None, index=-1)
            e = dataclasses.replace(e, gates=(required, *e.gates))
        envs.append(e)
    return dataclasses.replace(model, environments=tuple(envs))


def registry_facts(state: ModelState, model: Model) -> dict[str, Any]:
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


def remote_row(status: DvcStatus | facts.RemoteAtRev, fix: str) -> Any:
    """The "in DVC remote" row: ``status`` is `dvc status --cloud` for the working tree,
    or the query of a commit's objects for --rev; ``fix`` says how to put them there."""
    from mlgate.gates.policy import GateResult

    expected = "artifact and data in the default DVC remote"
    try:
        in_sync, changes = status.result()
    except MlgateError as exc:
        first = exc.message.splitlines()[-1].strip()
        return GateResult("in DVC remote", "remote", "unknown", expected, False,
                          f"cannot compare with the DVC remote: {first}")
    if in_sync:
        return GateResult("in DVC remote", "remote", "present", expected, True,
                          "every output of the model's stages is in the remote")
    shown = ", ".join(changes[:5]) + (f" and {len(changes) - 5} more" if len(changes) > 5 else "")
    return GateResult("in DVC remote", "remote", "missing", expected, False,
                      f"not in the remote: {shown}; {fix}")


def promote(cand: facts.Candidate, source: facts.PolicySource, env: str, *,
            version: str | None, approvals_path: str | None, reason: str | None, push: bool,
            dry_run: bool, remote: str, now: datetime) -> Outcome | None:
    from mlgate.gates import policy

    root = cand.root
    model = with_required_gates(source.model, env)
    dvc_yaml = read_dvc_yaml(cand.read)
    approvals: ApprovalFile | None = None
    if approvals_path:  # bad input first, before any child process starts
        approvals = read_approvals(approvals_path, env)
    in_remote: DvcStatus | facts.RemoteAtRev | None
    if cand.rev is None:
        in_remote = DvcStatus(root, facts.model_stages(model, dvc_yaml), cloud=True)
        fix = "run `dvc push`"
    else:  # a commit that is not checked out: its dvc.lock says which objects to ask for
        in_remote = facts.RemoteAtRev(cand, model, dvc_yaml)
        fix = f"push them from a checkout of {cand.rev} (`dvc push` there)"
    try:
        state = read_model(model.name, cwd=root)
        gathered = facts.gather(cand, dataclasses.replace(source, model=model), now=now)
        assert cand.commit is not None
        chosen, is_new = choose_version(state, cand.commit, version)
        author = (approvals.author if approvals and approvals.author
                  else git.commit_author(cand.commit, cwd=root)[0])
        extra = registry_facts(state, model)
        decision = policy.evaluate(model, env, gathered.to_facts(
            env, candidate_version=chosen if not is_new else None,
            approvals=policy.Approvals(approvals.approvers if approvals else (), author),
            **extra))
        row = remote_row(in_remote, fix)
        in_remote = None
        decision = dataclasses.replace(decision, results=(*decision.results, row),
                                       passed=decision.passed and row.passed)
    finally:
        if in_remote is not None:
            in_remote.cancel()
    tags: list[tuple[TagName, str]] = []
    if is_new:
        tags.append((TagName(model.name, Action.REGISTER, version=chosen), cand.commit))
    tags.append((TagName(model.name, Action.ASSIGN, env=env, counter=state.next_counter()),
                 cand.commit))
    return conclude(gathered, decision, "promote", env, chosen, tags, approvals=approvals,
                    reason=reason, now=now, push=push, dry_run=dry_run, remote=remote)


def conclude(gathered: facts.Gathered, decision: Any, action: str, env: str,
             version: str | None, tags: list[tuple[TagName, str]], *,
             approvals: ApprovalFile | None, reason: str | None, now: datetime, push: bool,
             dry_run: bool, remote: str) -> Outcome | None:
    """The record of a decision (the tags only when it passed), then :func:`write`."""
    root = gathered.candidate.root
    model = gathered.policy.model
    lock = facts.read_lock(gathered.candidate)
    head = ledger.chain_head(model.name, env, cwd=root)
    written = [(str(name), commit) for name, commit in tags] if decision.passed else []
    recorded = action if decision.passed else "refused"
    sha256, md5 = artifact_digests(gathered, lock)
    record = ledger.statement(model.artifact, sha256, md5, predicate(
        gathered=gathered, lock=lock, action=recorded, env=env, version=version,
        decision=decision.to_dict(), seq=head.seq + 1, previous=head.previous,
        tags=[name for name, _ in written], approvals=approvals, reason=reason, now=now))
    outcome = Outcome(model.name, env, recorded, decision.passed, version,
                      tuple(name for name, _ in written), record, decision, False, dry_run)
    return write(outcome, written, root=root, push=push, remote=remote)


def previous_version(state: ModelState, env: str, current: str | None) -> str | None:
    """The last version that served ``env`` before the current one (and is not it)."""
    for stay in reversed(state.timeline(env)):
        if stay.version and stay.version != current and stay.version in state.versions():
            return stay.version
    return None


def reassign(cand: facts.Candidate, source: facts.PolicySource, env: str, *, action: str,
             to_version: str | None, reason: str, approvals_path: str | None, push: bool,
             dry_run: bool, remote: str, now: datetime) -> Outcome | None:
    """Rollback (assign an earlier version again) or retire (unassign): recorded like a
    promotion, with the environment's rollback gates (and approval, when the policy asks
    for one) and the version's objects in the DVC remote for a rollback. Both need a
    reason."""
    from mlgate.gates import policy

    if not reason.strip():
        raise MlgateError(f"a {action} needs a reason", hint="say why with --reason TEXT")
    root = cand.root
    model = source.model
    approvals = read_approvals(approvals_path, env) if approvals_path else None
    state = read_model(model.name, cwd=root)
    current = state.current(env)
    if current is None and (action == "retire" or not state.timeline(env)):
        # a rollback may bring back what a retirement took out; nothing else without a stay
        raise MlgateError(f"{model.name} is not deployed in {env}",
                          hint=f"`mlgate show {model.name}` lists what is where")
    counter = state.next_counter()
    if action == "retire":
        assert current is not None
        target_version, target_commit = current.version, current.commit
        # unassign every version GTO still counts as in env, so that both read it empty
        others = [c for c in state.assigned_commits(env) if c != target_commit]
        names = [(TagName(model.name, Action.UNASSIGN, env=env, counter=counter + i), c)
                 for i, c in enumerate([target_commit, *others])]
    else:
        serving = current.version if current else None
        target_version = (to_version.removeprefix("v") if to_version
                          else previous_version(state, env, serving))
        if target_version is None:
            raise MlgateError(f"no earlier version of {model.name} served {env}",
                              hint="name one with --to vX.Y.Z")
        registered = state.versions().get(target_version)
        if registered is None:
            known = ", ".join(f"v{v}" for v in state.versions()) or "none"
            raise MlgateError(f"v{target_version} is not a registered version of {model.name}",
                              hint=f"registered: {known}")
        if target_version == serving:
            raise MlgateError(f"v{target_version} is already what {env} serves",
                              hint="name another version with --to")
        target_commit = registered.commit
        names = [(TagName(model.name, Action.ASSIGN, env=env, counter=counter), target_commit)]
    target = facts.candidate(root, target_commit)
    gathered = facts.gather(target, dataclasses.replace(source, model=model), now=now)
    if action == "rollback":
        author = (approvals.author if approvals and approvals.author
                  else git.commit_author(target_commit, cwd=root)[0])
        decision = policy.evaluate(model, env, gathered.to_facts(
            env, candidate_version=target_version,
            approvals=policy.Approvals(approvals.approvers if approvals else (), author),
            **registry_facts(state, model)), action="rollback")
        # what a deploy will pull: never point an environment back at data nobody can get
        row = remote_row(facts.RemoteAtRev(target, model, read_dvc_yaml(target.read)),
                         f"push them from a checkout of v{target_version} (`dvc push` there)")
        decision = dataclasses.replace(decision, results=(*decision.results, row),
                                       passed=decision.passed and row.passed)
    else:
        decision = policy.Decision(model.name, env, (), True)
    return conclude(gathered, decision, action, env, target_version, names,
                    approvals=approvals, reason=reason, now=now, push=push, dry_run=dry_run,
                    remote=remote)


def write(outcome: Outcome, tags: list[tuple[str, str]], *, root: Path, push: bool,
          remote: str) -> Outcome | None:
    """Record the outcome: tags and ledger locally in one transaction, then (with push)
    remotely in one atomic push. A refusal is only recorded when pushing, so that the
    shared ledger, not a local one, holds it. Whatever stops the push, the local refs
    are put back as they were: None when it lost a race (fetch and judge again), an
    error when the remote refused it or could not be reached."""
    if outcome.dry_run or (not outcome.passed and not push):
        return outcome
    assert outcome.record is not None
    plan = publish.build([(outcome.record, tags)], cwd=root)
    publish.apply(plan, cwd=root)
    if not push:
        return outcome
    try:
        result = publish.push(plan.refspecs(), remote=remote, cwd=root)
    except BaseException:
        publish.undo(plan, cwd=root)
        raise
    if result.ok:
        return dataclasses.replace(outcome, pushed=True)
    publish.undo(plan, cwd=root)
    if result.status == "race":
        return None
    raise publish.push_error(result, remote=remote, kept=NOTHING_KEPT)


NOTHING_KEPT = "nothing was kept locally (tags and ledger are as they were)"
