"""`mlgate monitor --engine spark`: the current batches' profile and the performance gap's
input, computed in Spark.

The labels join runs in Spark. What reaches the driver for the gap is not rows but the
count of each distinct ``(score, label)`` pair among the scored rows, from which the
metric is exact (:func:`mlgate.evaluation.binary.metric` with those counts as weights);
for the threshold metrics (accuracy, precision, recall, F1) scores are first reduced to
which side of the threshold they fall, so at most four pairs arrive. The driver's memory
for ROC AUC, log loss and Brier is therefore 24 bytes per distinct score, not per row.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import BooleanType, NumericType

from mlgate.errors import MlgateError
from mlgate.evaluation.binary import THRESHOLD
from mlgate.monitor.batch import Labels, Pairs, Scan
from mlgate.monitor.spark import profile_dataframe
from mlgate.monitor.spark.session import read_data, sources, spark_errors
from mlgate.monitor.summaries import Profile

THRESHOLD_METRICS = ("accuracy", "precision", "recall", "f1")
_SCORE, _LABEL, _ROWS = "__mlgate_score", "__mlgate_label", "__mlgate_rows"


def _require(df: DataFrame, columns: Sequence[str], where: str, why: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise MlgateError(f"no column {missing[0]!r} in {where} ({why})",
                          hint=f"the columns are: {', '.join(df.columns)}")


def _number(df: DataFrame, column: str, what: str) -> Column:
    kind = df.schema[column].dataType
    if not isinstance(kind, NumericType | BooleanType):
        raise MlgateError(f"the {what} column {column!r} must hold numbers, found "
                          f"{kind.simpleString()}")
    return F.col(column).cast("double")


def _reduced(score: Column, metric: str | None) -> Column:
    """The score as the metric needs it: which side of the threshold, for a threshold
    metric (infinite scores kept, so that the metric refuses them as it does locally)."""
    if metric not in THRESHOLD_METRICS:
        return score
    return (F.when(F.abs(score) == float("inf"), score)
            .when(score >= THRESHOLD, F.lit(1.0)).otherwise(F.lit(0.0)))


def _labels(session: SparkSession, paths: Sequence[str], id_column: str, label: str
            ) -> DataFrame:
    """The label files' known ``(id, label)`` rows, checked: ids once each, labels 0/1."""
    frame = read_data(session, paths, None, None)
    _require(frame, [id_column, label], "the labels", "labels are joined on the row id")
    value = _number(frame, label, "label")
    known = frame.where(F.col(id_column).isNotNull() & value.isNotNull()).select(
        F.col(id_column), value.alias(_LABEL))
    with spark_errors("cannot check the labels"):
        found = known.groupBy(id_column).agg(F.count(F.lit(1)).alias(_ROWS)).where(
            F.col(_ROWS) > 1).agg(F.sum(F.col(_ROWS) - 1), F.min(id_column)).collect()[0]
        odd = known.where(~F.col(_LABEL).isin(0.0, 1.0) & ~F.isnan(_LABEL)).select(
            _LABEL).limit(1).collect()
    if found[0]:
        raise MlgateError(f"the labels hold {found[0]} repeated id(s), e.g. {found[1]!r}",
                          hint="give each row one label")
    if odd:
        raise MlgateError(f"label column {label!r} holds {odd[0][0]:g}; labels must be 0 or 1",
                          hint="write the positive class as 1, the other as 0")
    return known


def _pairs(counted: DataFrame, label: str) -> Pairs:
    with spark_errors("cannot compute the performance gap"):
        table = counted.toArrow()
    score = table.column(_SCORE).to_numpy(zero_copy_only=False).astype(np.float64)
    labels = table.column(_LABEL).to_numpy(zero_copy_only=False).astype(np.float64)
    rows = table.column(_ROWS).to_numpy(zero_copy_only=False).astype(np.float64)
    known = ~np.isnan(labels)
    odd = labels[known & (labels != 0) & (labels != 1)]
    if odd.size:
        raise MlgateError(f"label column {label!r} holds {odd[0]:g}; labels must be 0 or 1",
                          hint="write the positive class as 1, the other as 0")
    return Pairs(labels[known], score[known], rows[known], int(rows[~known].sum()))


BINARY = Labels()  # what a scanner assumes when the caller names no task


@dataclass(frozen=True)
class SparkScanner:
    """A :class:`mlgate.monitor.runner.Scanner` on ``session``: the batches are Parquet
    paths, or the catalog table ``table``; ``where`` filters them."""

    session: SparkSession
    table: str | None = None
    where: str | None = None

    def __call__(self, current: Sequence[str], *, reference: Profile, ignore: Collection[str],
                 label: str | None, id_column: str | None, labels: Sequence[str],
                 metric: str | None, labels_as: Labels = BINARY,
                 slices: Collection[str] = ()) -> Scan:
        """``slices`` are not read here: per-slice production performance is the local
        engine's (the runner notes each slice column it did not get)."""
        if metric is not None and labels_as.task != "binary":
            raise MlgateError(f"--engine spark computes the performance gap of binary models; "
                              f"this one is {labels_as.task}",
                              hint="run this model's monitor with the local engine, or drop "
                                   "monitoring.performance")
        df = read_data(self.session, current, self.table, self.where)
        categorical = [n for n, s in reference.columns.items() if s.kind == "categorical"]
        score_name = reference.score_column
        names = [n for n in df.columns if n not in ignore]
        has_score = score_name is not None and score_name in names
        with spark_errors("cannot profile the batches"):
            profile = profile_dataframe(df, categorical=[c for c in categorical if c in names],
                                        columns=names,
                                        score_column=score_name if has_score else None,
                                        relative_accuracy=reference.relative_accuracy)
        keep_label = label is not None and label in df.columns
        pairs = None
        if has_score and metric is not None and (labels or keep_label):
            assert score_name is not None and label is not None
            pairs = self._gap(df, score_name, label, id_column, labels, metric)
        return Scan(profile=profile, files=sources(current, self.table, self.where),
                    has_score=has_score, score=np.zeros(0),
                    label=np.zeros(0) if keep_label else None, ids=None, pairs=pairs)

    def _gap(self, df: DataFrame, score_name: str, label: str, id_column: str | None,
             labels: Sequence[str], metric: str) -> Pairs:
        score = _number(df, score_name, "score")
        scored = df.where(score.isNotNull() & ~F.isnan(score))
        if labels:
            assert id_column is not None
            _require(df, [id_column], "the batches", "the row id, to join labels on")
            known = _labels(self.session, labels, id_column, label)
            left, right = F.col(id_column), known[id_column]
            if df.schema[id_column].dataType != known.schema[id_column].dataType:
                left, right = left.cast("string"), right.cast("string")
            rows = scored.select(left.alias("__mlgate_id"), score.alias(_SCORE)).join(
                known.select(right.alias("__mlgate_id"), F.col(_LABEL)), "__mlgate_id", "left")
        else:
            rows = scored.select(score.alias(_SCORE), _number(df, label, "label").alias(_LABEL))
        counted = rows.groupBy(_reduced(F.col(_SCORE), metric).alias(_SCORE), _LABEL).agg(
            F.count(F.lit(1)).alias(_ROWS))
        return _pairs(counted, label)
