"""Pure judges of the metric gates threshold and no_regression, and what every gate shares
(:class:`Verdict`, :class:`Predictions`, how numbers are shown); confidence and slices are
in :mod:`mlgate.gates.from_predictions`.

Each takes its gate (from :mod:`mlgate.config.model`) and the facts it needs, and returns
a :class:`Verdict`; :func:`mlgate.gates.policy.evaluate` gathers them into a Decision. Numbers
from policy and metrics files are shown as written; comparisons that need arithmetic
use the decimals as written, so that 0.8712 - 0.01 is 0.8612, not 0.8612000000000001.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from mlgate.config.metricsfile import lookup
from mlgate.config.model import NoRegressionGate, ThresholdGate

if TYPE_CHECKING:  # numpy is imported by the gates that compute, not by every command
    import numpy.typing as npt

Observed = str | float | None


@dataclass(frozen=True)
class Incumbent:
    """The version now in an environment, with the metrics its record holds."""

    version: str
    metrics: dict[str, Any]


@dataclass(frozen=True, eq=False)
class Predictions:
    """The evaluation's per-row predictions; ``columns`` holds the slice columns."""

    label: npt.NDArray[Any]
    score: npt.NDArray[Any]
    columns: Mapping[str, npt.NDArray[Any]] = field(default_factory=dict)
    task: str = "binary"  # the independent evaluation's (a predictions file is binary)

    def __len__(self) -> int:
        return len(self.label)


@dataclass(frozen=True)
class Verdict:
    observed: Observed
    expected: str
    passed: bool
    why: str
    details: dict[str, Any] = field(default_factory=dict)


# --- numbers ---


def lit(value: float) -> str:
    """A number from a policy or metrics file, as written: 0.85, 1, 1e-05."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else repr(value)
    return "NaN" if isinstance(value, float) and math.isnan(value) else str(value)


def show(value: float, near: float | None = None) -> str:
    """A computed number to 6 significant digits, or every digit when that much would
    make it look equal to ``near``, the bound it is compared with."""
    if not math.isfinite(value):
        return lit(value)
    text = f"{value:.6g}"
    if near is not None and value != near and text == f"{near:.6g}":
        return repr(float(value))
    return text


def exact(value: float) -> Decimal:
    """The decimal the number was written as, so that 0.8712 - 0.01 is 0.8612."""
    return Decimal(value) if isinstance(value, int) else Decimal(repr(float(value)))


def read_metric(metrics: dict[str, Any], name: str, whose: str) -> tuple[Observed, str | None]:
    """``(value, None)`` for a finite number, else ``(what was found, why it fails)``."""
    value = lookup(metrics, name)
    if value is None:
        return None, f"{name} is missing from {whose}"
    if isinstance(value, dict):
        return None, f"{name} is a group, not a number, in {whose}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value), f"{name} is not a number in {whose}: {value!r}"
    if not math.isfinite(value):
        return float(value), f"{name} is {lit(float(value))} in {whose}"
    return value, None


def candidate_metric(name: str, metrics: dict[str, Any], error: str | None
                     ) -> tuple[Observed, str | None]:
    return (None, error) if error else read_metric(metrics, name, "the candidate's metrics")


def bounds_text(low: float | None, high: float | None) -> str:
    parts = [f">= {lit(low)}" if low is not None else "",
             f"<= {lit(high)}" if high is not None else ""]
    return " and ".join(p for p in parts if p)


def _outside(name: str, value: float, low: float | None, high: float | None) -> str | None:
    """Why ``value``, a number as written in a metrics file, is not within [low, high]."""
    if low is not None and value < low:
        return f"{name} {lit(value)} is below the minimum {lit(low)}"
    if high is not None and value > high:
        return f"{name} {lit(value)} is above the maximum {lit(high)}"
    return None


def threshold(gate: ThresholdGate, metrics: dict[str, Any], error: str | None) -> Verdict:
    expected = bounds_text(gate.min, gate.max)
    observed, problem = candidate_metric(gate.metric, metrics, error)
    if problem or not isinstance(observed, int | float):
        return Verdict(observed, expected, False, problem or "")
    outside = _outside(gate.metric, observed, gate.min, gate.max)
    return Verdict(observed, expected, outside is None,
                   outside or f"{gate.metric} {lit(observed)} {expected}")


def no_regression(gate: NoRegressionGate, env: str, lower: bool, metrics: dict[str, Any],
                  error: str | None, incumbent: Incumbent | None) -> Verdict:
    """The candidate no worse than the incumbent in ``env`` by more than the tolerance;
    worse means lower, or higher when ``lower`` is better."""
    tolerance = gate.tolerance
    allowance = f"{(exact(tolerance) * 100).normalize():f}%" if gate.relative else lit(tolerance)
    margin = f" {'+' if lower else '-'} {allowance}" if tolerance else ""
    observed, problem = candidate_metric(gate.metric, metrics, error)
    if incumbent is None:
        expected = f"not worse than the incumbent in {env}{margin}"
        why = problem or f"no incumbent in {env}: nothing to regress from"
        return Verdict(observed, expected, problem is None, why)
    whose = f"{incumbent.version} in {env}"
    base, base_problem = read_metric(incumbent.metrics, gate.metric, f"the metrics of {whose}")
    shown = lit(base) if isinstance(base, int | float) else f"its {gate.metric}"
    expected = f"not worse than {shown}{margin} (incumbent {whose})"
    if problem or base_problem or not isinstance(observed, int | float) \
            or not isinstance(base, int | float):
        return Verdict(observed, expected, False, problem or base_problem or "")
    cand, inc = exact(observed), exact(base)
    worse_by = cand - inc if lower else inc - cand
    allowed = exact(tolerance) * abs(inc) if gate.relative else exact(tolerance)
    passed = worse_by <= allowed
    head = f"{gate.metric} {lit(observed)} vs {lit(base)} ({whose})"
    if worse_by <= 0:
        why = f"{head}: better by {show(float(-worse_by))}" if worse_by else f"{head}: equal"
    else:
        verdict = "within" if passed else "more than"
        why = (f"{head}: worse by {show(float(worse_by), float(allowed))}, {verdict} the "
               f"tolerance {allowance}")
    if gate.relative and tolerance and inc == 0:
        why += ("; a relative tolerance of an incumbent of 0 allows nothing, so only "
                "'not worse at all' passes")
    details = {"incumbent": base, "incumbent_version": incumbent.version, "environment": env,
               "worse_by": float(worse_by), "allowed": float(allowed)}
    return Verdict(observed, expected, passed, why, details)


def listed(items: list[str], most: int = 5) -> str:
    more = len(items) - most
    return ", ".join(items[:most]) + (f" and {more} more" if more > 0 else "")
