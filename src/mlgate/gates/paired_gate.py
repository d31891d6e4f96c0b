"""`no_regression` judged on the same rows: the candidate minus the incumbent, with an
interval (a seeded paired bootstrap, or DeLong's test for roc_auc).

Pure: the scores are in the evidence (:class:`mlgate.gates.independent.Independent`).
The gate passes when the interval's bound on the worse side is within the tolerance:
for a higher-is-better metric, its lower bound >= -tolerance; for a lower-is-better one,
its upper bound <= tolerance (a relative tolerance is a fraction of the incumbent's value).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlgate.config.model import NoRegressionGate
from mlgate.gates.kinds import Verdict, lit, show

if TYPE_CHECKING:
    from mlgate.evaluation.paired import PairedDifference

# the evidence's gates.independent.Independent: named by duck type, since the judge that
# makes it reads the facts, which import the policy, which imports this
Independent = Any


def percent(level: float) -> str:
    return f"{level * 100:.10g}%"


def compare(independent: Independent, env: str, metric: str, *, method: str = "bootstrap",
            level: float = 0.95, resamples: int = 1000, seed: int = 0) -> PairedDifference:
    """The paired difference (candidate minus the incumbent of ``env``) of ``metric``."""
    from mlgate.evaluation import paired

    incumbent = independent.incumbents.get(env)
    assert incumbent is not None
    cand = independent.candidate.scores
    if method == "delong":
        return paired.delong(independent.labels, cand, incumbent.scores, confidence=level)
    return paired.paired_bootstrap(independent.task, metric,
                                   independent.labels, cand, incumbent.scores,
                                   confidence=level, resamples=resamples, seed=seed)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def as_dict(found: PairedDifference) -> dict[str, Any]:
    """Plain JSON data (Python numbers, never numpy's)."""
    return {"metric": found.metric, "method": found.method, "rows": int(found.rows),
            "candidate": _float(found.candidate), "incumbent": _float(found.incumbent),
            "difference": _float(found.difference), "low": _float(found.low),
            "high": _float(found.high), "confidence": float(found.confidence),
            "resamples": None if found.resamples is None else int(found.resamples),
            "seed": None if found.seed is None else int(found.seed),
            "p_value": _float(found.p_value)}


def sentence(found: PairedDifference, incumbent: str) -> str:
    """'on the same 14,027 holdout rows: candidate 0.9012, production 0.9041, difference
    -0.0029, 95% CI -0.0051 to -0.0008'"""
    how = "DeLong" if found.method == "delong" else "paired bootstrap"
    return (f"on the same {found.rows:,} holdout rows: candidate {found.candidate:.4f}, "
            f"{incumbent} {found.incumbent:.4f}, difference {found.difference:+.4f}, "
            f"{percent(found.confidence)} CI {found.low:+.4f} to {found.high:+.4f} ({how})")


def no_regression(gate: NoRegressionGate, env: str, independent: Independent) -> Verdict:
    from mlgate.evaluation.metrics import METRICS, direction

    task = independent.task
    tolerance = gate.tolerance
    allowance = f"{tolerance * 100:g}%" if gate.relative else lit(tolerance)
    lower = direction(gate.metric) == "lower"
    sign = "" if not tolerance else "+" if lower else "-"
    expected = (f"{percent(gate.level)} interval of candidate - incumbent "
                f"{'<=' if lower else '>='} {sign}{allowance}"
                + (" of the incumbent" if gate.relative else "") + " (same holdout rows)")
    if gate.metric not in METRICS[task]:
        return Verdict(None, expected, False, f"{gate.metric!r} is no {task} metric that "
                       f"mlgate computes; {task} metrics: "
                       f"{', '.join(METRICS[task])}")
    incumbent = independent.incumbents.get(env)
    if incumbent is None:
        value = independent.candidate.metrics.get(gate.metric)
        return Verdict(value, expected, True, f"no incumbent in {env}: nothing to regress from")
    found = compare(independent, env, gate.metric, method=gate.method, level=gate.level,
                    resamples=gate.resamples, seed=gate.seed)
    who = f"{incumbent.who} in {env}"
    allowed = float(tolerance * abs(found.incumbent) if gate.relative else tolerance)
    bound = float(found.high if lower else found.low)
    passed = bool(bound <= allowed if lower else bound >= -allowed)
    head = sentence(found, who)
    verdict = ("within" if passed else "beyond") + f" the tolerance {allowance}"
    side = "upper" if lower else "lower"
    why = f"{gate.metric} {head}: its {side} bound {show(bound)} is {verdict}"
    details = {"paired": as_dict(found), "incumbent_version": incumbent.who, "environment": env,
               "allowed": allowed}
    return Verdict(float(found.difference), expected, passed, why, details)
