"""`mlgate monitor --engine spark`: the current batches' profile, the performance gap's
input and the batch's age, computed in Spark.

The labels join runs in Spark, and so does the reduction of the labelled rows to what the
metric needs, overall and per slice (:mod:`mlgate.monitor.spark.gap_tallies`): what
reaches the driver is counts and sums, not rows. A binary model's threshold metrics read
at most four ``(side of the threshold, label)`` counts per group, its ROC AUC, log loss
and Brier 24 bytes per distinct score; a multiclass model's accuracy and F1 its confusion
counts; a regression's metrics a few sums.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import reduce
from operator import and_, or_

import numpy as np
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import BooleanType, NumericType

from mlgate.errors import MlgateError
from mlgate.monitor.batch import Labels, Scan, Tallied
from mlgate.monitor.spark import gap_tallies, profile_dataframe
from mlgate.monitor.spark.gap_tallies import LABEL, PARTIAL, score_column, slice_column
from mlgate.monitor.spark.session import read_data, sources, spark_errors
from mlgate.monitor.spark.times import time_range
from mlgate.monitor.summaries import Profile

_ID, _ROWS = "__mlgate_id", "__mlgate_rows"


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


def _label(frame: DataFrame, label: str, how: Labels) -> Column:
    """The label as the task reads it (see :func:`gap_tallies.label_value`), checked."""
    if how.task != "multiclass":
        _number(frame, label, "label")
    else:
        gap_tallies.unknown_class(frame, label, how)
    return gap_tallies.label_value(frame, label, how)


def _labels(session: SparkSession, paths: Sequence[str], id_column: str, label: str,
            how: Labels) -> DataFrame:
    """The label files' known ``(id, label)`` rows, checked: ids once each, labels as the
    task allows."""
    frame = read_data(session, paths, None, None)
    _require(frame, [id_column, label], "the labels", "labels are joined on the row id")
    value = _label(frame, label, how)
    known = frame.where(F.col(id_column).isNotNull() & F.col(label).isNotNull()).select(
        F.col(id_column), value.alias(LABEL))
    with spark_errors("cannot check the labels"):
        found = known.groupBy(id_column).agg(F.count(F.lit(1)).alias(_ROWS)).where(
            F.col(_ROWS) > 1).agg(F.sum(F.col(_ROWS) - 1), F.min(id_column)).collect()[0]
        odd = known.where(~F.col(LABEL).isin(0.0, 1.0)).select(LABEL).limit(1).collect() \
            if how.task == "binary" else []
    if found[0]:
        raise MlgateError(f"the labels hold {found[0]} repeated id(s), e.g. {found[1]!r}",
                          hint="give each row one label")
    if odd:
        raise MlgateError(f"label column {label!r} holds {odd[0][0]:g}; labels must be 0 or 1",
                          hint="write the positive class as 1, the other as 0")
    return known


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
                 slices: Collection[str] = (), time_column: str | None = None) -> Scan:
        df = read_data(self.session, current, self.table, self.where)
        categorical = [n for n, s in reference.columns.items() if s.kind == "categorical"]
        score_name = reference.score_column
        names = [n for n in df.columns if n not in ignore]
        profiled = score_name is not None and score_name in names
        wanted = list(labels_as.score_columns if labels_as.score_columns is not None
                      else [score_name] if score_name is not None else [])
        has_score = bool(wanted) and all(c in names for c in wanted)
        with spark_errors("cannot profile the batches"):
            profile = profile_dataframe(df, categorical=[c for c in categorical if c in names],
                                        columns=names,
                                        score_column=score_name if profiled else None,
                                        relative_accuracy=reference.relative_accuracy)
        keep_label = label is not None and label in df.columns
        tallied = labelled = None
        if has_score and metric is not None and (labels or keep_label):
            assert label is not None
            tallied = self._gap(df, wanted, label, id_column, labels, metric, labels_as,
                                [s for s in slices if s in df.columns])
        elif has_score and keep_label:  # no gap: whether labels arrived (labels_due)
            assert label is not None
            labelled = self._labelled(df, wanted, label, labels_as)
        return Scan(profile=profile, files=sources(current, self.table, self.where),
                    has_score=has_score, score=np.zeros(0),
                    label=np.zeros(0) if keep_label else None, ids=None, tallied=tallied,
                    times=time_range(df, time_column) if time_column else None,
                    labelled=labelled)

    def _labelled(self, df: DataFrame, wanted: Sequence[str], label: str, how: Labels
                  ) -> int:
        """The scored rows with a label in the batch, counted."""
        scored = reduce(or_, [~(F.col(c).isNull() | F.isnan(_number(df, c, "score")))
                              for c in wanted])
        with spark_errors("cannot count the labelled rows"):
            return int(df.where(scored & _label(df, label, how).isNotNull()).count())

    def _gap(self, df: DataFrame, wanted: Sequence[str], label: str, id_column: str | None,
             labels: Sequence[str], metric: str, how: Labels, slices: Sequence[str]
             ) -> Tallied:
        scores = [_number(df, c, "score") for c in wanted]
        missing = [s.isNull() | F.isnan(s) for s in scores]
        scored = df.where(~reduce(and_, missing))
        columns = [*(s.alias(score_column(i)) for i, s in enumerate(scores)),
                   reduce(or_, missing).alias(PARTIAL),
                   *(gap_tallies.slice_text(df, s).alias(slice_column(j))
                     for j, s in enumerate(slices))]
        if labels:
            assert id_column is not None
            _require(df, [id_column], "the batches", "the row id, to join labels on")
            known = _labels(self.session, labels, id_column, label, how)
            left, right = F.col(id_column), known[id_column]
            if df.schema[id_column].dataType != known.schema[id_column].dataType:
                left, right = left.cast("string"), right.cast("string")
            rows = scored.select(left.alias(_ID), *columns).join(
                known.select(right.alias(_ID), F.col(LABEL)), _ID, "left")
        else:
            rows = scored.select(*columns, _label(df, label, how).alias(LABEL))
        return gap_tallies.tally(rows, how, metric, slices, label)
