"""Regression metrics of (labels, predicted values), for one row of weights per resample.

rmse and mae as usual; r2 is 1 - SS_res / SS_tot around the weighted mean label, undefined
when every label is the same (scikit-learn returns 0 or 1 there, which no gate should
read as evidence); mape is mean |error| / |label| as a fraction, undefined when a label
is 0 (scikit-learn divides by machine epsilon instead, a number in the quadrillions).
Weights are in the rows' own order; NaN marks an undefined value, :meth:`Regression.why`
says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from mlgate.config.model import TASK_METRICS
from mlgate.evaluation import resample

Floats = npt.NDArray[np.float64]

METRICS = TASK_METRICS["regression"]


@dataclass(frozen=True)
class Regression:
    label: Floats
    value: Floats

    @property
    def n(self) -> int:
        return len(self.label)

    def subset(self, rows: npt.NDArray[np.intp]) -> Regression:
        """The rows ``rows`` alone (a slice)."""
        return Regression(self.label[rows], self.value[rows])

    @cached_property
    def _terms(self) -> dict[str, Floats]:
        error = self.value - self.label
        centred = self.label - (self.label.mean() if self.n else 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            relative = np.abs(error) / np.abs(self.label)
        return {"squared": error**2, "absolute": np.abs(error), "centred": centred,
                "centred2": centred**2, "relative": relative}

    @cached_property
    def has_zero_label(self) -> bool:
        return bool(np.any(self.label == 0))

    def prime(self, name: str) -> None:
        """Compute what ``name`` reads once, before threads share this object."""
        _ = self._terms, self.has_zero_label

    def rows(self, name: str, weights: npt.NDArray[Any]) -> Floats:
        """``name`` under each row of ``weights`` (shape (r, n), NaN: undefined)."""
        w = weights.astype(np.float64, copy=False)
        total = w.sum(axis=1)
        t = self._terms
        with np.errstate(invalid="ignore", divide="ignore"):
            if name == "rmse":
                squared = resample.dot(w, t["squared"])
                return np.where(total > 0, np.sqrt(squared / total), np.nan)
            if name == "mae":
                return np.where(total > 0, resample.dot(w, t["absolute"]) / total, np.nan)
            if name == "mape":
                if self.has_zero_label:
                    return np.full(len(w), np.nan)
                return np.where(total > 0, resample.dot(w, t["relative"]) / total, np.nan)
            spread = resample.dot(w, t["centred2"]) - resample.dot(w, t["centred"]) ** 2 / total
            squared = resample.dot(w, t["squared"])  # r2
            return np.where((total > 0) & (spread > 0), 1 - squared / spread, np.nan)

    def why(self, name: str) -> str:
        """Why ``name`` has no value on the unweighted rows."""
        if self.n == 0:
            return "there are no rows"
        if name == "mape":
            zeros = int(np.count_nonzero(self.label == 0))
            return f"{zeros} label(s) are 0; mape divides by the label"
        if name == "r2":
            return f"every label is {self.label[0]:g}; r2 needs labels that vary"
        return "every row has weight 0"
