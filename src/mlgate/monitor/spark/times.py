"""The batches' oldest and newest row time (``monitoring.time_column``) in one Spark
aggregation, read as the local engine reads it (:func:`mlgate.monitor.expectations.
time_range`): timestamps as instants, naive timestamps and dates as UTC, ISO 8601 text
parsed by the local engine's own code on each partition."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DateType, StringType, TimestampNTZType, TimestampType

from mlgate.errors import MlgateError
from mlgate.monitor.spark import quiet_pandas
from mlgate.monitor.spark.session import spark_errors

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_BOUNDS = "low long, high long"


def _utc(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC)
    assert isinstance(value, date)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def _text_bounds(column: str) -> Any:
    """Each partition's text times parsed by the local engine's code: their bounds as
    microseconds since the epoch."""
    def bounds(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from mlgate.monitor.expectations import _as_utc

        for batch in batches:
            found = pc.min_max(pc.cast(_as_utc(batch.column(0), column, Path("the batches")),
                                       pa.int64()))
            yield pa.RecordBatch.from_pydict({"low": [found["min"].as_py()],
                                              "high": [found["max"].as_py()]})
    return bounds


def time_range(df: DataFrame, column: str) -> tuple[datetime, datetime] | None:
    """The oldest and newest non-null time in ``column`` of ``df``; None: no time."""
    if column not in df.columns:
        raise MlgateError(f"no column {column!r} in the batches (monitoring.time_column)",
                          hint=f"the columns are: {', '.join(df.columns)}")
    kind = df.schema[column].dataType
    value = F.col(column)
    with spark_errors(f"cannot read the time column {column!r}"):
        if isinstance(kind, TimestampType):  # an instant: microseconds, no zone applied
            low, high = df.agg(F.min(F.unix_micros(value)),
                               F.max(F.unix_micros(value))).collect()[0]
        elif isinstance(kind, TimestampNTZType | DateType):
            first, last = df.agg(F.min(value), F.max(value)).collect()[0]
            oldest, newest = _utc(first), _utc(last)
            return None if oldest is None or newest is None else (oldest, newest)
        elif isinstance(kind, StringType):
            with quiet_pandas():
                parts = df.select(value).mapInArrow(_text_bounds(column), _BOUNDS)
                low, high = parts.agg(F.min("low"), F.max("high")).collect()[0]
        else:
            raise MlgateError(f"the time column {column!r} holds {kind.simpleString()}, not "
                              "times", hint="write each row's time as a timestamp, a date, or "
                                            "ISO 8601 text (all with a zone offset, or all "
                                            "without: UTC)")
    if low is None or high is None:
        return None
    return _EPOCH + timedelta(microseconds=low), _EPOCH + timedelta(microseconds=high)
