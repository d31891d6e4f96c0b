"""The Spark engine: mlgate's mergeable profiles computed where the data lives.

Each partition of a DataFrame is profiled on its executor by mlgate's own profile code
(:mod:`mlgate.monitor.spark.partitions`, through ``mapInArrow``); the partial profiles are
merged on a few executors and the driver receives at most :data:`MERGE_PARTITIONS`
profiles. DataFrame API only (no RDD), so Spark Connect (Databricks) runs it too.
The driver never collects rows: only profiles, and for the performance gap the counts and
sums the metric needs (:mod:`mlgate.monitor.spark.gap_tallies`).

The result equals the local engine's on the same rows: row, null and category counts,
minimum, maximum and every sketch bucket exactly (sketches merge by adding counts, in any
order); mean and variance up to floating-point rounding, since partitions are merged in
another order than the local engine's batches (relative difference below 1e-12 in the
tests). Typical use, in a Databricks job or under ``spark-submit``::

    from mlgate.monitor.spark import profile_dataframe
    profile = profile_dataframe(spark.table("scoring.decisions"), score_column="score")

Importing this package imports PySpark (the ``mlgate[spark]`` extra); nothing else in
mlgate imports it.
"""

from __future__ import annotations

import warnings
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager

from pyspark.sql import DataFrame
from pyspark.sql.types import BinaryType, StructField, StructType

from mlgate.errors import MlgateError
from mlgate.monitor.codec import loads
from mlgate.monitor.sketch import DEFAULT_RELATIVE_ACCURACY
from mlgate.monitor.spark.partitions import (
    PROFILE_FIELD,
    PartialProfiles,
    empty_profile,
    merge_partials,
)
from mlgate.monitor.summaries import Profile, merge_all

__all__ = ["profile_dataframe"]

# Partial profiles (one per data partition) are merged on this many executors first, so
# that the driver receives at most this many profiles whatever the partition count.
MERGE_PARTITIONS = 8
# As a type, not DDL ("profile binary"): a DDL string is parsed by Spark's SQL parser,
# whose classes and caches cost the driver JVM memory (bench/spark.py)
PROFILE_SCHEMA = StructType([StructField(PROFILE_FIELD, BinaryType())])


@contextmanager
def quiet_pandas() -> Iterator[None]:
    """PySpark warns that pandas 3 is not fully supported whenever ``mapInArrow`` is set
    up, though no pandas runs here: Arrow batches only."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas",
                                category=FutureWarning)
        yield


def check_columns(df: DataFrame, names: Sequence[str], what: str) -> None:
    """Each of ``names`` is a column of ``df``, or a clear error naming the first not."""
    present = list(df.columns)
    missing = [n for n in names if n not in present]
    if missing:
        raise MlgateError(f"{what} names {missing[0]!r}, which is not a column of the data",
                          hint=f"the columns are: {', '.join(present)}")


def profile_dataframe(
    df: DataFrame,
    *,
    categorical: Collection[str] = (),
    columns: Sequence[str] | None = None,
    score_column: str | None = None,
    relative_accuracy: float = DEFAULT_RELATIVE_ACCURACY,
) -> Profile:
    """The profile of ``df``, as :func:`mlgate.monitor.reader.profile_files` makes it of
    files: ``categorical`` names numeric columns to treat as categories (non-numeric
    columns always are), ``columns`` restricts the profile to those columns (and the score
    column). Runs on ``df``'s session; starts and stops nothing."""
    names = list(df.columns) if columns is None else list(columns)
    if score_column is not None and score_column not in names:
        names.append(score_column)
    check_columns(df, names, "the profile")
    check_columns(df, [c for c in categorical if c in names], "--categorical")
    selected = df.select(*names)
    task = PartialProfiles(tuple(categorical), score_column, relative_accuracy)
    with quiet_pandas():
        partials = selected.mapInArrow(task, PROFILE_SCHEMA)
        merged = partials.repartition(MERGE_PARTITIONS).mapInArrow(merge_partials,
                                                                   PROFILE_SCHEMA)
        blobs = merged.toArrow().column(0).to_pylist()
    if not blobs:  # every partition was empty
        return empty_profile(selected.limit(0).toArrow(), categorical, score_column,
                             relative_accuracy)
    return merge_all(loads(blob) for blob in blobs)
