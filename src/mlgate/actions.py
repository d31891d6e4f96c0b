"""The act step of promote (and later rollback, retire): decide, then write the registry.

One attempt reads the registry, gathers facts, evaluates, and on a pass writes tags and a
ledger record in one local transaction and, with --push, one atomic push. It returns
None when the push lost a race, so that the caller can fetch and judge again.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mlgate import facts, git, ledger, publish
from mlgate.config.declarations import read_dvc_yaml
from mlgate.config.model import Model, ReproducibleGate
from mlgate.errors import MlgateError
from mlgate.promotion import (
    ApprovalFile,
    artifact_digests,
    choose_version,
    predicate,
    read_approvals,
)
from mlgate.registry import ModelState, read_registry
from mlgate.tags import Action, TagName


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
    from mlgate.policy import Assignment, Incumbent

    incumbents: dict[str, Incumbent | None] = {}
    history: dict[str, list[Assignment]] = {}
    for env in model.environment_names:
        current = state.current(env)
        record = current.record if current else None
        metrics = (record or {}).get("predicate", {}).get("metrics") or {}
        incumbents[env] = (Incumbent(current.version or current.commit[:12], metrics)
                           if current else None)
        history[env] = [Assignment(version=s.version or "", since=s.since, commit=s.commit)
                        for s in state.timeline(env)]
    return {"incumbents": incumbents, "environment_history": history}


def remote_row(status: facts.DvcStatus | None) -> Any:
    from mlgate.policy import GateResult

    expected = "artifact and data in the default DVC remote"
    if status is None:
        return GateResult("in DVC remote", "remote", "not checked", expected, False,
                          "the candidate is not the working tree; check out the commit first")
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
                      f"not in the remote: {shown}; run `dvc push`")


def promote(cand: facts.Candidate, source: facts.PolicySource, env: str, *,
            version: str | None, approvals_path: str | None, reason: str | None, push: bool,
            dry_run: bool, remote: str, now: datetime) -> Outcome | None:
    from mlgate import policy

    root = cand.root
    model = with_required_gates(source.model, env)
    dvc_yaml = read_dvc_yaml(cand.read)
    in_remote = (facts.DvcStatus(root, facts.model_stages(model, dvc_yaml), cloud=True)
                 if cand.rev is None else None)
    approvals: ApprovalFile | None = None
    if approvals_path:
        approvals = read_approvals(approvals_path, env)
    try:
        state = read_registry(cwd=root).model(model.name)
        gathered = facts.gather(cand, dataclasses.replace(source, model=model), now=now)
        assert cand.commit is not None
        chosen, is_new = choose_version(state, cand.commit, version)
        author = (approvals.author if approvals and approvals.author
                  else git.commit_author(cand.commit, cwd=root)[0])
        extra = registry_facts(state, model)
        decision = policy.evaluate(model, env, gathered.to_facts(
            candidate_version=chosen if not is_new else None,
            approvals=policy.Approvals(approvals.approvers if approvals else (), author),
            **extra))
        row = remote_row(in_remote)
        in_remote = None
        decision = dataclasses.replace(decision, results=(*decision.results, row),
                                       passed=decision.passed and row.passed)
    finally:
        if in_remote is not None:
            in_remote.cancel()
    lock = facts.read_lock(cand)
    head = ledger.chain_head(model.name, env, cwd=root)
    tags: list[tuple[str, str]] = []
    if decision.passed:
        if is_new:
            tags.append((str(TagName(model.name, Action.REGISTER, version=chosen)), cand.commit))
        counter = state.next_counter()
        tags.append((str(TagName(model.name, Action.ASSIGN, env=env, counter=counter)),
                     cand.commit))
    action = "promote" if decision.passed else "refused"
    sha256, md5 = artifact_digests(gathered, lock)
    record = ledger.statement(model.artifact, sha256, md5, predicate(
        gathered=gathered, lock=lock, action=action, env=env, version=chosen,
        decision=decision.to_dict(), seq=head.seq + 1, previous=head.previous,
        tags=[name for name, _ in tags], approvals=approvals, reason=reason, now=now))
    outcome = Outcome(model.name, env, action, decision.passed, chosen,
                      tuple(name for name, _ in tags), record, decision, False, dry_run)
    if dry_run or (not decision.passed and not push):
        return outcome
    plan = publish.build([(record, tags)], cwd=root)
    publish.apply(plan, cwd=root)
    if not push:
        return outcome
    result = publish.push(plan.refspecs(), remote=remote, cwd=root)
    if not result.ok:
        publish.undo(plan, cwd=root)
        return None
    return dataclasses.replace(outcome, pushed=True)

