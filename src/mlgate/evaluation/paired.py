"""Two models compared on the same rows: the difference candidate - incumbent of one metric,
with a confidence interval that accounts for the rows being shared.

The paired bootstrap gives each row one Poisson(1) weight per resample and applies that
same weight to both models' predictions of the row, so what the rows have in common
cancels out of the difference: a candidate identical to the incumbent has difference 0 in
every resample, hence the interval [0, 0]. The weights of a resample depend on ``seed``
alone (see :mod:`mlgate.evaluation.binary`). For a metric of the confusion matrix no row
weights are drawn at all: the weighted count of rows in each joint cell (label, the
candidate's prediction, the incumbent's) is a sum of independent Poisson(1) weights,
hence one Poisson draw of the cell's size.

DeLong's test (DeLong, DeLong & Clarke-Pearson 1988) estimates the variance of the
difference of two correlated ROC AUCs from the rows' placement values; they come from
midranks (Sun & Xu 2014), so it costs a few sorts, O(n log n).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

import numpy as np
import numpy.typing as npt

from mlgate.errors import MlgateError
from mlgate.evaluation import binary, metrics, multiclass, regression, resample
from mlgate.evaluation.metrics import Prepared, Task
from mlgate.evaluation.pairedauc import PairedAuc

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class PairedDifference:
    metric: str
    method: Literal["bootstrap", "delong"]
    rows: int
    candidate: float
    incumbent: float
    difference: float  # candidate - incumbent
    low: float
    high: float
    confidence: float  # two-sided, e.g. 0.95
    resamples: int | None  # bootstrap only: resamples on which both values were defined
    seed: int | None
    p_value: float | None  # DeLong only: two-sided, for "no difference"


def _check(confidence: float, resamples: int = 1) -> None:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, got {resamples}")


def _point(data: Prepared, metric: str, which: str) -> float:
    found, why = metrics.value(data, metric)
    if found is None:
        raise MlgateError(f"{metric} of the {which} is undefined on these rows: {why}",
                          hint="the comparison needs rows on which the metric has a value")
    return found


def _cell_counts(task: Task, data: Prepared) -> tuple[npt.NDArray[np.int64], int]:
    """Each row's confusion cell, and how many cells there are."""
    if task == "binary":
        assert isinstance(data, metrics._Binary)
        return data.cell, 4
    assert isinstance(data, multiclass.Multiclass)
    return data.cell, data.k * data.k


def _counted(task: Task, metric: str, candidate: Prepared, incumbent: Prepared,
             resamples: int, seed: int) -> Floats:
    """Differences per resample for a metric of the confusion matrix: Poisson draws of the
    joint cells' sizes, summed into each model's confusion matrix."""
    cells_c, size = _cell_counts(task, candidate)
    cells_i, _ = _cell_counts(task, incumbent)
    joint, counts = np.unique(cells_c * size + cells_i, return_counts=True)
    drawn = np.random.default_rng(seed).poisson(counts, size=(resamples, len(joint)))
    out = []
    for cell in (joint // size, joint % size):
        spread = np.zeros((len(joint), size))
        spread[np.arange(len(joint)), cell] = 1
        confusion = drawn.astype(np.float64) @ spread
        if task == "binary":
            out.append(binary._from_counts(metric, *confusion.T))
        else:
            k = round(size**0.5)
            out.append(multiclass.from_confusion(metric, confusion.reshape(resamples, k, k)))
    differences: Floats = out[0] - out[1]
    return differences


Finish = Callable[[Floats, Floats], Floats]


def _linear(metric: str, data: Prepared) -> tuple[Floats, Finish] | None:
    """For a metric that is a function of weighted sums of per-row terms: the terms (n, m)
    in the rows' order, and the function of (sums (r, m), total weight (r,)). None for the
    others (ranks, confusion matrices)."""

    def mean(sums: Floats, total: Floats) -> Floats:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, sums[:, 0] / total, np.nan)

    if isinstance(data, metrics._Binary) and metric in ("log_loss", "brier"):
        terms = np.empty(data.n)
        terms[data.order] = data.data.losses(metric)
        return terms[:, np.newaxis], mean
    if isinstance(data, multiclass.Multiclass) and metric == "log_loss":
        return data._losses[:, np.newaxis], mean
    if not isinstance(data, regression.Regression):
        return None
    if metric == "r2":
        return np.stack([data._terms[k] for k in ("squared", "centred", "centred2")], axis=1), _r2
    if metric == "mape" and data.has_zero_label:
        return None
    term = {"rmse": "squared", "mae": "absolute", "mape": "relative"}[metric]
    if metric == "rmse":
        return data._terms[term][:, np.newaxis], lambda sums, total: np.sqrt(mean(sums, total))
    return data._terms[term][:, np.newaxis], mean


def _r2(sums: Floats, total: Floats) -> Floats:
    with np.errstate(invalid="ignore", divide="ignore"):
        spread = sums[:, 2] - sums[:, 1] ** 2 / total
        return np.where((total > 0) & (spread > 0), 1 - sums[:, 0] / spread, np.nan)


def _sums(metric: str, candidate: Prepared, incumbent: Prepared, resamples: int, seed: int
          ) -> Floats | None:
    """Differences per resample for a metric of weighted sums: one product of the weights
    with both models' terms side by side."""
    found = [_linear(metric, data) for data in (candidate, incumbent)]
    if found[0] is None or found[1] is None:
        return None
    (terms_c, finish), (terms_i, _) = found[0], found[1]
    both = np.ascontiguousarray(np.concatenate([terms_c, terms_i], axis=1))
    m, n = terms_c.shape[1], candidate.n

    def work(rng: np.random.Generator, rows: int) -> Floats:
        weights = resample.weight_rows(rng, rows, n).astype(np.float64)
        sums, total = weights @ both, weights.sum(axis=1)
        return finish(sums[:, :m], total) - finish(sums[:, m:], total)

    return resample.chunked(seed, resamples, resample.chunk_rows(n), work)


def _weighted(metric: str, candidate: Prepared, incumbent: Prepared, resamples: int,
              seed: int) -> Floats:
    """Differences per resample: one matrix of row weights per chunk, applied to both."""
    n = candidate.n
    candidate.prime(metric)
    incumbent.prime(metric)

    def work(rng: np.random.Generator, rows: int) -> Floats:
        weights = resample.weight_rows(rng, rows, n)
        return candidate.rows(metric, weights) - incumbent.rows(metric, weights)

    return resample.chunked(seed, resamples, resample.chunk_rows(n), work)


def _auc_differences(auc: PairedAuc, n: int, resamples: int, seed: int) -> Floats:
    def work(rng: np.random.Generator, rows: int) -> Floats:
        first, second = auc.rows(resample.weight_rows(rng, rows, n))
        return first - second

    return resample.chunked(seed, resamples, resample.chunk_rows(n), work)


def paired_bootstrap(task: Task, metric: str, labels: npt.ArrayLike, candidate: npt.ArrayLike,
                     incumbent: npt.ArrayLike, *, confidence: float = 0.95,
                     resamples: int = 1000, seed: int = 0) -> PairedDifference:
    """The percentile interval of candidate - incumbent over ``resamples`` paired Poisson
    resamples, reproducible for ``seed``. Resamples on which either value is undefined
    are left out (``resamples`` in the result counts those kept)."""
    _check(confidence, resamples)
    metrics.check_metric(task, metric)
    c = metrics.prepare(task, labels, candidate)
    i = metrics.prepare(task, labels, incumbent)
    point_c, point_i = _point(c, metric, "candidate"), _point(i, metric, "incumbent")
    if metric in metrics.COUNTED[task]:
        differences = _counted(task, metric, c, i, resamples, seed)
    elif task == "binary" and metric in ("roc_auc", "gini"):
        auc = PairedAuc(np.asarray(labels) == 1, np.asarray(candidate, dtype=np.float64),
                        np.asarray(incumbent, dtype=np.float64))
        differences = _auc_differences(auc, c.n, resamples, seed) * (2 if metric == "gini" else 1)
    else:
        summed = _sums(metric, c, i, resamples, seed)
        differences = _weighted(metric, c, i, resamples, seed) if summed is None else summed
    differences = differences[~np.isnan(differences)]
    if len(differences) == 0:
        raise MlgateError(f"{metric} is undefined on all {resamples} resamples",
                          hint="the comparison needs more rows")
    tail = (1 - confidence) / 2
    low, high = np.quantile(differences, [tail, 1 - tail])
    return PairedDifference(metric, "bootstrap", c.n, point_c, point_i, point_c - point_i,
                            float(low), float(high), confidence, len(differences), seed, None)


def midranks(values: Floats) -> Floats:
    """1-based ranks, tied values sharing the mean of their positions."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], len(values)]
    ranks = np.empty(len(values))
    ranks[order] = np.repeat((starts + ends + 1) / 2, ends - starts)
    return ranks


def _placements(positive: Floats, negative: Floats) -> tuple[Floats, Floats]:
    """Per positive, the share of negatives it outranks (ties one half); per negative,
    the share of positives that outrank it. Their mean is the AUC."""
    m, n = len(positive), len(negative)
    combined = midranks(np.concatenate([positive, negative]))
    for_positive = (combined[:m] - midranks(positive)) / n
    for_negative = 1 - (combined[m:] - midranks(negative)) / m
    return for_positive, for_negative


def delong(labels: npt.ArrayLike, candidate: npt.ArrayLike, incumbent: npt.ArrayLike, *,
           confidence: float = 0.95) -> PairedDifference:
    """DeLong's test of roc_auc(candidate) - roc_auc(incumbent) on the same rows: the
    normal interval at ``confidence`` and the two-sided p-value of no difference."""
    _check(confidence)
    y = metrics._labels("binary", labels).astype(bool)
    scores = [metrics._scores("binary", s, len(y)) for s in (candidate, incumbent)]
    m, n = int(np.count_nonzero(y)), int(np.count_nonzero(~y))
    if m == 0 or n == 0:
        raise MlgateError(f"roc_auc is undefined on these rows: every label is {int(m > 0)}; "
                          "DeLong's test needs both classes")
    placed = [_placements(s[y], s[~y]) for s in scores]
    aucs = [float(p.mean()) for p, _ in placed]
    var = 0.0
    for side, count in ((0, m), (1, n)):
        if count > 1:
            cov = np.cov(np.stack([placed[0][side], placed[1][side]]))
            var += float(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]) / count
    difference = aucs[0] - aucs[1]
    spread = math.sqrt(max(var, 0.0))
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    if spread > 0:
        p_value = 2 * (1 - NormalDist().cdf(abs(difference) / spread))
    else:
        p_value = 1.0 if difference == 0 else 0.0
    return PairedDifference("roc_auc", "delong", len(y), aucs[0], aucs[1], difference,
                            difference - z * spread, difference + z * spread, confidence,
                            None, None, p_value)

