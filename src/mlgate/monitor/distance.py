"""Drift statistics on summaries: effect sizes, not p-values.

With a million rows every difference is "significant"; what matters is how large it is.
So every statistic here measures the size of a change in distribution and is compared
with fixed thresholds (see :class:`mlgate.monitor.drift.DriftConfig`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from mlgate.monitor.sketch import Sketch

Level = Literal["ok", "warn", "alert"]
LEVELS: tuple[Level, ...] = ("ok", "warn", "alert")

DEFAULT_EPSILON = 1e-4


def worst(levels: Iterable[Level]) -> Level:
    """The most severe of ``levels``; ``"ok"`` if there are none."""
    return max(levels, key=LEVELS.index, default="ok")


@dataclass(frozen=True)
class Thresholds:
    """A statistic warns at ``value >= warn`` and alerts at ``value >= alert``.

    A statistic that cannot be computed (NaN: no values on one side) warns: silence
    would hide an empty or broken feed.
    """

    warn: float
    alert: float

    def __post_init__(self) -> None:
        if not self.warn <= self.alert:
            raise ValueError(f"warn threshold {self.warn} exceeds alert threshold {self.alert}")

    def classify(self, value: float) -> Level:
        if math.isnan(value):
            return "warn"
        if value >= self.alert:
            return "alert"
        if value >= self.warn:
            return "warn"
        return "ok"


def psi(
    reference: npt.ArrayLike, current: npt.ArrayLike, epsilon: float = DEFAULT_EPSILON
) -> float:
    """Population stability index of two count vectors over the same bins.

    ``sum((c - r) * ln(c / r))`` over bin shares, each share floored at ``epsilon`` so
    that an empty bin costs a finite amount. NaN when either side has no mass.
    """
    ref = np.asarray(reference, dtype=np.float64)
    cur = np.asarray(current, dtype=np.float64)
    ref_total, cur_total = ref.sum(), cur.sum()
    if ref_total <= 0 or cur_total <= 0:
        return math.nan
    r = np.maximum(ref / ref_total, epsilon)
    c = np.maximum(cur / cur_total, epsilon)
    return float(np.sum((c - r) * np.log(c / r)))


def jensen_shannon(reference: npt.ArrayLike, current: npt.ArrayLike) -> float:
    """Jensen-Shannon distance (square root of the divergence, base 2), in [0, 1]."""
    ref = np.asarray(reference, dtype=np.float64)
    cur = np.asarray(current, dtype=np.float64)
    ref_total, cur_total = ref.sum(), cur.sum()
    if ref_total <= 0 or cur_total <= 0:
        return math.nan
    p, q = ref / ref_total, cur / cur_total
    m = (p + q) / 2
    divergence = 0.5 * (_kl_bits(p, m) + _kl_bits(q, m))
    return float(math.sqrt(min(max(divergence, 0.0), 1.0)))


def _kl_bits(p: npt.NDArray[np.float64], m: npt.NDArray[np.float64]) -> float:
    present = p > 0
    return float(np.sum(p[present] * np.log2(p[present] / m[present])))


def aligned_counts(
    reference: Mapping[str, int], current: Mapping[str, int]
) -> tuple[list[str], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Both category counts over the sorted union of categories."""
    categories = sorted(set(reference) | set(current))
    ref = np.array([reference.get(c, 0) for c in categories], dtype=np.int64)
    cur = np.array([current.get(c, 0) for c in categories], dtype=np.int64)
    return categories, ref, cur


def sketch_psi(
    reference: Sketch, current: Sketch, bins: int = 10, epsilon: float = DEFAULT_EPSILON
) -> float:
    """PSI over the reference's quantile bins (deciles by default), exact on buckets."""
    edges = reference.quantile_edges(bins)
    return psi(reference.bin_counts(edges), current.bin_counts(edges), epsilon)


def sketch_wasserstein(reference: Sketch, current: Sketch) -> float:
    """Wasserstein-1 distance between the distributions the two sketches describe.

    Both are read as point masses at their buckets' representative values, so the
    result is the area between the two CDFs, exact up to the sketch's accuracy.
    """
    ref_total, cur_total = reference.count, current.count
    if ref_total == 0 or cur_total == 0:
        return math.nan
    ordinals = np.union1d(reference.ordinals, current.ordinals)
    cdf_gap = np.zeros(ordinals.size, dtype=np.float64)
    np.add.at(cdf_gap, np.searchsorted(ordinals, reference.ordinals), reference.counts / ref_total)
    np.add.at(cdf_gap, np.searchsorted(ordinals, current.ordinals), -current.counts / cur_total)
    cdf_gap = np.cumsum(cdf_gap)
    positions = reference.values(ordinals)
    return float(np.sum(np.abs(cdf_gap[:-1]) * np.diff(positions)))


def normalised_wasserstein(reference: Sketch, current: Sketch, reference_std: float) -> float:
    """W1 in units of the reference standard deviation (0 or inf for a constant reference)."""
    distance = sketch_wasserstein(reference, current)
    if math.isnan(distance):
        return distance
    if reference_std > 0:
        return distance / reference_std
    return 0.0 if distance == 0 else math.inf
