"""The performance gap's input computed in Spark, for every task, overall and per slice.

The scored rows (score columns, label, slice values as text) are stacked once per group
they belong to (the batch; each slice column's value, for labelled rows) and aggregated by
one ``groupBy``; the driver receives per group only what the metric needs
(:mod:`mlgate.monitor.tallies`): a binary model's ``(reduced score, label)`` counts, a
multiclass model's confusion counts, log-loss sum or per-class ``(probability, is the
class)`` counts, a regression's sums. Class probabilities are rescaled to sum to 1 in
numpy's summation order, so that predictions (argmax) and losses are the local engine's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DoubleType, FloatType

from mlgate.errors import MlgateError
from mlgate.evaluation import binary, multiclass
from mlgate.evaluation.metrics import LOGGED_TOLERANCE
from mlgate.monitor.batch import Labels, Pairs, Tallied, Tally
from mlgate.monitor.spark.session import spark_errors
from mlgate.monitor.tallies import MulticlassTally, RegressionTally, check_reducible

THRESHOLD_METRICS = ("accuracy", "precision", "recall", "f1")
LABEL = "__mlgate_label"
_COLUMN, _VALUE, _KNOWN, _ROWS = ("__mlgate_column", "__mlgate_value", "__mlgate_known",
                                  "__mlgate_rows")
_KEY, _CLASS, _GROUP = "__mlgate_key", "__mlgate_class", "__mlgate_group"


def score_column(i: int) -> str:
    return f"__mlgate_score{i}"


def slice_column(j: int) -> str:
    return f"__mlgate_slice{j}"


def label_text(frame: DataFrame, column: str) -> Column:
    """A class label as text, as the local engine reads it: a whole float is the integer
    class (2.0, written by a reader that met a null, is the class 2); NaN is no label."""
    value = F.col(column)
    if not isinstance(frame.schema[column].dataType, FloatType | DoubleType):
        return value.cast("string")
    return (F.when(F.isnan(value), F.lit(None).cast("string"))
            .when(value == F.floor(value), value.cast("long").cast("string"))
            .otherwise(value.cast("string")))


def slice_text(frame: DataFrame, column: str) -> Column:
    """A slice value as text, as Arrow writes it for the local engine: a whole float
    without a decimal point (1.0 is "1"), NaN as "nan"."""
    value = F.col(column)
    if not isinstance(frame.schema[column].dataType, FloatType | DoubleType):
        return value.cast("string")
    return (F.when(F.isnan(value), F.lit("nan"))
            .when((value == F.floor(value)) & (F.abs(value) < 1e15),
                  value.cast("long").cast("string"))
            .otherwise(value.cast("string")))


def label_value(frame: DataFrame, column: str, how: Labels) -> Column:
    """The label as the task reads it, null where missing: a number (NaN is no label), or a
    multiclass model's class code (-1: none of the classes)."""
    if how.task == "multiclass":
        text = label_text(frame, column)
        code = F.array_position(F.array(*[F.lit(c) for c in how.classes]), text) - 1
        return F.when(text.isNotNull(), code.cast("int"))
    number = F.col(column).cast("double")
    return F.when(~F.isnan(number), number)


PARTIAL = "__mlgate_partial"  # a multiclass row scored for some classes only


def unknown_class(frame: DataFrame, column: str, how: Labels) -> None:
    """Stop at a label that is none of the classes, naming it."""
    text = label_text(frame, column)
    with spark_errors("cannot check the labels"):
        found = frame.where(label_value(frame, column, how) == -1).select(text).limit(1
                                                                              ).collect()
    if found:
        raise MlgateError(f"label column {column!r} holds {found[0][0]!r}, which is none of "
                          f"the model's classes ({', '.join(how.classes)})",
                          hint="the classes are evaluation.classes in the model declaration")


def _numpy_sum(values: Sequence[Column]) -> Column:
    """Σ values in numpy's order for a row (pairwise, eight accumulators from eight terms
    on), so that a row sums to the very float ``ndarray.sum(axis=1)`` gives."""
    n = len(values)
    if n < 8:
        total = values[0]
        for v in values[1:]:
            total = total + v
        return total
    if n > 128:
        half = n // 2
        half -= half % 8
        return _numpy_sum(values[:half]) + _numpy_sum(values[half:])
    r = list(values[:8])
    for i in range(8, n - n % 8, 8):
        r = [r[j] + values[i + j] for j in range(8)]
    total = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
    for v in values[n - n % 8:]:
        total = total + v
    return total


def _stacked(rows: DataFrame, slices: Sequence[str]) -> DataFrame:
    """Each row once for the batch (group ``("", "")``) and, labelled, once per slice
    column with a value: ``(column, value)``."""
    whole = F.struct(F.lit("").alias("c"), F.lit("").alias("v"))
    each = [F.struct(F.lit(name).alias("c"), F.col(slice_column(j)).alias("v"))
            for j, name in enumerate(slices)]
    groups = F.when(F.col(LABEL).isNotNull(), F.array(whole, *each)).otherwise(F.array(whole))
    return rows.withColumn(_GROUP, F.explode(groups)).where(
        F.col(f"{_GROUP}.v").isNotNull()).withColumn(_COLUMN, F.col(f"{_GROUP}.c")).withColumn(
        _VALUE, F.col(f"{_GROUP}.v")).withColumn(_KNOWN, F.col(LABEL).isNotNull())


Keys = list[tuple[str, Column]]


def _binary_keys(metric: str) -> Keys:
    """A threshold metric needs which side of the threshold a score falls on (infinite
    scores kept, so that the metric refuses them as it does locally)."""
    score = F.col(score_column(0))
    if metric in THRESHOLD_METRICS:
        score = (F.when(F.abs(score) == float("inf"), score)
                 .when(score >= binary.THRESHOLD, F.lit(1.0)).otherwise(F.lit(0.0)))
    return [(_KEY, score), (_CLASS, F.col(LABEL))]


def _regression_aggs() -> list[Column]:
    y, s = F.col(LABEL), F.col(score_column(0))
    error = s - y
    finite = (F.abs(y) != float("inf")) & (F.abs(s) != float("inf"))
    return [F.sum(F.when(finite, error * error)).alias("squared"),
            F.sum(F.when(finite, F.abs(error))).alias("absolute"),
            F.sum(F.when(finite & (y != 0), F.abs(error) / F.abs(y))).alias("relative"),
            F.count(F.when(y == 0, 1)).alias("zeros"),
            F.var_pop(F.when(finite, y)).alias("variance"), F.min(y).alias("lowest"),
            F.count(F.when(F.abs(y) == float("inf"), 1)).alias("bad_labels"),
            F.count(F.when(F.abs(s) == float("inf"), 1)).alias("bad_scores")]


def _multiclass(frame: DataFrame, k: int, metric: str) -> tuple[DataFrame, Keys,
                                                                 list[Column]]:
    """The frame with rescaled probabilities (``p0``...), the group keys and aggregates."""
    raw = [F.col(score_column(i)) for i in range(k)]
    total = _numpy_sum(raw)
    frame = frame.withColumn("total", total)
    p = [(F.col(score_column(i)) / F.col("total")).alias(f"p{i}") for i in range(k)]
    frame = frame.select("*", *p)
    probs = [F.col(f"p{i}") for i in range(k)]
    off = ~(F.abs(F.col("total") - 1) <= LOGGED_TOLERANCE)
    outside = F.lit(False)
    for q in probs:
        outside = outside | (q < 0) | (q > 1)
    label = F.col(LABEL)

    def checks(once: Column) -> list[Column]:
        """Each row's checks counted ``once`` (not again for its slices, or classes)."""
        return [F.count(F.when(once & off, 1)).alias("off"),
                F.max(F.when(once & off, F.col("total"))).alias("off_sum"),
                F.count(F.when(once & ~off & outside, 1)).alias("outside"),
                F.count(F.when(once & F.col(PARTIAL), 1)).alias("partial")]

    whole = F.col(_COLUMN) == ""
    if metric in multiclass.COUNTED:
        top = F.greatest(*probs)
        predicted = F.coalesce(*[F.when(q == top, F.lit(i)) for i, q in enumerate(probs)])
        return frame, [(_CLASS, label), (_KEY, predicted)], checks(whole)
    if metric == "log_loss":
        true = F.element_at(F.array(*probs), F.when(label >= 0, label + 1))
        clipped = F.least(F.greatest(true, F.lit(binary.EPSILON)),
                          F.lit(1 - binary.EPSILON))
        return frame, [(_CLASS, label)], [*checks(whole),
                                          F.sum(-F.log(clipped)).alias("losses")]
    # roc_auc_ovr: each row once per class, its probability and whether it is that class
    # (an unlabelled row once: it is only counted)
    each = F.posexplode(F.when(label.isNotNull(), F.array(*probs)).otherwise(
        F.array(F.lit(None).cast("double"))))
    frame = frame.select("*", each.alias("ovr_class", "ovr_p"))
    keys = [(_CLASS, label), ("ovr_class", F.col("ovr_class")), (_KEY, F.col("ovr_p"))]
    return frame, keys, checks(whole & (F.col("ovr_class") == 0))


def tally(rows: DataFrame, how: Labels, metric: str, slices: Sequence[str], label: str
          ) -> Tallied:
    """The :class:`Tallied` of ``rows``: columns ``score_column(i)`` (doubles; one per class
    for a multiclass model, and ``PARTIAL``), ``LABEL`` (as :func:`label_value`, null:
    unlabelled; no class -1, checked before) and ``slice_column(j)`` (text) for each of
    ``slices``. ``label`` names the label column in messages."""
    check_reducible(how.task, metric)
    frame = _stacked(rows, slices)
    k = len(how.classes)
    checks: list[Column] = []
    keys: Keys = []
    if how.task == "binary":
        keys = _binary_keys(metric)
    elif how.task == "regression":
        keys, checks = [], _regression_aggs()
    else:
        frame, keys, checks = _multiclass(frame, k, metric)
    known = F.col(_KNOWN)
    # unlabelled rows are only counted: their keys are null, so they make one group
    grouped = frame.groupBy(_COLUMN, _VALUE, _KNOWN, *[F.when(known, key).alias(name)
                                                       for name, key in keys]).agg(
        F.count(F.lit(1)).alias(_ROWS), *checks)
    with spark_errors("cannot compute the performance gap"):
        table = grouped.toArrow().to_pylist()
    return _assemble(table, how, slices, label)


def _assemble(table: list[dict[str, Any]], how: Labels, slices: Sequence[str], label: str
              ) -> Tallied:
    unlabelled = sum(int(r[_ROWS]) for r in table if not r[_KNOWN] and r[_COLUMN] == "")
    known = [r for r in table if r[_KNOWN]]
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {("", ""): []}
    for r in known:
        groups.setdefault((r[_COLUMN], r[_VALUE]), []).append(r)
    if how.task == "binary":
        _check_binary(known, label)
    partial = sum(int(r.get("partial") or 0) for r in table)
    if partial:
        raise MlgateError(f"{partial} row(s) of the batches have a score for some classes and "
                          "not others", hint="log every class's probability, or none for an "
                                             "unscored row")
    tallies: dict[tuple[str, str], Tally] = {g: _one(rs, how) for g, rs in groups.items()}
    by_slice: dict[str, dict[str, Tally]] = {name: {} for name in slices}
    for (column, value), found in tallies.items():
        if column:
            by_slice[column][value] = found
    return Tallied(tallies[("", "")], unlabelled, by_slice)


def _check_binary(rows: list[dict[str, Any]], label: str) -> None:
    odd = [r[_CLASS] for r in rows if r[_CLASS] not in (0.0, 1.0)]
    if odd:
        raise MlgateError(f"label column {label!r} holds {odd[0]:g}; labels must be 0 or 1",
                          hint="write the positive class as 1, the other as 0")


def _one(rows: list[dict[str, Any]], how: Labels) -> Tally:
    if how.task == "binary":
        def column(name: str) -> Any:
            return np.array([r[name] for r in rows], dtype=np.float64)
        return Pairs(column(_CLASS), column(_KEY), column(_ROWS))
    if how.task == "regression":
        found = RegressionTally()
        for r in rows:  # one row: the group
            n = int(r[_ROWS])
            found = RegressionTally(n, r["squared"] or 0.0, r["absolute"] or 0.0,
                                    r["relative"] or 0.0, int(r["zeros"]),
                                    (r["variance"] or 0.0) * n, _float(r["lowest"]),
                                    int(r["bad_labels"]), int(r["bad_scores"]))
        return found
    out = MulticlassTally(len(how.classes))
    for r in rows:
        out.off += int(r["off"])
        out.outside += int(r["outside"])
        if r["off_sum"] is not None:
            out.off_sum = float(r["off_sum"])
        label, count = int(r[_CLASS]), float(r[_ROWS])
        if "ovr_class" in r:
            out.ovr[int(r["ovr_class"])].append((float(r[_KEY]), label == r["ovr_class"],
                                                 count))
            if r["ovr_class"] == 0:
                out.confusion[label, 0] += count  # only the label counts matter here
        elif _KEY in r:
            out.confusion[label, int(r[_KEY])] += count
        else:
            out.confusion[label, 0] += count
            out.losses += float(r["losses"] or 0.0)
    return out


def _float(value: Any) -> float:
    return math.nan if value is None else float(value)
