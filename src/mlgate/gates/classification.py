"""Binary-classification metrics and bootstrap confidence intervals, numpy only.

``label`` is 0/1, ``score`` the predicted probability of class 1; the classifying
metrics predict 1 when ``score >= 0.5`` (as the example pipeline's evaluate stage does).
A metric that has no value on the data raises :class:`UndefinedMetric` whose message
says why; :func:`metric_value` returns it as ``(nan, reason)`` instead.

The bootstrap is the Poisson bootstrap: in each resample every prediction gets an
independent Poisson(1) weight. It has the same limit as the classical multinomial
bootstrap, but rows are independent, so weights for a chunk of resamples are one
vectorised draw (a lookup table of Poisson(1) on 16-bit uniforms, exact to 2**-16 per
count), and confusion-matrix counts need no per-row weights at all: a sum of
independent Poisson(1) counts over k rows is Poisson(k). Chunks of resamples run on a
few threads (numpy releases the GIL); each chunk has its own seed, spawned from ``seed``,
so the interval depends on the seed alone.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache, cached_property
from itertools import pairwise
from typing import Any

import numpy as np
import numpy.typing as npt

METRICS = ("roc_auc", "accuracy", "f1", "precision", "recall", "log_loss", "brier")
THRESHOLD = 0.5
EPSILON = 1e-15  # log_loss clips probabilities to [EPSILON, 1 - EPSILON]

Floats = npt.NDArray[np.float64]
_CHUNK_CELLS = 1 << 19  # weights per chunk of resamples: bounds memory, stays in cache
_WORKERS = min(4, os.cpu_count() or 1)  # numpy drops the GIL in the heavy loops


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
    order = np.lexsort((s, y))
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
    if name in ("log_loss", "brier"):
        w = weights.astype(np.float64, copy=False)
        return _ratio(w @ data.losses(name), w.sum(axis=1))
    return _from_counts(name, *_confusion(data, weights))


def _why(name: str, data: _Sorted, weights: npt.NDArray[Any]) -> str:
    """Why ``name`` is undefined on the single row of ``weights``."""
    if data.n == 0:
        return "there are no predictions"
    if not weights.any():
        return "every prediction has weight 0"
    tn, fp, _, _ = (float(c[0]) for c in _confusion(data, weights))
    if name == "roc_auc":
        return f"every label is {1 if tn + fp == 0 else 0}; roc_auc needs both classes"
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


@cache
def _poisson_table() -> npt.NDArray[np.uint8]:
    """Poisson(1) count for each 16-bit uniform: inverse CDF rounded to 2**-16."""
    cdf = np.cumsum([math.exp(-1) / math.factorial(k) for k in range(12)])
    return np.searchsorted(np.round(cdf * 65536), np.arange(65536), side="right").astype(
        np.uint8
    )


def _weight_rows(rng: np.random.Generator, rows: int, n: int) -> npt.NDArray[np.uint8]:
    uniform = rng.integers(0, 65536, size=(rows, n), dtype=np.uint16)
    return np.take(_poisson_table(), uniform.astype(np.intp))


def _chunked(
    seed: int, resamples: int, chunk: int, work: Callable[[np.random.Generator, int], Floats]
) -> Floats:
    """``work(rng, rows)`` over chunks of resamples, each with its own child seed, so that
    the result depends on the seed alone, not on the order the chunks ran in."""
    starts = range(0, resamples, chunk)
    seeds = np.random.SeedSequence(seed).spawn(len(starts))

    def one(i: int) -> Floats:
        return work(np.random.default_rng(seeds[i]), min(chunk, resamples - starts[i]))

    if len(starts) == 1:
        return one(0)
    with ThreadPoolExecutor(_WORKERS) as pool:
        return np.concatenate(list(pool.map(one, range(len(starts)))))


def _bootstrap(name: str, data: _Sorted, *, resamples: int, seed: int) -> Floats:
    """The metric on each of ``resamples`` Poisson-bootstrap resamples (NaN: undefined)."""
    if name in ("roc_auc", "log_loss", "brier"):
        # computed once, before the threads share them
        _ = data.auc_plan if name == "roc_auc" else data.losses(name)
        chunk = max(1, min(resamples, _CHUNK_CELLS // max(data.n, 1)))
        return _chunked(seed, resamples, chunk,
                        lambda rng, rows: _rows(name, data, _weight_rows(rng, rows, data.n)))
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
