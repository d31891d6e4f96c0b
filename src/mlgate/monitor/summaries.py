"""Mergeable reference profiles of a table.

A :class:`Profile` summarises a table (training data, a production batch, or one chunk
of either) compactly enough to live in git as a DVC output, and is *mergeable*:
``merge(profile_table(a), profile_table(b))`` equals ``profile_table(concat(a, b))``
(counts, buckets, minimum and maximum exactly; mean and variance up to rounding). So a
batch larger than memory is profiled chunk by chunk, or per partition and merged.

Per numeric column: non-null count, null count, minimum, maximum, mean, population
variance (merged with Chan et al.'s parallel formula) and a :class:`Sketch`. NaN and
infinities count as nulls: they have no place on a distribution. Per categorical column
(strings, booleans, dictionaries, and numeric columns the caller names): the count of
each category as a string, and the null count.

JSON serialisation lives in :mod:`mlgate.monitor.codec`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import reduce
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mlgate.errors import MlgateError
from mlgate.monitor.sketch import DEFAULT_RELATIVE_ACCURACY, FloatArray, Sketch

ColumnKind = Literal["numeric", "categorical"]


@dataclass(frozen=True)
class NumericSummary:
    """Moments, extremes and a quantile sketch of one numeric column."""

    count: int
    null_count: int
    minimum: float | None
    maximum: float | None
    mean: float
    variance: float  # population variance (ddof=0)
    sketch: Sketch

    @property
    def kind(self) -> ColumnKind:
        return "numeric"

    @property
    def std(self) -> float:
        return float(np.sqrt(self.variance))

    def quantiles(self, qs: Sequence[float] | FloatArray) -> FloatArray:
        """Sketch quantiles, clamped to (and at 0 and 1 equal to) the exact extremes."""
        qs = np.asarray(qs, dtype=np.float64)
        values = self.sketch.quantiles(qs)
        if self.minimum is None or self.maximum is None:
            return values
        values = np.clip(values, self.minimum, self.maximum)
        return np.where(qs <= 0, self.minimum, np.where(qs >= 1, self.maximum, values))

    def merge(self, other: NumericSummary) -> NumericSummary:
        if other.count == 0 or self.count == 0:
            base, extra = (self, other) if other.count == 0 else (other, self)
            return replace(
                base,
                null_count=base.null_count + extra.null_count,
                sketch=base.sketch.merge(extra.sketch),
            )
        count = self.count + other.count
        delta = other.mean - self.mean
        mean = self.mean + delta * (other.count / count)
        m2 = (
            self.variance * self.count
            + other.variance * other.count
            + delta * delta * (self.count * (other.count / count))
        )
        assert self.minimum is not None and self.maximum is not None
        assert other.minimum is not None and other.maximum is not None
        return NumericSummary(
            count=count,
            null_count=self.null_count + other.null_count,
            minimum=min(self.minimum, other.minimum),
            maximum=max(self.maximum, other.maximum),
            mean=mean,
            variance=max(m2 / count, 0.0),
            sketch=self.sketch.merge(other.sketch),
        )

    @classmethod
    def empty(cls, null_count: int, relative_accuracy: float) -> NumericSummary:
        return cls(0, null_count, None, None, 0.0, 0.0, Sketch(relative_accuracy))


@dataclass(frozen=True)
class CategoricalSummary:
    """Category counts (keys are the categories as strings) of one categorical column."""

    null_count: int
    counts: Mapping[str, int]

    @property
    def kind(self) -> ColumnKind:
        return "categorical"

    @property
    def count(self) -> int:
        return sum(self.counts.values())

    def merge(self, other: CategoricalSummary) -> CategoricalSummary:
        counts = dict(self.counts)
        for category, n in other.counts.items():
            counts[category] = counts.get(category, 0) + n
        return CategoricalSummary(self.null_count + other.null_count, dict(sorted(counts.items())))


ColumnSummary = NumericSummary | CategoricalSummary


@dataclass(frozen=True)
class Profile:
    """Row count, schema and per-column summaries of a table.

    ``schema`` lists ``(column, arrow type string)`` in table order; ``score_column``
    names the column holding the model's score or prediction, profiled like any other
    and compared separately as prediction drift.
    """

    rows: int
    schema: tuple[tuple[str, str], ...]
    columns: Mapping[str, ColumnSummary]
    score_column: str | None = None
    relative_accuracy: float = DEFAULT_RELATIVE_ACCURACY

    @property
    def types(self) -> dict[str, str]:
        return dict(self.schema)


def is_numeric_type(data_type: pa.DataType) -> bool:
    return bool(
        pa.types.is_integer(data_type)
        or pa.types.is_floating(data_type)
        or pa.types.is_decimal(data_type)
    )


def profile_table(
    table: pa.Table | pa.RecordBatch,
    *,
    categorical: Collection[str] = (),
    columns: Sequence[str] | None = None,
    score_column: str | None = None,
    relative_accuracy: float = DEFAULT_RELATIVE_ACCURACY,
) -> Profile:
    """Profile ``table``; vectorised, one pass of numpy/arrow kernels per column.

    ``categorical`` names numeric columns to treat as categories (non-numeric columns
    always are); ``columns`` restricts the profile to those columns (the score column is
    always included).
    """
    names = list(table.schema.names) if columns is None else list(columns)
    if score_column is not None and score_column not in names:
        names.append(score_column)
    missing = [name for name in names if name not in table.schema.names]
    if missing:
        raise MlgateError(
            f"column(s) not in the table: {', '.join(missing)}",
            hint=f"the table has: {', '.join(table.schema.names)}",
        )
    schema: list[tuple[str, str]] = []
    summaries: dict[str, ColumnSummary] = {}
    for name in names:
        column = table.column(name)
        schema.append((name, str(column.type)))
        if name in categorical or not (
            is_numeric_type(column.type) or pa.types.is_null(column.type)
        ):
            summaries[name] = _categorical_summary(column)
        else:
            summaries[name] = _numeric_summary(column, relative_accuracy)
    return Profile(table.num_rows, tuple(schema), summaries, score_column, relative_accuracy)


def _numeric_summary(
    column: pa.Array | pa.ChunkedArray, relative_accuracy: float
) -> NumericSummary:
    nulls = column.null_count
    if pa.types.is_null(column.type):
        return NumericSummary.empty(len(column), relative_accuracy)
    if nulls:
        column = pc.drop_null(column)
    if pa.types.is_decimal(column.type):
        column = pc.cast(column, pa.float64())
    values = np.asarray(column.to_numpy(), dtype=np.float64)
    finite = np.isfinite(values)
    if not bool(finite.all()):
        nulls += int(values.size - np.count_nonzero(finite))
        values = values[finite]
    if values.size == 0:
        return NumericSummary.empty(nulls, relative_accuracy)
    with np.errstate(over="ignore", invalid="ignore"):
        mean = float(values.mean())
        variance = float(np.mean(np.square(values - mean)))
    return NumericSummary(
        count=int(values.size),
        null_count=nulls,
        minimum=float(values.min()),
        maximum=float(values.max()),
        mean=mean,
        variance=variance,
        sketch=Sketch.from_values(values, relative_accuracy),
    )


def _categorical_summary(column: pa.Array | pa.ChunkedArray) -> CategoricalSummary:
    counted = pc.value_counts(column)
    values = counted.field("values")
    if not pa.types.is_string(values.type):
        values = pc.cast(values, pa.string())
    counts = counted.field("counts").to_numpy(zero_copy_only=False)
    pairs = {
        category: int(n)
        for category, n in zip(values.to_pylist(), counts, strict=True)
        if category is not None
    }
    null_count = len(column) - sum(pairs.values())
    return CategoricalSummary(null_count, dict(sorted(pairs.items())))


def _merge_type(a: str, b: str, kind: ColumnKind) -> str:
    """A column's type across batches: a common widening, associative by construction."""
    if a == b or b == "null":
        return a
    if a == "null":
        return b
    return "double" if kind == "numeric" else "string"


def _as_kind(summary: ColumnSummary, kind: ColumnKind, relative_accuracy: float) -> ColumnSummary:
    if summary.kind == kind:
        return summary
    if kind == "numeric":
        return NumericSummary.empty(summary.null_count, relative_accuracy)
    return CategoricalSummary(summary.null_count, {})


def _merge_summaries(left: ColumnSummary, right: ColumnSummary) -> ColumnSummary:
    if isinstance(left, NumericSummary) and isinstance(right, NumericSummary):
        return left.merge(right)
    if isinstance(left, CategoricalSummary) and isinstance(right, CategoricalSummary):
        return left.merge(right)
    raise AssertionError("summaries of different kinds")


def merge(a: Profile, b: Profile) -> Profile:
    """The profile of ``a``'s rows followed by ``b``'s rows. A profile of nothing (an
    empty file: no rows, no columns) adds nothing to the other."""
    names_a = [name for name, _ in a.schema]
    names_b = [name for name, _ in b.schema]
    if not names_b and b.rows == 0:
        return a
    if not names_a and a.rows == 0:
        return b
    if sorted(names_a) != sorted(names_b):
        raise MlgateError(
            "cannot merge profiles with different columns",
            hint=f"one has {', '.join(names_a)}; the other has {', '.join(names_b)}",
        )
    if a.score_column != b.score_column or a.relative_accuracy != b.relative_accuracy:
        raise MlgateError(
            "cannot merge profiles with a different score column or sketch accuracy",
            hint="profile every part with the same options",
        )
    types_b = b.types
    schema: list[tuple[str, str]] = []
    columns: dict[str, ColumnSummary] = {}
    for name, type_a in a.schema:
        left, right, type_b = a.columns[name], b.columns[name], types_b[name]
        # An all-null batch column carries no kind of its own (arrow type "null").
        kind = right.kind if type_a == "null" else left.kind
        if type_b != "null" and type_a != "null" and left.kind != right.kind:
            raise MlgateError(
                f"cannot merge profiles: column {name!r} is {left.kind} in one and "
                f"{right.kind} in the other",
                hint="pass the same categorical columns when profiling every part",
            )
        schema.append((name, _merge_type(type_a, type_b, kind)))
        columns[name] = _merge_summaries(
            _as_kind(left, kind, a.relative_accuracy), _as_kind(right, kind, a.relative_accuracy)
        )
    return Profile(a.rows + b.rows, tuple(schema), columns, a.score_column, a.relative_accuracy)


def merge_all(profiles: Iterable[Profile]) -> Profile:
    """Fold :func:`merge` over ``profiles`` (at least one)."""
    return reduce(merge, profiles)
