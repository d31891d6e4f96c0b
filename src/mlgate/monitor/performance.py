"""The gap between the production metric and the deployed version's recorded test metric.

The production metric is computed by :mod:`mlgate.evaluation.metrics`, the functions the
gates and the independent evaluation use, for the model's task (binary, multiclass,
regression), so both sides of the gap are measured alike. Labels or scores the task does
not allow are bad input (exit 2); a metric without a value on the rows warns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from mlgate.config.model import Direction, default_direction
from mlgate.errors import MlgateError
from mlgate.evaluation import binary, metrics
from mlgate.monitor.distance import Level


@dataclass(frozen=True)
class PerformanceCheck:
    """``shortfall`` is how much worse production is than the record (positive = worse),
    whichever way the metric points; it alerts above ``max_gap``."""

    metric: str
    direction: Direction
    production: float | None
    recorded: float | None
    shortfall: float | None
    max_gap: float
    rows: int  # labelled, scored rows the production metric is computed on
    unlabelled: int  # scored rows without a label (not in the labels file, or null)
    recorded_source: str
    level: Level
    note: str | None = None


def shortfall(production: float, recorded: float, direction: Direction) -> float:
    return recorded - production if direction == "higher" else production - recorded


def check_performance(
    metric: str,
    label: npt.ArrayLike,
    score: npt.ArrayLike,
    *,
    recorded: float,
    recorded_source: str,
    max_gap: float,
    min_rows: int,
    unlabelled: int = 0,
    direction: Direction | None = None,
    task: metrics.Task = "binary",
    weight: npt.ArrayLike | None = None,
) -> PerformanceCheck:
    """Judge the production metric of ``(label, score)`` against ``recorded``.

    Too few labelled rows, or a metric undefined on them (one class only), warns and
    says why: no verdict either way is better than a verdict from noise. ``weight``: how
    many rows each ``(label, score)`` stands for (distinct pairs with their counts).
    """
    direction = direction or default_direction(metric)
    y, s = np.asarray(label), np.asarray(score)
    w = None if weight is None else np.asarray(weight, dtype=np.float64)
    rows = len(y) if w is None else int(w.sum())
    base = PerformanceCheck(metric, direction, None, recorded, None, max_gap, rows, unlabelled,
                            recorded_source, "warn")
    if rows < min_rows:
        return replace(base, note=f"only {rows} labelled rows (fewer than {min_rows}): not judged")
    metrics.check_metric(task, metric)
    if w is not None:  # distinct pairs with their counts (an engine that joined them)
        if task != "binary":
            raise MlgateError(f"weighted rows for a {task} model: only a binary model's gap is "
                              "computed from (label, score) counts",
                              hint="run the monitor with the local engine for this model")
        found, why = binary.metric_value(metric, y, s, w)
        value = None if math.isnan(found) else found
    else:
        if task == "multiclass":  # logged probabilities: a few decimals each
            s = metrics.normalise(s)
        value, why = metrics.value(metrics.prepare(task, y, s), metric)
    if value is None:
        return replace(base, note=f"{why}: not judged")
    gap = shortfall(value, recorded, direction)
    level: Level = "alert" if gap > max_gap else "ok"
    return replace(base, production=value, shortfall=gap, level=level)
