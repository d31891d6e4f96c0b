"""The gap between the production metric and the deployed version's recorded test metric.

The production metric is computed by :mod:`mlgate.evaluation.metrics`, the functions the
gates and the independent evaluation use, for the model's task (binary, multiclass,
regression), so both sides of the gap are measured alike. Labels or scores the task does
not allow are bad input (exit 2); a metric without a value on the rows warns.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from mlgate.config.model import Direction, default_direction
from mlgate.evaluation import metrics
from mlgate.monitor.batch import Tally
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
    tally: Tally | None = None,
) -> PerformanceCheck:
    """Judge the production metric of ``(label, score)`` against ``recorded``.

    Too few labelled rows, or a metric undefined on them (one class only), warns and
    says why: no verdict either way is better than a verdict from noise. ``tally``: the
    rows as an engine that joined the labels itself reduced them (``label`` and ``score``
    are then not read).
    """
    direction = direction or default_direction(metric)
    y, s = np.asarray(label), np.asarray(score)
    rows = len(y) if tally is None else tally.rows
    base = PerformanceCheck(metric, direction, None, recorded, None, max_gap, rows, unlabelled,
                            recorded_source, "warn")
    if rows < min_rows:
        return replace(base, note=f"only {rows} labelled rows (fewer than {min_rows}): not judged")
    metrics.check_metric(task, metric)
    if tally is not None:
        value, why = tally.value(metric)
    else:
        if task == "multiclass":  # logged probabilities: a few decimals each
            s = metrics.normalise(s)
        value, why = metrics.value(metrics.prepare(task, y, s), metric)
    if value is None:
        return replace(base, note=f"{why}: not judged")
    gap = shortfall(value, recorded, direction)
    level: Level = "alert" if gap > max_gap else "ok"
    return replace(base, production=value, shortfall=gap, level=level)
