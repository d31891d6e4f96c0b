"""Pure judges of the gates computed from per-row predictions: `confidence` (a metric's
bootstrap interval) and `slices` (every slice of a column). Each takes its gate and the
predictions and returns a :class:`mlgate.gates.kinds.Verdict`; numpy is imported here, by
the gates that compute, not by every command."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from mlgate.config.model import ConfidenceGate, SlicesGate
from mlgate.gates.kinds import Observed, Predictions, Verdict, listed, lit, show

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


def _percent(level: float) -> str:
    return f"{level * 100:.10g}%"


def _too_few(predictions: Predictions | None, missing: str | None, least: int) -> str | None:
    if predictions is None:
        return f"no predictions: {missing or 'the model declares no predictions file'}"
    if len(predictions) == 0:
        return f"there are no predictions; at least {least} needed"
    if len(predictions) < least:
        return f"only {len(predictions)} predictions; at least {least} needed"
    return None


def confidence(gate: ConfidenceGate, predictions: Predictions | None, missing: str | None
               ) -> Verdict:
    ci = f"{_percent(gate.level)} CI"
    expected = " and ".join(
        ([f"{ci} lower bound >= {lit(gate.min)}"] if gate.min is not None else [])
        + ([f"{ci} upper bound <= {lit(gate.max)}"] if gate.max is not None else []))
    problem = _too_few(predictions, missing, gate.min_samples)
    if problem or predictions is None:
        return Verdict(None, expected, False, problem or "")
    from mlgate.errors import MlgateError
    from mlgate.evaluation import interval
    from mlgate.evaluation.binary import UndefinedMetric

    try:
        found = interval.bootstrap_interval(
            _task(predictions), gate.metric, predictions.label, predictions.score,
            resamples=gate.resamples, level=gate.level, seed=gate.seed)
    except MlgateError as exc:  # a metric the task lacks (validate says so first)
        return Verdict(None, expected, False, exc.message)
    except UndefinedMetric as exc:
        return Verdict(None, expected, False, f"{gate.metric} is undefined: {exc}")
    details = {"point": found.point, "low": found.low, "high": found.high,
               "level": gate.level, "resamples": found.resamples,
               "resamples_used": found.resamples_used, "seed": gate.seed,
               "predictions": len(predictions)}
    judged: list[str] = []
    failed: list[str] = []
    if gate.min is not None:
        ok = found.low >= gate.min
        (judged if ok else failed).append(
            f"lower bound {show(found.low, gate.min)} {'>=' if ok else '<'} {lit(gate.min)}")
    if gate.max is not None:
        ok = found.high <= gate.max
        (judged if ok else failed).append(
            f"upper bound {show(found.high, gate.max)} {'<=' if ok else '>'} {lit(gate.max)}")
    dropped = found.resamples - found.resamples_used
    why = (f"{ci} of {gate.metric} [{show(found.low)}, {show(found.high)}] (point "
           f"{show(found.point)}) from {found.resamples} resamples of {len(predictions)} "
           f"predictions" + (f", {dropped} without a value left out" if dropped else "")
           + "; " + "; ".join(failed + judged))
    observed: Observed = (found.low if gate.max is None else found.high if gate.min is None
                          else f"[{show(found.low)}, {show(found.high)}]")
    return Verdict(observed, expected, not failed, why, details)


MISSING_VALUE = "(missing)"


def _slice_name(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING_VALUE
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # integer columns with nulls arrive as floats
    return str(value)


def groups(column: npt.NDArray[Any]) -> list[tuple[str, npt.NDArray[np.intp]]]:
    """Row indexes per distinct value, in value order; missing values make one group."""
    import numpy as np

    values = np.asarray(column)
    if values.dtype.kind not in "biuf":
        values = np.array([_slice_name(v.item() if isinstance(v, np.generic) else v)
                           for v in values], dtype=object)
    keys, inverse = np.unique(values, return_inverse=True)
    inverse = inverse.reshape(-1)
    order = np.argsort(inverse, kind="stable")
    cuts = np.cumsum(np.bincount(inverse, minlength=len(keys)))[:-1]
    return [(_slice_name(k.item() if isinstance(k, np.generic) else k), rows)
            for k, rows in zip(keys, np.split(order, cuts), strict=True)]


def _task(predictions: Predictions) -> Any:
    return predictions.task


def _value(predictions: Predictions, metric: str, index: npt.NDArray[np.intp]
           ) -> tuple[float, str | None]:
    """``metric`` of the rows ``index``: ``(value, None)`` or ``(nan, why)``."""
    label, score = predictions.label[index], predictions.score[index]
    if predictions.task == "binary":
        from mlgate.evaluation import binary

        return binary.metric_value(metric, label, score)
    from mlgate.evaluation import metrics

    task = _task(predictions)
    metrics.check_metric(task, metric)
    found, why = metrics.value(metrics.prepare(task, label, score), metric)
    return (math.nan, why) if found is None else (found, None)


def slices(gate: SlicesGate, lower: bool, predictions: Predictions | None,
           missing: str | None) -> Verdict:
    """Every slice of ``gate.column`` with at least ``min_size`` rows reaches ``min`` (at
    most ``min`` when lower is better) and best minus worst stays within ``max_gap``."""
    col, metric, floor, cmp = gate.column, gate.metric, gate.min, "<=" if lower else ">="
    wanted = ([f"every slice of {col} {cmp} {lit(floor)}"] if floor is not None else []) \
        + ([f"gap between slices of {col} <= {lit(gate.max_gap)}"]
           if gate.max_gap is not None else [])
    unit = "row" if gate.min_size == 1 else "rows"
    expected = " and ".join(wanted) + f" (slices of at least {gate.min_size} {unit})"
    problem = _too_few(predictions, missing, 1)
    if predictions is None or problem:
        return Verdict(None, expected, False, problem or "")
    if col not in predictions.columns:
        return Verdict(None, expected, False, f"the predictions have no column {col}")
    from mlgate.evaluation.metrics import METRICS

    if metric not in METRICS[_task(predictions)]:  # validate says so first, at its line
        return Verdict(None, expected, False, f"{metric!r} is no {predictions.task} metric")
    rows: list[dict[str, Any]] = []
    failed: list[str] = []
    small: list[str] = []
    judged: dict[str, float] = {}
    for name, index in groups(predictions.columns[col]):
        value, undefined = _value(predictions, metric, index)
        entry: dict[str, Any] = {"slice": name, "rows": len(index), "judged": False,
                                 "value": None if undefined else value, "undefined": undefined}
        rows.append(entry)
        if len(index) < gate.min_size:
            small.append(f"{col}={name} ({len(index)} row{'s' if len(index) != 1 else ''})")
            continue
        entry["judged"] = True
        if undefined:
            failed.append(f"{col}={name}: {metric} is undefined: {undefined}")
            entry["passed"] = False
            continue
        judged[name] = value
        entry["passed"] = floor is None or (value <= floor if lower else value >= floor)
        if not entry["passed"]:
            assert floor is not None
            failed.append(f"{col}={name} {metric} {show(value, floor)} "
                          f"{'>' if lower else '<'} {lit(floor)}")
    notes = [f"not judged, under {gate.min_size} rows: {listed(small)}"] if small else []
    details: dict[str, Any] = {"column": col, "metric": metric, "min_size": gate.min_size,
                               "slices": rows, "gap": None}
    if not judged and not failed:
        why = f"no slice of {col} has {gate.min_size} or more rows, so none was judged"
        return Verdict(None, expected, False, "; ".join([why, *notes]), details)
    summary: list[str] = []
    observed: Observed = None
    if judged:
        worst = (max if lower else min)(judged, key=judged.__getitem__)
        high, low = max(judged, key=judged.__getitem__), min(judged, key=judged.__getitem__)
        gap = judged[high] - judged[low]
        details["gap"] = gap
        summary.append(f"{len(judged)} slice{'s' if len(judged) != 1 else ''} of {col} "
                       f"judged, worst {metric} "
                       f"{show(judged[worst])} ({col}={worst}), gap {show(gap)}")
        if gate.max_gap is not None and gap > gate.max_gap:
            failed.append(f"gap {show(gap, gate.max_gap)} > {lit(gate.max_gap)} "
                          f"({col}={high} {show(judged[high])}, {col}={low} "
                          f"{show(judged[low])})")
        observed = judged[worst] if gate.max_gap is None else gap if floor is None else (
            f"worst {show(judged[worst])}, gap {show(gap)}")
    return Verdict(observed, expected, not failed, "; ".join(failed + summary + notes), details)
