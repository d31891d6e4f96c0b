"""Gates judged while `dvc status` runs: those computed from the predictions alone
(a 1,000-resample bootstrap, slices) depend on nothing DVC reports, so `check` and
`report` judge them first and merge them into the full evaluation afterwards."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mlgate.config.model import Model
from mlgate.gates import facts

if TYPE_CHECKING:
    from mlgate.gates.policy import Decision, GateResult

PREDICTION_GATES = ("confidence", "slices")


def judge_predictions(cand: facts.Candidate, source: facts.PolicySource, env: str,
                      predictions: tuple[facts.Columns | None, str | None], now: datetime
                      ) -> dict[int | None, GateResult]:
    """``env``'s gates computed from ``predictions`` (what :func:`facts.read_predictions`
    read), by gate index. They depend on nothing `dvc status` reports, so they are judged
    while it runs."""
    from mlgate.gates import policy

    model = source.model
    found = model.environment(env)
    assert found is not None  # checked by facts.check_environment
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
    return {r.index: r for r in policy.evaluate(only_slow, env, provisional.to_facts()).results}


def evaluate(model: Model, env: str, gathered: facts.Gathered,
             early: dict[int | None, GateResult], **more: Any) -> Decision:
    """``policy.evaluate`` of ``gathered``, with the gates :func:`judge_predictions`
    judged already taken from ``early`` (not computed twice)."""
    from mlgate.gates import policy

    judged = gathered.to_facts(env, **more)
    if early:
        judged = dataclasses.replace(judged, predictions=None)
    decision = policy.evaluate(model, env, judged)
    results = tuple(early.get(r.index, r) if r.kind in PREDICTION_GATES else r
                    for r in decision.results)
    return dataclasses.replace(decision, results=results,
                               passed=all(r.passed for r in results))
