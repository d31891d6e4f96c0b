"""The act step of promote (and later rollback, retire): decide, then write the registry.

One attempt reads the registry, gathers facts, evaluates, and on a pass writes tags and a
ledger record in one local transaction and, with --push, one atomic push. It returns
None when the push lost a race, so that the caller can fetch and judge again; any other
failed push is an error. Either way the local refs are first put back as they were.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from mlgate.config.declarations import read_dvc_yaml
from mlgate.config.stages import model_stages
from mlgate.errors import MlgateError
from mlgate.gates import facts, judge
from mlgate.gates.candidate import Candidate, RemoteAtRev, open_candidate, read_lock
from mlgate.gates.policy_source import PolicySource, check_environment, load_policy
from mlgate.plumbing import git
from mlgate.plumbing.dvc import DvcStatus
from mlgate.promote import retry
from mlgate.promote.approvals import ApprovalFile, read_approvals
from mlgate.promote.outcome import Outcome
from mlgate.promote.record import artifact_digests, choose_version, predicate
from mlgate.registry import ledger, publish
from mlgate.registry.addresses import declared_model
from mlgate.registry.state import Deployment, ModelState, read_model, read_registry
from mlgate.registry.tags import Action, TagName, in_tag


def policy_ref_of(root: Path, given: str | None, remote: str) -> git.Ref:
    """Where promote, rollback and retire read the policy: ``given`` (fully qualified, an
    ambiguous name refused), else the default branch of ``remote``
    (:func:`mlgate.plumbing.git.default_branch`)."""
    return git.resolve_ref(given, cwd=root) if given else git.default_branch(remote, cwd=root)


def policy_of(root: Path, given: str, cand: Candidate, ref: git.Ref) -> PolicySource:
    """The declaration at ``ref`` of the model ``given`` names: by its declaration's name,
    or by GTO's address of its artifact (`models/a:churn`, as GTO users know it), which
    the working tree's declarations map to a name and the declaration at ``ref`` must hold."""
    name = declared_model(root, given)
    source = load_policy(name, cand, ref.name, new_model=False)
    if name != given and source.model.address != given:
        raise MlgateError(f"{given!r} is not the address of {name!r} at {ref.name}, where the "
                          f"policy is read: its dvc_artifact there is {source.model.address!r}",
                          path=f"{ref.name}:{source.path}",
                          hint=f"name the model by its declaration ({name}), or merge the "
                               "change to its dvc_artifact first")
    return source


def require_merged(root: Path, commit: str, ref: git.Ref, source: PolicySource,
                   env: str, what: str) -> None:
    """Refuse ``commit`` unless ``ref`` reaches it, or the policy there lets ``env`` take
    unmerged commits (`allow_unmerged: true`): what was never merged was never reviewed."""
    declared = source.model.environment(env)
    if (declared is not None and declared.allow_unmerged) or \
            git.is_ancestor(commit, ref.commit, cwd=root):
        return
    raise MlgateError(
        f"{what} (commit {commit[:12]}) is not on {ref.name}, where the policy is read: "
        "an unmerged commit cannot be promoted",
        hint=f"merge it into {ref.name} first (and `git fetch`), or name the branch that "
             f"holds it with --policy-ref; an environment that must take unmerged commits "
             f"says `allow_unmerged: true` in {source.path} at {ref.name}")


def promote_model(root: Path, name: str, env: str, *, rev: str | None, version: str | None,
                  approvals: str | None, reason: str | None, push: bool, dry_run: bool,
                  remote: str, now: datetime, policy_ref: str | None = None
                  ) -> Outcome | Deployment:
    """`mlgate promote`: the candidate (the working tree, or ``rev``) judged by the policy
    at ``policy_ref`` (default: the remote's default branch), which must reach it, and, on
    a pass, registered and assigned, with retries when a push loses a race. A
    stay that already serves the candidate's commit in ``env`` is returned as it is: a
    rerun after a crash, or a concurrent run that won with this very commit, makes one
    promotion and one record."""
    cand = open_candidate(root, rev)
    commit = cand.commit
    if commit is None:
        raise MlgateError("the repository has no commits", hint="commit the pipeline first")
    ref = policy_ref_of(root, policy_ref, remote)
    source = policy_of(root, name, cand, ref)
    check_environment(source.model, env)
    require_merged(root, commit, ref, source, env,
                   rev or "the working tree's HEAD")

    remembered = judge.Remembered()  # the candidate's facts, for a retry after a lost race

    def attempt(when: datetime) -> Outcome | Deployment | None:
        serving = already_serving(root, source.model.address, env, commit)
        if serving is not None and version in (None, f"v{serving.version}", serving.version):
            return serving
        return promote(cand, source, env, version=version, approvals_path=approvals,
                       reason=reason, push=push, dry_run=dry_run, remote=remote, now=when,
                       remembered=remembered)

    # mypy joins the union to object when it solves run's type variable: say it once here
    return cast("Outcome | Deployment", retry.run(attempt, root=root, push=push,
                                                  dry_run=dry_run, remote=remote, now=now))


def reassign_model(action: str, root: Path, name: str, env: str, *, to: str | None,
                   reason: str, approvals: str | None, push: bool, dry_run: bool,
                   remote: str, now: datetime, policy_ref: str | None = None
                   ) -> Outcome | Deployment:
    """`mlgate rollback` and `mlgate retire`: the policy comes from ``policy_ref``
    (default: the remote's default branch), so today's reviewed rules judge a return to an
    older version, and a rollback's version must be on that branch."""
    ref = policy_ref_of(root, policy_ref, remote)
    at_ref = open_candidate(root, ref.commit)
    source = policy_of(root, name, at_ref, ref)
    check_environment(source.model, env)
    return retry.run(
        lambda when: reassign(at_ref, source, env, action=action, to_version=to,
                              reason=reason, approvals_path=approvals, push=push,
                              dry_run=dry_run, remote=remote, now=when, ref=ref),
        root=root, push=push, dry_run=dry_run, remote=remote, now=now)


def already_serving(root: Path, model: str, env: str, commit: str) -> Deployment | None:
    """The stay in ``env`` that serves ``commit`` now, if any (reads only that
    environment's tags); ``model``: what its tags name (:attr:`Model.address`)."""
    state = read_registry(cwd=root, pattern=f"refs/tags/{in_tag(model)}#{env}*").model(model)
    current = state.current(env)
    return current if current is not None and current.commit == commit else None


def promote(cand: Candidate, source: PolicySource, env: str, *,
            version: str | None, approvals_path: str | None, reason: str | None, push: bool,
            dry_run: bool, remote: str, now: datetime,
            remembered: judge.Remembered | None = None) -> Outcome | None:
    from mlgate.gates import policy

    root = cand.root
    model = source.model
    dvc_yaml = read_dvc_yaml(cand.read, model)
    approvals: ApprovalFile | None = None
    if approvals_path:  # bad input first, before any child process starts
        approvals = read_approvals(approvals_path, env)
    known = remembered is not None and remembered.known  # a retry: nothing to start
    early = None if known else judge.start(root, cand.rev)
    in_remote: judge.RemoteCheck | None = None
    try:
        if known:
            pass
        elif cand.rev is None:
            in_remote = judge.RemoteCheck(
                DvcStatus(root, model_stages(model, dvc_yaml), cloud=True), "run `dvc push`")
        else:  # a commit that is not checked out: its dvc.lock says which objects to ask for
            in_remote = judge.RemoteCheck(
                RemoteAtRev(cand, model, dvc_yaml),
                f"push them from a checkout of {cand.rev} (`dvc push` there)")
        state = read_model(model.address, cwd=root)
        assert cand.commit is not None
        chosen, is_new = choose_version(state, cand.commit, version)
        judged = judge.judge(
            cand, source, env, state=state, now=now, early=early, remote=in_remote,
            promotion=True, remembered=remembered,
            approvals=policy.Approvals(approvals.approvers if approvals else (),
                                       approvals.authors if approvals else ()))
        early = in_remote = None
    finally:
        for started in (early, in_remote):
            if started is not None:
                started.cancel()
    tags: list[tuple[TagName, str]] = []
    if is_new:
        tags.append((TagName(model.address, Action.REGISTER, version=chosen), cand.commit))
    tags.append((TagName(model.address, Action.ASSIGN, env=env, counter=state.next_counter()),
                 cand.commit))
    return conclude(judged.gathered, judged.decision, "promote", env, chosen, tags,
                    approvals=approvals, reason=reason, now=now, push=push, dry_run=dry_run,
                    remote=remote)


def conclude(gathered: facts.Gathered, decision: Any, action: str, env: str,
             version: str | None, tags: list[tuple[TagName, str]], *,
             approvals: ApprovalFile | None, reason: str | None, now: datetime, push: bool,
             dry_run: bool, remote: str) -> Outcome | None:
    """The record of a decision (the tags only when it passed), then :func:`write`."""
    root = gathered.candidate.root
    model = gathered.policy.model
    lock = read_lock(gathered.candidate, model)
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


def reassign(cand: Candidate, source: PolicySource, env: str, *, action: str,
             to_version: str | None, reason: str, approvals_path: str | None, push: bool,
             dry_run: bool, remote: str, now: datetime, ref: git.Ref | None = None
             ) -> Outcome | None:
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
    state = read_model(model.address, cwd=root)
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
        names = [(TagName(model.address, Action.UNASSIGN, env=env, counter=counter + i), c)
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
        names = [(TagName(model.address, Action.ASSIGN, env=env, counter=counter), target_commit)]
    target = open_candidate(root, target_commit)
    if action == "rollback" and ref is not None:
        require_merged(root, target_commit, ref, source, env, f"v{target_version}")
    if action == "rollback":
        # what a deploy will pull: never point an environment back at data nobody can get
        in_remote = judge.RemoteCheck(
            RemoteAtRev(target, model, read_dvc_yaml(target.read, model)),
            f"push them from a checkout of v{target_version} (`dvc push` there)")
        judged = judge.judge(
            target, source, env, state=state, now=now, remote=in_remote, action="rollback",
            approvals=policy.Approvals(approvals.approvers if approvals else (),
                                       approvals.authors if approvals else ()))
        gathered, decision = judged.gathered, judged.decision
    else:
        gathered = facts.gather(target, source, now=now)
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
