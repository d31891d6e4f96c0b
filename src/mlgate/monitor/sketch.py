"""A mergeable quantile sketch with data-independent logarithmic buckets.

The bucket scheme is DDSketch's logarithmic mapping: with ``gamma = (1 + a) / (1 - a)``
for a relative accuracy ``a``, a positive value ``x`` falls in bucket
``k = ceil(log(x) / log(gamma))``, i.e. ``(gamma**(k-1), gamma**k]``; a negative value
falls in the bucket of ``|x|`` on the negative side; exact zeros have their own bucket.
Because the boundaries depend only on ``a``, two sketches built with the same accuracy
merge exactly by adding counts, and every quantile read back is within ``a`` relative
error of a true sample value.

Internally buckets are kept as one sorted array of *ordinals*, an integer whose order is
the order of the values it stands for: ``+(k + OFFSET)`` for positive buckets,
``-(k + OFFSET)`` for negative ones and ``0`` for zero. Keys on disk are the plain ``k``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

DEFAULT_RELATIVE_ACCURACY = 0.01
# Larger than any |k| reachable by a finite float64 at any accuracy we accept (>= 1e-4).
_OFFSET = 1 << 32


def _gamma(relative_accuracy: float) -> float:
    if not 1e-4 <= relative_accuracy < 1:
        raise ValueError(f"relative accuracy must be in [1e-4, 1), got {relative_accuracy}")
    return (1 + relative_accuracy) / (1 - relative_accuracy)


@dataclass(frozen=True, eq=False)
class Sketch:
    """Sparse bucket counts; build with :meth:`from_values`, combine with :meth:`merge`."""

    relative_accuracy: float = DEFAULT_RELATIVE_ACCURACY
    ordinals: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    counts: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def gamma(self) -> float:
        return _gamma(self.relative_accuracy)

    @property
    def count(self) -> int:
        return int(self.counts.sum())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sketch):
            return NotImplemented
        return (
            self.relative_accuracy == other.relative_accuracy
            and np.array_equal(self.ordinals, other.ordinals)
            and np.array_equal(self.counts, other.counts)
        )

    __hash__ = None  # type: ignore[assignment]

    @classmethod
    def from_values(
        cls, values: FloatArray, relative_accuracy: float = DEFAULT_RELATIVE_ACCURACY
    ) -> Sketch:
        """Sketch of finite ``values`` (the caller drops NaN and infinities).

        One vectorised pass: bucket keys from ``log |x|``, then a single ``bincount`` over
        ``2 * key + sign``, so no boolean-mask copies of the data.
        """
        inv_log_gamma = 1.0 / math.log(_gamma(relative_accuracy))
        values = np.asarray(values, dtype=np.float64)
        if values.size == 0:
            return cls(relative_accuracy)
        logs = np.abs(values)
        zeros = logs == 0
        n_zero = int(np.count_nonzero(zeros))
        if n_zero:
            logs[zeros] = 1.0  # key 0 on the positive side; taken back out below
        np.log(logs, out=logs)
        logs *= inv_log_gamma
        np.ceil(logs, out=logs)
        keys = logs.astype(np.int64)
        low = int(keys.min())
        keys -= low
        keys <<= 1
        keys += np.signbit(values) & ~zeros
        counts = np.bincount(keys)
        if n_zero:
            counts[-2 * low] -= n_zero
        slots = np.flatnonzero(counts)
        bucket_keys = (slots >> 1) + low
        negative = (slots & 1).astype(bool)
        neg_order = np.flatnonzero(negative)[::-1]
        pos_order = np.flatnonzero(~negative)
        parts_o = [-(bucket_keys[neg_order] + _OFFSET)]
        parts_c = [counts[slots[neg_order]]]
        if n_zero:
            parts_o.append(np.zeros(1, dtype=np.int64))
            parts_c.append(np.array([n_zero], dtype=np.int64))
        parts_o.append(bucket_keys[pos_order] + _OFFSET)
        parts_c.append(counts[slots[pos_order]])
        return cls(
            relative_accuracy,
            np.concatenate(parts_o).astype(np.int64),
            np.concatenate(parts_c).astype(np.int64),
        )

    def merge(self, other: Sketch) -> Sketch:
        """The sketch of both inputs' values together (exact: counts add)."""
        if self.relative_accuracy != other.relative_accuracy:
            raise ValueError(
                "cannot merge sketches of different relative accuracy "
                f"({self.relative_accuracy} and {other.relative_accuracy})"
            )
        ordinals = np.union1d(self.ordinals, other.ordinals)
        counts = np.zeros(ordinals.size, dtype=np.int64)
        np.add.at(counts, np.searchsorted(ordinals, self.ordinals), self.counts)
        np.add.at(counts, np.searchsorted(ordinals, other.ordinals), other.counts)
        return Sketch(self.relative_accuracy, ordinals, counts)

    def values(self, ordinals: IntArray | None = None) -> FloatArray:
        """Representative value of each bucket (within the relative accuracy of its members)."""
        ords = self.ordinals if ordinals is None else ordinals
        gamma = self.gamma
        keys = np.abs(ords) - _OFFSET
        magnitude = 2.0 * np.power(gamma, keys.astype(np.float64)) / (gamma + 1.0)
        return np.where(ords == 0, 0.0, np.sign(ords) * magnitude)

    def quantiles(self, qs: FloatArray) -> FloatArray:
        """Values at the quantiles ``qs`` in [0, 1] (lower rank convention); NaN if empty."""
        qs = np.asarray(qs, dtype=np.float64)
        total = self.count
        if total == 0:
            return np.full(qs.shape, np.nan)
        cumulative = np.cumsum(self.counts)
        index = np.searchsorted(cumulative, qs * (total - 1), side="right")
        return self.values(self.ordinals[np.minimum(index, self.ordinals.size - 1)])

    def quantile_edges(self, bins: int) -> IntArray:
        """Bucket ordinals closing the first ``bins - 1`` equal-mass bins, deduplicated.

        A bucket with ordinal ``o`` belongs to bin ``searchsorted(edges, o)``: bins are
        unions of whole buckets, so any sketch's mass per bin is exact.
        """
        total = self.count
        if total == 0 or bins < 2:
            return np.zeros(0, dtype=np.int64)
        cumulative = np.cumsum(self.counts)
        targets = np.arange(1, bins, dtype=np.float64) / bins * total
        index = np.searchsorted(cumulative, targets, side="left")
        return np.unique(self.ordinals[np.minimum(index, self.ordinals.size - 1)])

    def bin_counts(self, edges: IntArray) -> IntArray:
        """Mass of this sketch in each bin defined by :meth:`quantile_edges`."""
        slots = np.searchsorted(edges, self.ordinals, side="left")
        return np.bincount(slots, weights=self.counts, minlength=edges.size + 1).astype(np.int64)

    def to_json(self) -> dict[str, Any]:
        """``{"negative": [[k, n], ...], "zero": n, "positive": [[k, n], ...]}``, k ascending."""
        negative = self.ordinals < 0
        positive = self.ordinals > 0
        zero = int(self.counts[self.ordinals == 0].sum())
        neg_keys = (-self.ordinals[negative] - _OFFSET)[::-1]
        neg_counts = self.counts[negative][::-1]
        pos_keys = self.ordinals[positive] - _OFFSET
        return {
            "negative": [[int(k), int(n)] for k, n in zip(neg_keys, neg_counts, strict=True)],
            "zero": zero,
            "positive": [
                [int(k), int(n)] for k, n in zip(pos_keys, self.counts[positive], strict=True)
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], relative_accuracy: float) -> Sketch:
        negative = np.array(data["negative"], dtype=np.int64).reshape(-1, 2)
        positive = np.array(data["positive"], dtype=np.int64).reshape(-1, 2)
        zero = int(data["zero"])
        ordinals = [-(negative[::-1, 0] + _OFFSET)]
        counts = [negative[::-1, 1]]
        if zero:
            ordinals.append(np.zeros(1, dtype=np.int64))
            counts.append(np.array([zero], dtype=np.int64))
        ordinals.append(positive[:, 0] + _OFFSET)
        counts.append(positive[:, 1])
        ords = np.concatenate(ordinals)
        if ords.size > 1 and not bool(np.all(np.diff(ords) > 0)):
            raise ValueError("sketch bucket keys must be strictly ascending")
        return cls(relative_accuracy, ords, np.concatenate(counts))
