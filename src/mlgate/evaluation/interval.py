"""A percentile bootstrap interval of any metric of any task, from the one metric module.

Binary metrics keep :func:`mlgate.evaluation.binary.bootstrap_interval` (its draws, so
its intervals, are unchanged); a multiclass or regression metric is computed by
:mod:`mlgate.evaluation.metrics` under Poisson(1) weights drawn by
:mod:`mlgate.evaluation.resample`, the same seeded chunks the paired bootstrap uses. The
interval depends on the data and the seed alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlgate.evaluation import binary, metrics, resample
from mlgate.evaluation.binary import Interval, UndefinedMetric
from mlgate.evaluation.metrics import Task


def bootstrap_interval(task: Task, name: str, labels: Any, scores: Any, *,
                       resamples: int = 1000, level: float = 0.95, seed: int = 0) -> Interval:
    """The interval of ``name`` (a metric of ``task``); :class:`UndefinedMetric` when the
    metric has no value on the data or on every resample; MlgateError for input the task
    does not allow or a metric it lacks."""
    if task == "binary":
        return binary.bootstrap_interval(name, labels, scores, resamples=resamples,
                                         level=level, seed=seed)
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level}")
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, got {resamples}")
    metrics.check_metric(task, name)
    data = metrics.prepare(task, labels, scores)
    point, why = metrics.value(data, name)
    if point is None:
        raise UndefinedMetric(why or "it has no value")
    data.prime(name)
    found = resample.chunked(
        seed, resamples, resample.chunk_rows(data.n),
        lambda rng, rows: data.rows(name, resample.weight_rows(rng, rows, data.n)))
    found = found[~np.isnan(found)]
    if len(found) == 0:
        raise UndefinedMetric(f"none of {resamples} resamples has a value")
    tail = (1 - level) / 2
    low, high = np.quantile(found, [tail, 1 - tail])
    return Interval(point, float(low), float(high), level, resamples, len(found))
