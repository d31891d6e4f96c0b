"""The independent evaluation as a pull request's report shows it: the paired comparisons
the gates made (first), each model's metrics on the holdout, and the metrics the
candidate's own pipeline committed beside them, a disagreement flagged.

Without an evaluation declared at the base, there is nothing independent: the report says
that its metrics were produced by the candidate's own pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlgate.config.metricsfile import flatten

# a committed metric this far from mlgate's own on the holdout is flagged: beyond what a
# change of test rows usually moves a metric, so the candidate's evaluation code or its
# test split is worth a look
DISAGREE = 0.02
OWN_PIPELINE = ("The metrics below were produced by the candidate's own pipeline (its code "
                "and its test split), which this change controls: declare `evaluation:` on "
                "the default branch to have them computed by mlgate on a holdout it pins.")


@dataclass(frozen=True)
class Comparison:
    environment: str
    incumbent: str  # "v1.0.0 in staging"
    paired: dict[str, Any]  # gates.paired_gate.as_dict


@dataclass(frozen=True)
class MetricLine:
    name: str
    candidate: float | None
    incumbent: float | None
    committed: float | None
    disagrees: bool


@dataclass(frozen=True)
class EvaluationView:
    record: dict[str, Any]  # gates.independent.Independent.as_record
    comparisons: tuple[Comparison, ...]
    incumbent: str | None  # who the metric table's incumbent column is
    metrics: tuple[MetricLine, ...]


def view(independent: Any, decisions: list[Any], committed: dict[str, Any], env: str
         ) -> EvaluationView | None:
    """The report's view of ``independent`` (None: no evaluation), with the paired rows of
    ``decisions`` and the ``committed`` metrics of the candidate."""
    if independent is None:
        return None
    comparisons = []
    for decision in decisions:
        for r in decision.results:
            paired = r.details.get("paired") if r.kind == "no_regression" else None
            if paired:
                where = r.details.get("environment", decision.environment)
                comparisons.append(Comparison(decision.environment,
                                              f"{r.details.get('incumbent_version')} in {where}",
                                              paired))
    inc = independent.incumbents.get(env)
    flat = flatten(committed)
    lines = []
    for name, value in independent.candidate.metrics.items():
        if name in ("slices", "rows"):
            continue
        mine = value if isinstance(value, int | float) else None
        theirs = flat.get(name)
        theirs = theirs if isinstance(theirs, int | float) and not isinstance(theirs, bool) \
            else None
        base = inc.metrics.get(name) if inc is not None else None
        far = mine is not None and theirs is not None and abs(mine - theirs) > DISAGREE
        lines.append(MetricLine(name, mine, base, theirs, far))
    return EvaluationView(independent.as_record(), tuple(comparisons),
                          None if inc is None else f"{inc.who} in {env}", tuple(lines))


def sentence(c: Comparison) -> str:
    p = c.paired
    how = "DeLong" if p["method"] == "delong" else "paired bootstrap"
    return (f"{p['metric']} on the same {p['rows']:,} holdout rows: candidate "
            f"{p['candidate']:.4f}, {c.incumbent} {p['incumbent']:.4f}, difference "
            f"{p['difference']:+.4f}, {p['confidence'] * 100:.10g}% CI {p['low']:+.4f} to "
            f"{p['high']:+.4f} ({how})")
