"""The declaration that judges a candidate: its own (the working tree's or the
revision's), or the one at a policy ref (the base branch), bound there by the repository's
floors; a model the ref does not know is judged by its risk tier's floor alone."""

from __future__ import annotations

from dataclasses import dataclass

from mlgate.config import repo_policy
from mlgate.config.declarations import PIPELINES_DIR, cross_check, parse_declaration, read_dvc_yaml
from mlgate.config.floors import judged_by_floor, model_shortfalls
from mlgate.config.model import Model
from mlgate.config.repo_policy import RepoPolicy
from mlgate.config.yamlio import load_bytes
from mlgate.errors import MlgateError, suggest
from mlgate.gates.candidate import Candidate
from mlgate.plumbing import git


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


def check_environment(model: Model, env: str) -> None:
    declared = model.environment_names
    if env in declared:
        return
    close = suggest(env, declared)
    tip = f"did you mean {close!r}? " if close else ""
    raise MlgateError(f"unknown environment {env!r} for model {model.name!r}",
                      hint=f"{tip}(declared: {', '.join(declared)})")

