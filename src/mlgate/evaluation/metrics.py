"""The one metric module for every task: the metrics mlgate computes itself, on labels it
joined and scores it read, and what each task allows as input.

Inputs per task (row i of ``labels`` goes with row i of ``scores``):

- ``binary``: labels 0/1 (or booleans), scores (n,) the probability of class 1, in [0, 1];
- ``multiclass``: labels integer class codes 0..k-1, scores (n, k) rows of class
  probabilities, each in [0, 1] and summing to 1 within 1e-6;
- ``regression``: labels finite numbers, scores (n,) finite predicted values.

Input a task does not allow raises :class:`~mlgate.errors.MlgateError` (exit 2) saying
what was found and what was expected. A metric that has no value on valid data (mape with
a label 0, an AUC with one class) is ``None`` in :func:`compute`, and
:func:`undefined_reason` (or :func:`evaluate`, both at once) says why. Every metric is
computed by one function of (data, one row of weights per resample), so the value, the
bootstrap and the paired comparison all read the same code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt

from mlgate.config.model import TASK_METRICS
from mlgate.errors import MlgateError
from mlgate.evaluation import binary, multiclass, regression

Task = Literal["binary", "multiclass", "regression"]
TASKS: tuple[Task, ...] = ("binary", "multiclass", "regression")
METRICS: dict[Task, tuple[str, ...]] = TASK_METRICS
COUNTED: dict[Task, tuple[str, ...]] = {
    "binary": binary.COUNTED, "multiclass": multiclass.COUNTED, "regression": ()}
_LOWER = frozenset({"log_loss", "brier", "rmse", "mae", "mape"})
SUM_TOLERANCE = 1e-6
LOGGED_TOLERANCE = 1e-4  # probabilities written with a few decimals (a CSV, a log)

Floats = npt.NDArray[np.float64]


def direction(metric: str) -> Literal["higher", "lower"]:
    """Which way ``metric`` (any task's) gets better."""
    if not any(metric in names for names in METRICS.values()):
        raise ValueError(f"unknown metric {metric!r}")
    return "lower" if metric in _LOWER else "higher"


class Prepared(Protocol):
    """Validated rows of one model, ready for any number of weightings."""

    @property
    def n(self) -> int: ...

    def prime(self, name: str) -> None: ...

    def rows(self, name: str, weights: npt.NDArray[Any]) -> Floats: ...

    def why(self, name: str) -> str: ...

    def subset(self, rows: npt.NDArray[np.intp]) -> Prepared: ...


def _unit(n: int) -> Floats:
    """One row of unit weights: the metric's value itself."""
    return np.ones((1, n), dtype=np.float64)


@dataclass(frozen=True)
class _Binary:
    """:mod:`mlgate.evaluation.binary` behind the task-neutral interface: weights come in
    the rows' order and are put in its (label, score) order."""

    data: binary._Sorted
    order: npt.NDArray[np.intp]

    @property
    def n(self) -> int:
        return self.data.n

    def prime(self, name: str) -> None:
        binary._prime(name, self.data)

    def rows(self, name: str, weights: npt.NDArray[Any]) -> Floats:
        if weights.shape[0] == 1 and weights.dtype == np.float64 and (weights == 1).all():
            return binary._rows(name, self.data, weights)  # unit weights: no reordering
        return binary._rows(name, self.data, weights[:, self.order])

    def subset(self, rows: npt.NDArray[np.intp]) -> _Binary:
        """The rows ``rows`` (increasing positions) alone: a subset of rows sorted by
        (label, score) is still sorted, so no sort again."""
        keep = np.zeros(self.n, dtype=np.bool_)
        keep[rows] = True
        kept = keep[self.order]
        rank = np.cumsum(keep) - 1
        data = binary._Sorted(self.data.score[kept],
                              int(np.count_nonzero(kept[: self.data.n_neg])))
        return _Binary(data, rank[self.order[kept]])

    def why(self, name: str) -> str:
        return binary._why(name, self.data, np.ones((1, self.n), dtype=np.int64))

    @property
    def cell(self) -> npt.NDArray[np.int64]:
        """Each row's confusion cell, 0..3: tn, fp, fn, tp (label * 2 + predicted)."""
        y = np.arange(self.n) >= self.data.n_neg
        cells = np.empty(self.n, dtype=np.int64)
        cells[self.order] = 2 * y + (self.data.score >= binary.THRESHOLD)
        return cells


def _task(task: str) -> Task:
    if task not in TASKS:
        raise MlgateError(f"unknown task {task!r}", hint=f"one of: {', '.join(TASKS)}")
    return task


def _first_bad(mask: Any) -> int:
    return int(np.flatnonzero(mask)[0])


def check_labels(task: Task, labels: npt.ArrayLike) -> None:
    """Raise :class:`MlgateError` for labels ``task`` does not allow."""
    _labels(_task(task), labels)


def _labels(task: Task, labels: npt.ArrayLike) -> npt.NDArray[Any]:
    y: npt.NDArray[Any] = np.asarray(labels)
    if y.ndim != 1:
        raise MlgateError(f"labels must be one value per row, got an array of shape {y.shape}")
    if y.dtype == np.bool_:
        y = y.astype(np.int64)
    expected = {"binary": "0 or 1", "multiclass": "integer class codes 0, 1, ..., k-1",
                "regression": "finite numbers"}[task]
    if y.dtype.kind not in "iuf":
        raise MlgateError(f"{task} labels must be {expected}, got values of type {y.dtype}",
                          hint="encode the label column as numbers")
    finite = np.isfinite(y)
    if not finite.all():
        row = _first_bad(~finite)
        raise MlgateError(f"label of row {row} is {y[row]}; {task} labels must be {expected}",
                          hint="drop or fill rows without a label")
    if task == "binary":
        bad = (y != 0) & (y != 1)
    elif task == "multiclass":
        bad = (y < 0) | (y != np.round(y))
    else:
        return y.astype(np.float64)
    if bad.any():
        row = _first_bad(bad)
        raise MlgateError(f"label of row {row} is {y[row]:g}; {task} labels must be {expected}",
                          hint="write the positive class as 1, the other as 0" if task == "binary"
                          else "map each class to its code (its position among the classes)")
    return y.astype(np.int64)


def _scores(task: Task, scores: npt.ArrayLike, rows: int) -> Floats:
    s: npt.NDArray[Any] = np.asarray(scores)
    shape = "(n, k) class probabilities" if task == "multiclass" else "(n,) one score a row"
    if s.dtype.kind not in "biuf":
        raise MlgateError(f"scores must be numbers, got values of type {s.dtype}")
    if (s.ndim != (2 if task == "multiclass" else 1)) or len(s) != rows:
        raise MlgateError(f"{task} scores must be {shape} for {rows} labels, got shape {s.shape}")
    s = s.astype(np.float64)
    finite = np.isfinite(s)
    if not finite.all():
        count = int(np.count_nonzero(~finite))
        row = _first_bad(~finite.all(axis=1) if s.ndim == 2 else ~finite)
        raise MlgateError(f"{count} score(s) are NaN or infinite, the first in row {row}",
                          hint="every scored row needs a finite score")
    if task == "regression":
        return s
    outside = (s < 0) | (s > 1)
    if outside.any():
        row = _first_bad(outside.any(axis=1) if s.ndim == 2 else outside)
        raise MlgateError(f"score of row {row} is outside [0, 1]; {task} scores are "
                          "probabilities", hint="write probabilities, not logits or labels")
    if task == "multiclass":
        if s.shape[1] < 2:
            raise MlgateError(f"multiclass scores need one column per class, got {s.shape[1]}")
        off = np.abs(s.sum(axis=1) - 1) > SUM_TOLERANCE
        if off.any():
            row = _first_bad(off)
            raise MlgateError(f"the class probabilities of row {row} sum to "
                              f"{s[row].sum():.9g}, not 1 (within {SUM_TOLERANCE:g})",
                              hint="normalise each row (e.g. a softmax output)")
    return s


def normalise(scores: npt.ArrayLike, tolerance: float = LOGGED_TOLERANCE) -> Floats:
    """Multiclass probabilities read from a file, rows rescaled to sum to 1: a row written
    to 6 decimals sums to 1 within a few 1e-6. A row further than ``tolerance`` from 1 is
    bad input, like anything else :func:`prepare` refuses."""
    s: npt.NDArray[Any] = np.asarray(scores)
    if s.ndim != 2 or s.dtype.kind not in "biuf" or not len(s):
        return s.astype(np.float64) if s.dtype.kind in "biuf" else s
    sums = s.sum(axis=1, keepdims=True)
    off = np.abs(sums[:, 0] - 1) > tolerance
    if off.any():
        row = _first_bad(off)
        raise MlgateError(f"the class probabilities of row {row} sum to {sums[row, 0]:.9g}, "
                          f"not 1 (within {tolerance:g})",
                          hint="normalise each row (e.g. a softmax output)")
    with np.errstate(invalid="ignore", divide="ignore"):
        rescaled: Floats = s / sums
    return rescaled


def prepare(task: Task, labels: npt.ArrayLike, scores: npt.ArrayLike) -> Prepared:
    """Validate ``(labels, scores)`` for ``task``; the result computes any of its metrics."""
    task = _task(task)
    y = _labels(task, labels)
    s = _scores(task, scores, len(y))
    if task == "binary":
        data, order = binary._prepare(y, s)
        return _Binary(data, order)
    if task == "multiclass":
        k = s.shape[1]
        if len(y) and y.max() >= k:
            row = int(np.argmax(y))
            raise MlgateError(f"label of row {row} is class {y[row]}, but the scores have "
                              f"{k} class columns (codes 0 to {k - 1})",
                              hint="give the scores one column per class")
        return multiclass.Multiclass(y, s)
    return regression.Regression(y, s)


def check_metric(task: Task, metric: str) -> None:
    if metric not in METRICS[_task(task)]:
        raise MlgateError(f"{metric!r} is no {task} metric",
                          hint=f"{task} metrics: {', '.join(METRICS[task])}")


def value(data: Prepared, metric: str) -> tuple[float | None, str | None]:
    """``(value, None)`` of one metric of prepared rows, or ``(None, why)``."""
    found = float(data.rows(metric, _unit(data.n))[0])
    return (None, data.why(metric)) if np.isnan(found) else (found, None)


def evaluate(task: Task, labels: npt.ArrayLike, scores: npt.ArrayLike
             ) -> dict[str, tuple[float | None, str | None]]:
    """Every metric of ``task``: ``(value, None)``, or ``(None, why it is undefined)``."""
    return values(task, prepare(task, labels, scores))


def values(task: Task, data: Prepared) -> dict[str, tuple[float | None, str | None]]:
    """Every metric of ``task`` on prepared rows, as :func:`evaluate`."""
    return {name: value(data, name) for name in METRICS[task]}


def computed(task: Task, data: Prepared) -> dict[str, float | None]:
    """Every metric of ``task`` on prepared rows, as :func:`compute`."""
    return {name: found for name, (found, _) in values(task, data).items()}


def compute(task: Task, labels: npt.ArrayLike, scores: npt.ArrayLike
            ) -> dict[str, float | None]:
    """Every metric of ``task``; ``None`` for one undefined on the data."""
    return {name: found for name, (found, _) in evaluate(task, labels, scores).items()}


def undefined_reason(task: Task, metric: str, labels: npt.ArrayLike, scores: npt.ArrayLike
                     ) -> str | None:
    """Why ``metric`` is undefined on the data, or None when it has a value."""
    check_metric(task, metric)
    return value(prepare(task, labels, scores), metric)[1]


@dataclass(frozen=True)
class SliceMetrics:
    value: str  # the slice's value, as text ("null" for a missing one)
    rows: int
    metrics: dict[str, float | None]


def _text(group: Any) -> str:
    if group is None or (isinstance(group, float) and np.isnan(group)):
        return "null"
    return str(group.item() if isinstance(group, np.generic) else group)


def slice_rows(groups: npt.ArrayLike) -> list[tuple[str, npt.NDArray[np.intp]]]:
    """(value as text, its row positions, increasing) of each slice of ``groups``, ordered
    by text; a missing value (None, NaN) is the slice "null". Rows are grouped by one
    sort; only the distinct values are turned into text."""
    raw = np.asarray(groups, dtype=object) if not isinstance(groups, np.ndarray) else groups
    try:
        codes, distinct = np.unique(raw, return_inverse=True)[1], np.unique(raw)
    except TypeError:  # values that do not compare (None beside numbers, mixed types)
        found: dict[Any, int] = {}
        codes = np.fromiter((found.setdefault(_key(g), len(found)) for g in raw),
                            dtype=np.intp, count=len(raw))
        distinct = np.array(list(found), dtype=object)
        distinct = np.array([None if isinstance(d, tuple) else d for d in distinct],
                            dtype=object)
    names = np.array([_text(d) for d in distinct], dtype=object)
    text, merged = np.unique(names.astype(str), return_inverse=True)  # "1" and 1: one slice
    inverse = merged.reshape(-1)[np.asarray(codes).reshape(-1)]
    order = np.argsort(inverse, kind="stable")
    bounds = np.cumsum(np.bincount(inverse, minlength=len(text)))[:-1]
    return [(str(t), rows) for t, rows in zip(text, np.split(order, bounds), strict=True)]


def _key(group: Any) -> Any:
    """A dictionary key for ``group``; every missing value one key (NaN != NaN)."""
    if group is None or (isinstance(group, float) and np.isnan(group)):
        return ("null",)
    return group


def by_slice(task: Task, labels: npt.ArrayLike, scores: npt.ArrayLike,
             groups: npt.ArrayLike) -> list[SliceMetrics]:
    """The metrics of each slice (rows sharing a value of ``groups``), ordered by value."""
    y = np.asarray(labels)
    data = prepare(task, y, scores)  # every row valid, whatever slice it falls in
    sliced = slice_rows(groups)
    if sum(len(rows) for _, rows in sliced) != len(y):
        raise MlgateError(f"{sum(len(rows) for _, rows in sliced)} slice values for "
                          f"{len(y)} rows")
    return [SliceMetrics(name, len(rows), computed(task, data.subset(rows)))
            for name, rows in sliced]
