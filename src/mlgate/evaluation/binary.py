"""Binary-classification metrics and bootstrap confidence intervals, numpy only.

``label`` is 0/1, ``score`` the predicted probability of class 1; the classifying
metrics predict 1 when ``score >= 0.5`` (as the example pipeline's evaluate stage does).
``pr_auc`` is average precision (scikit-learn's ``average_precision_score``), ``ks`` the
Kolmogorov-Smirnov statistic max |TPR - FPR| over thresholds, ``gini`` 2 * roc_auc - 1.
A metric that has no value on the data raises :class:`UndefinedMetric` whose message
says why; :func:`metric_value` returns it as ``(nan, reason)`` instead.

The bootstrap is the Poisson bootstrap of :mod:`mlgate.evaluation.resample`: in each
resample every prediction gets an independent Poisson(1) weight; confusion-matrix counts
need no per-row weights at all: a sum of independent Poisson(1) counts over k rows is
Poisson(k). The interval depends on the seed alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from itertools import pairwise
from typing import Any

import numpy as np
import numpy.typing as npt

from mlgate.evaluation import resample

METRICS = ("roc_auc", "accuracy", "f1", "precision", "recall", "log_loss", "brier", "pr_auc",
           "ks", "gini")
COUNTED = ("accuracy", "f1", "precision", "recall")  # functions of the confusion matrix
THRESHOLD = 0.5
EPSILON = 1e-15  # log_loss clips probabilities to [EPSILON, 1 - EPSILON]

Floats = npt.NDArray[np.float64]


class UndefinedMetric(ValueError):
    """The metric has no value on this data; ``str(exc)`` says why ("no label is 1")."""


@dataclass(frozen=True)
class Interval:
    """A percentile bootstrap interval, two-sided at ``level``."""

    point: float
    low: float
    high: float
    level: float
    resamples: int  # asked for
    resamples_used: int  # those on which the metric was defined


@dataclass(frozen=True)
class _Sorted:
    """Predictions ordered by (label, score): negatives first, each class by score."""

    score: Floats
    n_neg: int
    _losses: dict[str, Floats] = field(default_factory=dict, compare=False, repr=False)

    @property
    def n(self) -> int:
        return len(self.score)

    @cached_property
    def auc_plan(self) -> tuple[bool, npt.NDArray[np.intp], npt.NDArray[np.intp] | None]:
        """Whether negatives are the smaller class, and for each row of the larger class
        how many of the smaller class score below it (lo) and at most as high (hi; None
        when no score is shared across the classes)."""
        neg, pos = self.score[: self.n_neg], self.score[self.n_neg :]
        neg_smaller = len(neg) <= len(pos)
        small, big = (neg, pos) if neg_smaller else (pos, neg)
        lo = np.searchsorted(small, big, side="left")
        hi = np.searchsorted(small, big, side="right")
        return neg_smaller, lo, (None if np.array_equal(lo, hi) else hi)

    @cached_property
    def curve_plan(self) -> tuple[npt.NDArray[np.intp], ...]:
        """Cumulative-count positions for ks and pr_auc: for each negative, how many
        negatives and positives score at most as high; the same for each positive; and for
        each positive how many positives and negatives score strictly below it."""
        neg, pos = self.score[: self.n_neg], self.score[self.n_neg :]
        return (np.searchsorted(neg, neg, side="right"), np.searchsorted(pos, neg, side="right"),
                np.searchsorted(neg, pos, side="right"), np.searchsorted(pos, pos, side="right"),
                np.searchsorted(neg, pos, side="left"), np.searchsorted(pos, pos, side="left"))

    @cached_property
    def cuts(self) -> tuple[int, ...]:
        """Bounds of the (tn, fp, fn, tp) blocks: in each class, predicted 1 come last."""
        cut_neg = int(np.searchsorted(self.score[: self.n_neg], THRESHOLD))
        cut_pos = self.n_neg + int(np.searchsorted(self.score[self.n_neg :], THRESHOLD))
        return (0, cut_neg, self.n_neg, cut_pos, self.n)

    def losses(self, name: str) -> Floats:
        if name not in self._losses:
            y = np.arange(self.n) >= self.n_neg
            if name == "brier":
                self._losses[name] = (self.score - y) ** 2
            else:
                p = np.clip(self.score, EPSILON, 1 - EPSILON)
                self._losses[name] = -np.where(y, np.log(p), np.log1p(-p))
        return self._losses[name]


def _prepare(label: Any, score: Any) -> tuple[_Sorted, npt.NDArray[np.intp]]:
    y = _binary(label)
    s = np.asarray(score)
    if s.ndim != 1 or len(s) != len(y):
        raise ValueError(f"label and score must be 1-d of one length, got {y.shape}, {s.shape}")
    if s.dtype.kind not in "biuf":
        raise UndefinedMetric(f"scores must be numbers, got values of type {s.dtype}")
    s = s.astype(np.float64)
    bad = int(np.count_nonzero(~np.isfinite(s)))
    if bad:
        raise UndefinedMetric(f"{bad} of {len(s)} scores are missing or not finite")
    order = np.argsort(s, kind="stable")  # then by label, stably: lexsort's order, faster
    order = order[np.argsort(y[order], kind="stable")]
    return _Sorted(s[order], len(y) - int(np.count_nonzero(y))), order


def _binary(label: Any) -> npt.NDArray[np.bool_]:
    y: npt.NDArray[Any] = np.asarray(label)
    if y.dtype == np.bool_:
        return y.astype(np.bool_, copy=False)
    if y.dtype.kind not in "iuf":
        raise UndefinedMetric(f"labels must be 0 or 1, got values of type {y.dtype}")
    is_one: npt.NDArray[np.bool_] = y == 1
    known = is_one | (y == 0)
    if not np.all(known):
        raise UndefinedMetric(f"labels must be 0 or 1, found {y[~known][0]}")
    return is_one


# --- metrics of a weight matrix: one row of weights (in sorted order) per resample ---


def _auc_rows(data: _Sorted, weights: npt.NDArray[Any]) -> Floats:
    """Weighted ROC AUC per row: the share of (positive, negative) pairs ranked right,
    ties counting one half. One cumulative sum over the smaller class, one or two
    gathers over the larger; equal scores are grouped through searchsorted bounds."""
    neg_smaller, lo, hi = data.auc_plan
    w_neg, w_pos = weights[:, : data.n_neg], weights[:, data.n_neg :]
    w_small, w_big = (w_neg, w_pos) if neg_smaller else (w_pos, w_neg)
    acc: type[np.generic] = np.float64
    if weights.dtype == np.uint8 and data.n < 1 << 22:
        acc = np.int32  # 2 * 255 * n fits: half the memory traffic of int64
    elif weights.dtype.kind in "ui":
        acc = np.int64
    exact = np.float64 if acc is np.float64 else np.int64
    below = np.zeros((len(weights), w_small.shape[1] + 1), dtype=acc)
    np.cumsum(w_small, axis=1, dtype=acc, out=below[:, 1:])
    gathered = np.take(below, lo, axis=1)
    if hi is None:
        gathered *= 2
    else:
        gathered += np.take(below, hi, axis=1)
    twice = np.einsum("ij,ij->i", w_big, gathered, dtype=exact).astype(np.float64)
    pairs = below[:, -1].astype(np.float64) * w_big.sum(axis=1, dtype=exact)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = twice / (2 * pairs)
    # with the negatives below, the pairs counted are the concordant ones
    auc = share if neg_smaller else 1.0 - share
    return np.where(pairs > 0, auc, np.nan)


def _cumulative(data: _Sorted, weights: npt.NDArray[Any]) -> tuple[Floats, Floats]:
    """Per row, the running weight of negatives and of positives (a leading 0 each)."""
    out = []
    for part in (weights[:, : data.n_neg], weights[:, data.n_neg :]):
        running = np.zeros((len(weights), part.shape[1] + 1))
        np.cumsum(part, axis=1, dtype=np.float64, out=running[:, 1:])
        out.append(running)
    return out[0], out[1]


def _curve_rows(name: str, data: _Sorted, weights: npt.NDArray[Any]) -> Floats:
    """Weighted ks or pr_auc per row. KS: the largest gap between the classes' weighted
    score distributions, read at every score (a step function changes only there). Average
    precision: the mean, over positives by weight, of the precision at that positive's
    score taken as threshold (tied rows share it, as scikit-learn's curve does)."""
    nn, n_p, pn, pp, pn_lo, pp_lo = data.curve_plan
    neg, pos = _cumulative(data, weights)
    total_neg, total_pos = neg[:, -1:], pos[:, -1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        if name == "ks":
            gaps = [np.abs(np.take(neg, a, axis=1) / total_neg
                           - np.take(pos, b, axis=1) / total_pos)
                    for a, b in ((nn, n_p), (pn, pp))]
            found = np.max([g.max(axis=1, initial=0.0) for g in gaps], axis=0)
            return np.where((total_neg[:, 0] > 0) & (total_pos[:, 0] > 0), found, np.nan)
        true_pos = total_pos - np.take(pos, pp_lo, axis=1)
        called = true_pos + total_neg - np.take(neg, pn_lo, axis=1)
        precision = np.divide(true_pos, called, out=np.zeros_like(true_pos), where=called > 0)
        w_pos = weights[:, data.n_neg :].astype(np.float64, copy=False)
        ap = np.einsum("ij,ij->i", w_pos, precision) / total_pos[:, 0]
        return np.where(total_pos[:, 0] > 0, ap, np.nan)


def _confusion(data: _Sorted, weights: npt.NDArray[Any]) -> tuple[Floats, ...]:
    """(tn, fp, fn, tp) per row."""
    return tuple(weights[:, a:b].sum(axis=1, dtype=np.float64) for a, b in pairwise(data.cuts))


def _ratio(num: Floats, den: Floats) -> Floats:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def _from_counts(name: str, tn: Floats, fp: Floats, fn: Floats, tp: Floats) -> Floats:
    if name == "accuracy":
        return _ratio(tp + tn, tn + fp + fn + tp)
    if name == "precision":
        return _ratio(tp, tp + fp)
    if name == "recall":
        return _ratio(tp, tp + fn)
    return _ratio(2 * tp, 2 * tp + fp + fn)  # f1


def _rows(name: str, data: _Sorted, weights: npt.NDArray[Any]) -> Floats:
    if name == "roc_auc":
        return _auc_rows(data, weights)
    if name == "gini":
        return 2 * _auc_rows(data, weights) - 1
    if name in ("ks", "pr_auc"):
        return _curve_rows(name, data, weights)
    if name in ("log_loss", "brier"):
        w = weights.astype(np.float64, copy=False)
        return _ratio(resample.dot(w, data.losses(name)), w.sum(axis=1))
    return _from_counts(name, *_confusion(data, weights))


def _why(name: str, data: _Sorted, weights: npt.NDArray[Any]) -> str:
    """Why ``name`` is undefined on the single row of ``weights``."""
    if data.n == 0:
        return "there are no predictions"
    if not weights.any():
        return "every prediction has weight 0"
    tn, fp, _, _ = (float(c[0]) for c in _confusion(data, weights))
    if name in ("roc_auc", "gini", "ks"):
        return f"every label is {1 if tn + fp == 0 else 0}; {name} needs both classes"
    if name == "pr_auc":
        return "no label is 1; pr_auc needs a positive"
    if name == "precision":
        return f"no prediction is positive (no score >= {THRESHOLD})"
    if name == "recall":
        return "no label is 1"
    return f"no label is 1 and no score is >= {THRESHOLD}"


def _check_name(name: str) -> None:
    if name not in METRICS:
        raise ValueError(f"unknown metric {name!r}; known: {', '.join(METRICS)}")


def metric(name: str, label: Any, score: Any, weight: Any = None) -> float:
    """``name`` of the predictions, optionally with per-row weights (sklearn's
    ``sample_weight``). Raises :class:`UndefinedMetric` saying why it has no value."""
    _check_name(name)
    data, order = _prepare(label, score)
    if weight is None:
        return _point(name, data)
    w = np.asarray(weight, dtype=np.float64)
    if w.shape != (data.n,) or not np.all(np.isfinite(w) & (w >= 0)):
        raise ValueError("weight must be finite, non-negative and one per prediction")
    return _point(name, data, w[order][np.newaxis, :])


def _point(name: str, data: _Sorted, weights: npt.NDArray[Any] | None = None) -> float:
    if weights is None:
        weights = np.ones((1, data.n), dtype=np.int64)
    value = float(_rows(name, data, weights)[0])
    if math.isnan(value):
        raise UndefinedMetric(_why(name, data, weights))
    return value


def metric_value(name: str, label: Any, score: Any,
                 weight: Any = None) -> tuple[float, str | None]:
    """``(value, None)``, or ``(nan, why)`` when the metric is undefined on the data;
    ``weight`` as :func:`metric` takes it."""
    try:
        return metric(name, label, score, weight), None
    except UndefinedMetric as exc:
        return math.nan, str(exc)


# --- the bootstrap ---


def _prime(name: str, data: _Sorted) -> None:
    """Compute the cached plans ``name`` reads once, before threads share ``data``."""
    if name in ("roc_auc", "gini"):
        _ = data.auc_plan
    elif name in ("ks", "pr_auc"):
        _ = data.curve_plan
    elif name in ("log_loss", "brier"):
        data.losses(name)


def _bootstrap(name: str, data: _Sorted, *, resamples: int, seed: int) -> Floats:
    """The metric on each of ``resamples`` Poisson-bootstrap resamples (NaN: undefined)."""
    if name not in COUNTED:
        _prime(name, data)
        return resample.chunked(
            seed, resamples, resample.chunk_rows(data.n),
            lambda rng, rows: _rows(name, data, resample.weight_rows(rng, rows, data.n)))
    full = np.ones((1, data.n), dtype=np.int64)
    counts = np.array([c[0] for c in _confusion(data, full)])
    drawn = np.random.default_rng(seed).poisson(counts, size=(resamples, 4)).astype(np.float64)
    return _from_counts(name, *drawn.T)


def bootstrap_interval(
    name: str, label: Any, score: Any, *, resamples: int = 1000, level: float = 0.95,
    seed: int = 0,
) -> Interval:
    """Percentile bootstrap interval of ``name``, reproducible for a given ``seed``.

    Resamples on which the metric is undefined (say, no positive drawn) are left out and
    counted in ``resamples_used``. Raises :class:`UndefinedMetric` when the metric is
    undefined on the data itself, or on every resample."""
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level}")
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, got {resamples}")
    _check_name(name)
    data, _ = _prepare(label, score)
    point = _point(name, data)
    values = _bootstrap(name, data, resamples=resamples, seed=seed)
    values = values[~np.isnan(values)]
    if len(values) == 0:
        raise UndefinedMetric(f"none of {resamples} resamples has a value")
    tail = (1 - level) / 2
    low, high = np.quantile(values, [tail, 1 - tail])
    return Interval(point, float(low), float(high), level, resamples, len(values))
