"""Weighted ROC AUC of two models under the same rows of weights, the paired bootstrap's
hot loop. Gives the same values as :func:`mlgate.evaluation.binary._auc_rows` on each
model (the tests check it), with less memory traffic:

- the weights are drawn once per resample, laid out class by class, and both models
  read them; only the smaller class's weights are put in each model's score order (for
  the running sum), the larger class's are read in place;
- each row of the larger class needs the running weight of the smaller class below its
  score, and at most as high (ties count one half). Scores repeat (rounded
  probabilities, tree models), so the pairs of bounds are gathered once per distinct
  pair, then spread to the rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Index = npt.NDArray[np.intp]


@dataclass(frozen=True)
class _Plan:
    """One model's view: the smaller class's order by score, and per distinct pair of
    bounds (low, high) the running-sum positions, with each larger-class row's pair."""

    order: Index
    low: Index
    high: Index | None  # None: no score is shared across classes (count low twice)
    spread: Index | None  # row -> its pair; None when pairs are as many as the rows


def _plan(small: Floats, big: Floats) -> _Plan:
    order = np.argsort(small, kind="stable")
    ranked = small[order]
    low = np.searchsorted(ranked, big, side="left")
    high = np.searchsorted(ranked, big, side="right")
    tied = not np.array_equal(low, high)
    keys = low * (len(small) + 1) + high if tied else low
    distinct, spread = np.unique(keys, return_inverse=True)
    if len(distinct) * 2 > len(big):
        return _Plan(order, low, high if tied else None, None)
    if tied:
        return _Plan(order, distinct // (len(small) + 1), distinct % (len(small) + 1), spread)
    return _Plan(order, distinct, None, spread)


class PairedAuc:
    """ROC AUC of models ``a`` and ``b`` on rows labelled ``label`` (booleans), for weight
    matrices whose columns are the rows in :attr:`layout` order."""

    def __init__(self, label: npt.NDArray[np.bool_], a: Floats, b: Floats) -> None:
        positives, negatives = np.flatnonzero(label), np.flatnonzero(~label)
        self.negatives_smaller = len(negatives) <= len(positives)
        small, big = ((negatives, positives) if self.negatives_smaller
                      else (positives, negatives))
        self.n_small = len(small)
        self.layout: Index = np.concatenate([small, big])
        self.plans = [_plan(s[small], s[big]) for s in (a, b)]

    def _accumulator(self, weights: npt.NDArray[Any]) -> type[np.generic]:
        if weights.dtype == np.uint8 and weights.shape[1] < 1 << 22:
            return np.int32  # 2 * 255 * n fits
        return np.int64 if weights.dtype.kind in "ui" else np.float64

    def rows(self, weights: npt.NDArray[Any]) -> tuple[Floats, Floats]:
        """Each model's AUC under each row of ``weights`` (columns in :attr:`layout`
        order); NaN where a class has weight 0."""
        acc = self._accumulator(weights)
        exact: type[np.generic] = np.float64 if acc is np.float64 else np.int64
        w_small, w_big = weights[:, : self.n_small], weights[:, self.n_small :]
        pairs = (w_small.sum(axis=1, dtype=exact).astype(np.float64)
                 * w_big.sum(axis=1, dtype=exact))
        out = []
        for plan in self.plans:
            below = np.zeros((len(weights), self.n_small + 1), dtype=acc)
            np.cumsum(np.take(w_small, plan.order, axis=1), axis=1, dtype=acc, out=below[:, 1:])
            bounds = np.take(below, plan.low, axis=1)
            if plan.high is None:
                bounds *= 2
            else:
                bounds += np.take(below, plan.high, axis=1)
            if plan.spread is not None:
                bounds = np.take(bounds, plan.spread, axis=1)
            twice = np.einsum("ij,ij->i", w_big, bounds, dtype=exact).astype(np.float64)
            with np.errstate(invalid="ignore", divide="ignore"):
                share = twice / (2 * pairs)
            auc = share if self.negatives_smaller else 1.0 - share
            out.append(np.where(pairs > 0, auc, np.nan))
        return out[0], out[1]
