"""``evaluate(model, environment, evidence) -> Decision``: the policy applied, purely.

No I/O and no clock: everything a gate looks at is in :class:`Evidence`, gathered before,
including ``now``. Every gate yields one :class:`GateResult` saying what was observed,
what was expected and why it passed or failed; nothing raises for a failing gate.
The metric gates are judged in :mod:`mlgate.gates.kinds`; the process checks (reproducible,
freshness, validation, the environment's ``requires`` and ``approval``) in
:mod:`mlgate.gates.process`; what goes in and comes out, in :mod:`mlgate.gates.policy_io`.
"""

from __future__ import annotations

from mlgate.config.model import (
    ConfidenceGate,
    FreshnessGate,
    Gate,
    Model,
    NoRegressionGate,
    ReproducibleGate,
    SlicesGate,
    ThresholdGate,
)
from mlgate.errors import MlgateError
from mlgate.gates import from_predictions, kinds, process
from mlgate.gates.kinds import Incumbent, Predictions, Verdict
from mlgate.gates.policy_io import (
    Action,
    Approvals,
    Assignment,
    Decision,
    Evidence,
    GateResult,
    RepoState,
)

__all__ = [
    "Action",
    "Approvals",
    "Assignment",
    "Decision",
    "Evidence",
    "GateResult",
    "Incumbent",
    "Predictions",
    "RepoState",
    "evaluate",
]


def evaluate(model: Model, environment: str, evidence: Evidence, *, action: Action = "promote"
             ) -> Decision:
    """Judge the candidate described by ``evidence`` against ``environment``'s policy: its
    ``requires``, its gates (its rollback gates for a rollback), then its ``approval``."""
    env = model.environment(environment)
    if env is None:
        raise MlgateError(f"model {model.name} has no environment {environment!r}",
                          path=model.source or None,
                          hint=f"its environments: {', '.join(model.environment_names)}")
    results: list[GateResult] = []
    if action == "promote":
        results.append(process.validation(model.review, evidence.now))
    if action == "promote" and env.requires is not None:
        results.append(process.requires(env.requires, evidence))
    for gate in env.gates if action == "promote" else env.rollback.gates:
        verdict = _judge(gate, model, environment, evidence)
        results.append(GateResult(gate.title, gate.kind, verdict.observed, verdict.expected,
                                  verdict.passed, verdict.why, verdict.details, gate.index))
    if env.approval is not None and (action == "promote" or env.rollback.approval):
        results.append(process.approval(env.approval, evidence))
    return Decision(model.name, environment, tuple(results), all(r.passed for r in results),
                    action)


def _judge(gate: Gate, model: Model, environment: str, evidence: Evidence) -> Verdict:
    if isinstance(gate, ThresholdGate):
        return kinds.threshold(gate, evidence.metrics, evidence.metrics_error)
    if isinstance(gate, NoRegressionGate):
        against = gate.against or environment
        if evidence.independent is not None:
            from mlgate.gates import paired_gate

            return paired_gate.no_regression(gate, against, evidence.independent)
        return kinds.no_regression(gate, against, model.metrics.direction(gate.metric) == "lower",
                                   evidence.metrics, evidence.metrics_error,
                                   evidence.incumbents.get(against))
    if isinstance(gate, ConfidenceGate):
        return from_predictions.confidence(gate, evidence.predictions, evidence.predictions_error)
    if isinstance(gate, SlicesGate):
        lower = model.metrics.direction(gate.metric) == "lower"
        return from_predictions.slices(gate, lower, evidence.predictions,
                                       evidence.predictions_error)
    if isinstance(gate, ReproducibleGate):
        return process.reproducible(evidence.repo)
    if isinstance(gate, FreshnessGate):
        return process.freshness(gate, evidence)
    raise TypeError(f"no judge for gates of kind {gate.kind!r}")
