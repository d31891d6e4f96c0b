"""What a monitoring run expects beyond distributions, each judged into a
:class:`Signal` with its cause: the batch's volume and age, labels that are due, the
production metric per slice, and the model's validation date. Pure but for
:func:`time_range`, which reads one column of the batch files.

A batch's age is known from ``monitoring.time_column`` (each row's time), never from file
modification times, which a checkout or `dvc pull` resets; naive times are UTC. ``now``
is passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from mlgate.config.metricsfile import lookup
from mlgate.config.model import Direction, Review
from mlgate.errors import MlgateError
from mlgate.evaluation import metrics
from mlgate.monitor.batch import Tallied
from mlgate.monitor.distance import Level
from mlgate.monitor.performance import shortfall
from mlgate.monitor.reader import iter_batches
from mlgate.monitor.settings import Expectations, SliceSettings

DUE_SOON_DAYS = 30  # a validation ending within this many days warns


@dataclass(frozen=True)
class Signal:
    """Something that warns or alerts, with its cause (one of settings.CAUSES)."""

    cause: str
    level: Level
    why: str


@dataclass(frozen=True)
class SliceCheck:
    """The production metric in one slice against the recorded one."""

    column: str
    value: str
    rows: int
    production: float | None
    recorded: float | None
    shortfall: float | None
    level: Level | None  # None: not judged (too few rows, nothing recorded, undefined)
    note: str | None = None


def duration_text(seconds: float) -> str:
    days, rest = divmod(int(seconds), 86400)
    hours = rest // 3600
    return f"{days}d {hours}h" if days else f"{hours}h {(rest % 3600) // 60}m"


def _as_utc(column: pa.ChunkedArray | pa.Array, name: str, path: Path) -> pa.Array:
    kind = column.type
    if pa.types.is_timestamp(kind):
        return column if kind.tz else pc.assume_timezone(column, "UTC")
    if pa.types.is_date(kind):
        return pc.assume_timezone(pc.cast(column, pa.timestamp("us")), "UTC")
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        for target in (pa.timestamp("us", tz="UTC"), pa.timestamp("us")):
            try:
                cast = pc.cast(column, target)
            except pa.ArrowInvalid:
                continue
            return cast if target.tz else pc.assume_timezone(cast, "UTC")
    raise MlgateError(f"the time column {name!r} holds {kind}, not times", path=str(path),
                      hint="write each row's time as a timestamp, a date, or ISO 8601 text "
                           "(all with a zone offset, or all without: UTC)")


def time_range(files: Sequence[Path], column: str) -> tuple[datetime, datetime] | None:
    """The oldest and newest non-null time in ``column`` over ``files``; None: no time."""
    low: datetime | None = None
    high: datetime | None = None
    for path in files:
        for batch in iter_batches(path, columns=[column]):
            values = _as_utc(batch.column(0), column, path)
            bounds = pc.min_max(values)
            first, last = bounds["min"].as_py(), bounds["max"].as_py()
            if first is None:
                continue
            low = first if low is None else min(low, first)
            high = last if high is None else max(high, last)
    return None if low is None or high is None else (low, high)


def volume(rows: int, expect: Expectations) -> list[Signal]:
    if rows == 0:
        return []  # `empty`, judged on its own
    if expect.min_rows is not None and rows < expect.min_rows:
        return [Signal("volume", "alert", f"{rows} rows, fewer than the {expect.min_rows} "
                                           "expected (monitoring.volume.min_rows)")]
    if expect.max_rows is not None and rows > expect.max_rows:
        return [Signal("volume", "alert", f"{rows} rows, more than the {expect.max_rows} "
                                           "expected (monitoring.volume.max_rows)")]
    return []


def lateness(times: tuple[datetime, datetime] | None, rows: int, expect: Expectations,
             now: datetime) -> list[Signal]:
    if expect.max_age is None or rows == 0:
        return []
    if times is None:
        return [Signal("late", "alert", f"no row has a time in {expect.time_column!r}: the "
                                         "batch's age is not known")]
    age = (now - times[1]).total_seconds()
    if age > expect.max_age:
        return [Signal("late", "alert", f"the newest row is from {times[1].isoformat()}, "
                                         f"{duration_text(age)} old: more than "
                                         f"{expect.texts['max_age']} (monitoring.max_age)")]
    return []


def labels_due(labelled: int, scored: int, times: tuple[datetime, datetime] | None,
               expect: Expectations, now: datetime) -> tuple[list[Signal], list[str]]:
    """``missing`` when labels are required, due, and the batch has none; notes else."""
    if not expect.labels_required or scored == 0 or labelled > 0:
        return [], []
    if expect.label_delay is not None:
        if times is None:
            return [], [f"no row has a time in {expect.time_column!r}: whether the labels "
                        "are due is not known"]
        waited = (now - times[0]).total_seconds()
        if waited <= expect.label_delay:
            return [], [f"no labels yet; due {expect.texts['label_delay']} after the oldest "
                        f"row ({times[0].isoformat()})"]
        return [Signal("missing", "alert", f"no labels, {duration_text(waited)} after the "
                                            f"oldest row; due within "
                                            f"{expect.texts['label_delay']}")], []
    return [Signal("missing", "alert", "no labels, and monitoring.labels.expected is "
                                        "required")], []


def validation(review: Review, now: datetime, *, serving: bool) -> list[Signal]:
    """Warns ``DUE_SOON_DAYS`` before the validation ends; once it has lapsed, alerts
    while a version is ``serving`` (else warns: nothing lapsed is in use)."""
    try:
        until = review.ends()
    except ValueError:
        until = None
    if until is None:
        return []
    left = (until - now.astimezone(UTC).date()).days
    if left < 0:
        if not serving:
            return [Signal("validation", "warn", f"the model's validation lapsed after "
                                                  f"{until.isoformat()}")]
        return [Signal("validation", "alert", f"the model's validation lapsed after "
                                               f"{until.isoformat()} and it still serves")]
    if left <= DUE_SOON_DAYS:
        return [Signal("validation", "warn", f"the model's validation ends "
                                              f"{until.isoformat()}, in {left} days")]
    return []


Measure = Callable[[], tuple[float | None, str | None]]  # a slice's metric, on demand
Measured = Mapping[str, Sequence[tuple[str, int, Measure]]]  # column: (value, rows, measure)


def measured_slices(metric: str, label: npt.NDArray[Any], score: npt.NDArray[Any],
                    columns: Mapping[str, npt.NDArray[Any]], task: metrics.Task = "binary"
                    ) -> Measured:
    """Each value of each slice column (values as text, nulls left out) with its rows,
    the metric computed by :mod:`mlgate.evaluation.metrics` as the overall gap is."""
    if task == "multiclass":  # logged probabilities rescaled, as for the overall gap
        score = metrics.normalise(score)

    def measure(rows: npt.NDArray[np.bool_]) -> Measure:
        return lambda: metrics.value(metrics.prepare(task, label[rows], score[rows]), metric)

    found: dict[str, list[tuple[str, int, Measure]]] = {}
    for column, values in columns.items():
        found[column] = []
        for value in sorted({str(v) for v in values if v is not None}):
            rows = values == value
            found[column].append((value, int(np.count_nonzero(rows)), measure(rows)))
    return found


def tallied_slices(tallied: Tallied, metric: str) -> Measured:
    """The slices an engine tallied itself (Spark), as :func:`measured_slices` gives them."""
    return {column: [(value, tally.rows, partial(tally.value, metric))
                     for value, tally in sorted(values.items())]
            for column, values in tallied.slices.items()}


def judge_slices(metric: str, direction: Direction, measured: Measured,
                 recorded: dict[str, Any], settings: SliceSettings) -> list[SliceCheck]:
    """The production metric per value of each slice column, against the recorded
    ``slices.COLUMN.VALUE.METRIC`` (flat or nested keys)."""
    checks = []
    for column, values in measured.items():
        for value, count, measure in values:
            kept = lookup(recorded, f"slices.{column}.{value}.{metric}")
            if not isinstance(kept, int | float) or isinstance(kept, bool):
                checks.append(SliceCheck(column, value, count, None, None, None, None,
                                         "no recorded value for this slice"))
                continue
            if count < settings.min_rows:
                checks.append(SliceCheck(column, value, count, None, float(kept), None, None,
                                         f"only {count} labelled rows (fewer than "
                                         f"{settings.min_rows}): not judged"))
                continue
            got, why = measure()
            if got is None:
                checks.append(SliceCheck(column, value, count, None, float(kept), None, None,
                                         f"{why}: not judged"))
                continue
            gap = shortfall(got, float(kept), direction)
            checks.append(SliceCheck(column, value, count, got, float(kept), gap,
                                     "alert" if gap > settings.max_gap else "ok"))
    return checks


def slice_findings(checks: Sequence[SliceCheck], metric: str, max_gap: float
                   ) -> list[Signal]:
    return [Signal("performance", "alert",
                    f"{metric} in {c.column} = {c.value}: {c.production:.4g} against "
                    f"{c.recorded:.4g} recorded, short by {c.shortfall:.4g} (> {max_gap:g})")
            for c in checks if c.level == "alert" and c.production is not None
            and c.recorded is not None and c.shortfall is not None]

