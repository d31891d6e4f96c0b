"""Whether a model's policy contains the floor of its risk tier (`pipelines/_policy.yaml`),
and the policy that judges a model the default branch does not know yet.

"Contains" is exact, so that a reviewer can check it by hand: every gate of a floor that
binds an environment is matched by one gate of the model's environment, of the same kind
and subject, at least as strict (see :func:`shortfall`); the approval, the required prior
environment and `allow_unmerged` likewise. Pure: no file is read here.
"""

from __future__ import annotations

import dataclasses

from mlgate.config.model import (
    Approval,
    ConfidenceGate,
    Environment,
    FreshnessGate,
    Gate,
    Model,
    NoRegressionGate,
    SlicesGate,
    ThresholdGate,
    default_direction,
)
from mlgate.config.repo_policy import RepoPolicy


def _bounds(gate: ThresholdGate | ConfidenceGate, floor: ThresholdGate | ConfidenceGate
            ) -> bool:
    """A lower bound at least the floor's, an upper bound at most the floor's."""
    if floor.min is not None and (gate.min is None or gate.min < floor.min):
        return False
    return floor.max is None or (gate.max is not None and gate.max <= floor.max)


def _slice_floor(gate: SlicesGate, floor: SlicesGate) -> bool:
    if floor.min is not None:
        if gate.min is None:
            return False
        lower = default_direction(floor.metric) == "lower"  # `min` is then a ceiling
        if (gate.min > floor.min) if lower else (gate.min < floor.min):
            return False
    if floor.max_gap is not None and (gate.max_gap is None or gate.max_gap > floor.max_gap):
        return False
    return gate.min_size <= floor.min_size  # smaller slices judged: stricter


def as_strict(gate: Gate, floor: Gate) -> bool:
    """Whether ``gate`` is of the floor's kind and subject and at least as strict."""
    if gate.kind != floor.kind:
        return False
    if isinstance(floor, ThresholdGate) and isinstance(gate, ThresholdGate):
        return gate.metric == floor.metric and _bounds(gate, floor)
    if isinstance(floor, NoRegressionGate) and isinstance(gate, NoRegressionGate):
        return (gate.metric == floor.metric and gate.against == floor.against
                and gate.relative == floor.relative and gate.tolerance <= floor.tolerance)
    if isinstance(floor, ConfidenceGate) and isinstance(gate, ConfidenceGate):
        return (gate.metric == floor.metric and _bounds(gate, floor)
                and gate.level >= floor.level and gate.min_samples >= floor.min_samples)
    if isinstance(floor, SlicesGate) and isinstance(gate, SlicesGate):
        return (gate.column == floor.column and gate.metric == floor.metric
                and _slice_floor(gate, floor))
    if isinstance(floor, FreshnessGate) and isinstance(gate, FreshnessGate):
        return (gate.dependency == floor.dependency
                and gate.max_age_seconds <= floor.max_age_seconds)
    return True  # reproducible: present is enough


def describe_gate(gate: Gate) -> str:
    """The floor's gate as a person reads it: `threshold roc_auc min 0.8`."""
    parts = [gate.kind]
    for name in ("metric", "column", "dependency", "min", "max", "max_gap", "tolerance",
                 "level", "min_samples", "min_size", "max_age", "against"):
        value = getattr(gate, name, None)
        if value is not None and not (name == "tolerance" and value == 0):
            parts.append(str(value) if name in ("metric", "column") else f"{name} {value}")
    if getattr(gate, "relative", False):
        parts.append("relative")
    return " ".join(parts)


def shortfall(env: Environment, floor: Environment) -> list[str]:
    """What ``env`` lacks of ``floor``: one line each, empty when it contains the floor."""
    missing = [f"a gate at least as strict as `{describe_gate(g)}`" for g in floor.gates
               if not any(as_strict(mine, g) for mine in env.gates)]
    if floor.approval is not None:
        mine = env.approval
        if mine is None or mine.min_approvers < floor.approval.min_approvers:
            missing.append(f"approval from at least {floor.approval.min_approvers}")
        elif floor.approval.exclude_author and not mine.exclude_author:
            missing.append("approval with exclude_author: true")
    if floor.requires is not None:
        req = env.requires
        if req is None or req.environment != floor.requires.environment:
            missing.append(f"requires environment {floor.requires.environment}")
        elif req.soak_seconds < floor.requires.soak_seconds:
            missing.append(f"requires {floor.requires.environment} with soak of at least "
                           f"{floor.requires.soak}")
    if env.allow_unmerged and not floor.allow_unmerged:
        missing.append("allow_unmerged: false (the floor does not allow unmerged commits)")
    return missing


def model_shortfalls(model: Model, repo: RepoPolicy) -> dict[str, list[str]]:
    """Per environment of ``model``, what it lacks of its tier's floor (only those that
    lack something)."""
    tier = repo.floor(model.risk_tier)
    if tier is None:
        return {}
    found = {}
    for env in model.environments:
        lacking = [line for floor in tier.binding(env.name) for line in shortfall(env, floor)]
        if lacking:
            found[env.name] = lacking
    return found


def floor_environment(name: str, floors: tuple[Environment, ...]) -> Environment:
    """One environment that holds every floor in ``floors``: all their gates, the largest
    approval, the first required environment with the longest soak."""
    gates = tuple(dataclasses.replace(g, index=i)
                  for i, g in enumerate(g for f in floors for g in f.gates))
    approvals = [f.approval for f in floors if f.approval is not None]
    approval = None
    if approvals:
        approval = Approval(max(a.min_approvers for a in approvals),
                            any(a.exclude_author for a in approvals))
    requires = max((f.requires for f in floors if f.requires is not None),
                   key=lambda r: r.soak_seconds, default=None)
    return Environment(name, gates, requires, approval,
                       allow_unmerged=all(f.allow_unmerged for f in floors))


def judged_by_floor(candidate: Model, repo: RepoPolicy) -> Model | None:
    """``candidate``'s declaration with every environment's policy replaced by its tier's
    floor, as read in ``repo``: how a model the policy's ref does not know is judged. None
    when the floor binds none of its environments."""
    tier = repo.floor(candidate.risk_tier)
    if tier is None:
        return None
    envs = tuple(floor_environment(e.name, tier.binding(e.name))
                 for e in candidate.environments if tier.binding(e.name))
    if not envs:
        return None
    return dataclasses.replace(candidate, environments=envs)
