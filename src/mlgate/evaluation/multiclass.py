"""Multiclass metrics of (integer labels 0..k-1, an n-by-k matrix of class probabilities),
for one row of weights per resample, numpy only.

The predicted class is the first of the largest probabilities (numpy's ``argmax``, as
scikit-learn's). Macro f1 averages over the classes present among the labels or the
predictions (scikit-learn's default labels); weighted f1 weights each class by its label
count; ``roc_auc_ovr`` is the unweighted mean of the one-vs-rest ROC AUCs and needs every
class among the labels. Weights are given in the rows' own order; a value that has no
meaning on the data is NaN, and :meth:`Multiclass.why` says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from mlgate.config.model import TASK_METRICS
from mlgate.evaluation import binary, resample

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

METRICS = TASK_METRICS["multiclass"]
COUNTED = ("accuracy", "f1_macro", "f1_weighted")  # functions of the confusion matrix


def from_confusion(name: str, confusion: Floats) -> Floats:
    """``name`` for each (k, k) confusion matrix (rows: label, columns: prediction) in the
    stack ``confusion`` of shape (r, k, k)."""
    hits = np.diagonal(confusion, axis1=1, axis2=2)
    true, called = confusion.sum(axis=2), confusion.sum(axis=1)
    total = true.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        if name == "accuracy":
            return np.where(total > 0, hits.sum(axis=1) / total, np.nan)
        both = true + called
        f1 = np.divide(2 * hits, both, out=np.zeros_like(both), where=both > 0)
        if name == "f1_macro":
            present = (both > 0).sum(axis=1)
            return np.where(present > 0, f1.sum(axis=1) / present, np.nan)
        return np.where(total > 0, (f1 * true).sum(axis=1) / total, np.nan)  # f1_weighted


@dataclass(frozen=True)
class Multiclass:
    label: Ints
    scores: Floats

    @property
    def n(self) -> int:
        return len(self.label)

    def subset(self, rows: npt.NDArray[np.intp]) -> Multiclass:
        """The rows ``rows`` alone (a slice)."""
        return Multiclass(self.label[rows], self.scores[rows])

    @property
    def k(self) -> int:
        return int(self.scores.shape[1])

    @cached_property
    def cell(self) -> Ints:
        """Each row's confusion cell: label * k + predicted class."""
        predicted = np.argmax(self.scores, axis=1)
        cells: Ints = (self.label * self.k + predicted).astype(np.int64)
        return cells

    @cached_property
    def _cell_plan(self) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], Ints]:
        order = np.argsort(self.cell, kind="stable")
        cells = self.cell[order]
        starts = np.flatnonzero(np.r_[True, cells[1:] != cells[:-1]]) if self.n else order
        return order, starts, cells[starts]

    @cached_property
    def _losses(self) -> Floats:
        p = self.scores[np.arange(self.n), self.label]
        losses: Floats = -np.log(np.clip(p, binary.EPSILON, 1 - binary.EPSILON))
        return losses

    @cached_property
    def _one_vs_rest(self) -> list[tuple[binary._Sorted, npt.NDArray[np.intp]]]:
        return [binary._prepare(self.label == c, self.scores[:, c]) for c in range(self.k)]

    def confusion(self, weights: npt.NDArray[Any]) -> Floats:
        """The weighted confusion matrix of each row of ``weights``: shape (r, k, k)."""
        out = np.zeros((len(weights), self.k * self.k))
        if self.n:
            order, starts, cells = self._cell_plan
            out[:, cells] = np.add.reduceat(weights[:, order], starts, axis=1, dtype=np.float64)
        return out.reshape(len(weights), self.k, self.k)

    def prime(self, name: str) -> None:
        """Compute what ``name`` reads once, before threads share this object."""
        if name in COUNTED:
            _ = self._cell_plan
        elif name == "log_loss":
            _ = self._losses
        else:
            for data, _ in self._one_vs_rest:
                _ = data.auc_plan

    def rows(self, name: str, weights: npt.NDArray[Any]) -> Floats:
        """``name`` under each row of ``weights`` (shape (r, n), NaN: undefined)."""
        if name in COUNTED:
            return from_confusion(name, self.confusion(weights))
        if name == "log_loss":
            w = weights.astype(np.float64, copy=False)
            total = w.sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.where(total > 0, resample.dot(w, self._losses) / total, np.nan)
        aucs = [binary._auc_rows(data, weights[:, order]) for data, order in self._one_vs_rest]
        mean: Floats = np.mean(aucs, axis=0)  # roc_auc_ovr; NaN when any class lacks rows
        return mean

    def why(self, name: str) -> str:
        """Why ``name`` has no value on the unweighted rows."""
        if self.n == 0:
            return "there are no rows"
        if name == "roc_auc_ovr":
            counts = np.bincount(self.label, minlength=self.k)
            absent = [str(c) for c in range(self.k) if counts[c] in (0, self.n)]
            return (f"class {absent[0]} is {'every' if counts[int(absent[0])] else 'no'} "
                    "label; roc_auc_ovr needs every class among the labels, and another")
        return "every row has weight 0"
