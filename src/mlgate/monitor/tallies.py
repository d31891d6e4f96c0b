"""A multiclass or regression model's labelled rows reduced to aggregates an engine can
compute where the data lives (Spark), and the metric from them, as
:mod:`mlgate.evaluation.metrics` computes it from the rows (:class:`mlgate.monitor.batch.
Tally`). The binary model's tally is :class:`mlgate.monitor.batch.Pairs`.

Exact from the aggregates: a multiclass model's accuracy and F1 from the confusion counts,
its log loss from the sum of each row's loss, its one-vs-rest ROC AUC from the count of each
distinct ``(class probability, is that class)`` pair; a regression's rmse, mae, mape and r2
from sums (r2's spread of the labels from Spark's numerically stable variance). Only the
floating-point order of the sums differs from the local engine's (relative 1e-12).

Input the task does not allow is counted, not kept: the count stops the run (exit 2) when
the metric is asked for, as the local engine stops on the first bad row.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from mlgate.errors import MlgateError
from mlgate.evaluation import binary, multiclass
from mlgate.evaluation.metrics import LOGGED_TOLERANCE

Floats = npt.NDArray[np.float64]
Value = tuple[float | None, str | None]
# what the tallies compute exactly; a metric added to a task later is refused (exit 2)
# until it is reduced here too
REGRESSION = ("rmse", "mae", "mape", "r2")
MULTICLASS = (*multiclass.COUNTED, "log_loss", "roc_auc_ovr")


def check_reducible(task: str, metric: str) -> None:
    """Stop on a metric no tally computes (a binary model's are all exact from pairs)."""
    known = {"regression": REGRESSION, "multiclass": MULTICLASS}.get(task)
    if known is not None and metric not in known:
        raise MlgateError(f"--engine spark cannot compute the {task} metric {metric!r} from "
                          f"aggregates (it computes {', '.join(known)})",
                          hint="run this model's monitor with the local engine")


def _defined(found: float, why: str) -> Value:
    return (None, why) if math.isnan(found) else (found, None)


@dataclass
class RegressionTally:
    """Sums over the labelled rows; ``spread`` is the labels' sum of squared deviations
    from their mean."""

    n: int = 0
    squared: float = 0.0
    absolute: float = 0.0
    relative: float = 0.0  # sum of |error| / |label| over the labels that are not 0
    zeros: int = 0
    spread: float = 0.0
    lowest: float = math.nan
    bad_labels: int = 0  # infinite labels
    bad_scores: int = 0  # infinite predictions

    @property
    def rows(self) -> int:
        return self.n

    def value(self, metric: str) -> Value:
        if self.bad_labels:
            raise MlgateError(f"{self.bad_labels} label(s) are infinite; regression labels "
                              "must be finite numbers", hint="drop or fill rows without a label")
        if self.bad_scores:
            raise MlgateError(f"{self.bad_scores} score(s) are NaN or infinite",
                              hint="every scored row needs a finite score")
        if self.n == 0:
            return None, "there are no rows"
        if metric == "rmse":
            return math.sqrt(self.squared / self.n), None
        if metric == "mae":
            return self.absolute / self.n, None
        if metric == "mape":
            if self.zeros:
                return None, f"{self.zeros} label(s) are 0; mape divides by the label"
            return self.relative / self.n, None
        check_reducible("regression", metric)
        if self.spread > 0:  # r2
            return 1 - self.squared / self.spread, None
        return None, f"every label is {self.lowest:g}; r2 needs labels that vary"


@dataclass
class MulticlassTally:
    """What a multiclass metric reads of the labelled rows, class probabilities rescaled
    to sum to 1 as the local engine rescales logged ones: the confusion counts (labels by
    rows, predictions by columns), the sum of the rows' log losses, and per class the
    distinct ``(probability, is the class)`` pairs with their counts (only what the metric
    needs is filled in). ``off``/``outside``: rows whose probabilities do not sum to 1, or
    fall outside [0, 1], with an example sum."""

    k: int
    confusion: Floats = field(init=False)
    losses: float = 0.0
    ovr: list[list[tuple[float, bool, float]]] = field(init=False)
    off: int = 0
    off_sum: float = math.nan
    outside: int = 0

    def __post_init__(self) -> None:
        self.confusion = np.zeros((self.k, self.k))
        self.ovr = [[] for _ in range(self.k)]

    @property
    def rows(self) -> int:
        return int(self.confusion.sum())

    def value(self, metric: str) -> Value:
        if self.off:
            raise MlgateError(f"the class probabilities of {self.off} row(s) do not sum to 1 "
                              f"(within {LOGGED_TOLERANCE:g}), one to {self.off_sum:.9g}",
                              hint="normalise each row (e.g. a softmax output)")
        if self.outside:
            raise MlgateError(f"{self.outside} row(s) have a class probability outside "
                              "[0, 1]; multiclass scores are probabilities",
                              hint="write probabilities, not logits or labels")
        n = self.rows
        if n == 0:
            return None, "there are no rows"
        if metric in multiclass.COUNTED:
            found = float(multiclass.from_confusion(metric, self.confusion[np.newaxis])[0])
            return _defined(found, "every row has weight 0")
        if metric == "log_loss":
            return self.losses / n, None
        check_reducible("multiclass", metric)
        counts = self.confusion.sum(axis=1)  # roc_auc_ovr
        absent = [c for c in range(self.k) if counts[c] in (0, n)]
        if absent:
            return None, (f"class {absent[0]} is {'every' if counts[absent[0]] else 'no'} "
                          "label; roc_auc_ovr needs every class among the labels, and another")
        aucs = []
        for pairs in self.ovr:
            score, label, weight = (np.array(v, dtype=np.float64) for v in zip(*pairs,
                                                                                strict=True))
            aucs.append(binary.metric("roc_auc", label, score, weight))
        return float(np.mean(aucs)), None
