"""What runs on the executors: one partition's Arrow batches into one partial profile.

Runs mlgate's own :func:`mlgate.monitor.summaries.profile_table` on the partition where it
lies, on chunks of about :data:`mlgate.monitor.reader.DEFAULT_BATCH_ROWS` rows (as the local
engine reads them), folded with :func:`mlgate.monitor.summaries.merge`, and emits the
partial profile as one row of deterministic JSON (:mod:`mlgate.monitor.codec`). No row
leaves the partition. Imports neither PySpark nor anything that prints.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import TypeVar

import pyarrow as pa

from mlgate.monitor.codec import dumps, loads
from mlgate.monitor.reader import DEFAULT_BATCH_ROWS
from mlgate.monitor.summaries import Profile, merge, profile_table

Batch = TypeVar("Batch", pa.RecordBatch, pa.Table)
PROFILE_FIELD = "profile"


def plain(batch: Batch) -> Batch:
    """``batch`` with Spark's large Arrow string types (``useLargeVarTypes``) as the plain
    ones a Parquet file reads as, so that the profile's schema names the same types."""
    wide = {pa.large_string(): pa.string(), pa.large_binary(): pa.binary()}
    if not any(field.type in wide for field in batch.schema):
        return batch
    schema = pa.schema([f.with_type(wide.get(f.type, f.type)) for f in batch.schema])
    return batch.cast(schema)


@dataclass(frozen=True)
class PartialProfiles:
    """A picklable function for ``mapInArrow``: one partition -> at most one profile row."""

    categorical: tuple[str, ...]
    score_column: str | None
    relative_accuracy: float
    chunk_rows: int = DEFAULT_BATCH_ROWS

    def _profile(self, batches: list[pa.RecordBatch]) -> Profile:
        return profile_table(pa.Table.from_batches(batches), categorical=self.categorical,
                             score_column=self.score_column,
                             relative_accuracy=self.relative_accuracy)

    def __call__(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        profile: Profile | None = None
        pending: list[pa.RecordBatch] = []
        rows = 0
        for batch in batches:
            pending.append(plain(batch))
            rows += batch.num_rows
            if rows >= self.chunk_rows:
                part = self._profile(pending)
                profile = part if profile is None else merge(profile, part)
                pending, rows = [], 0
        if pending and (rows or profile is None):
            part = self._profile(pending)
            profile = part if profile is None else merge(profile, part)
        if profile is not None:
            yield _row(profile)


def merge_partials(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """``mapInArrow`` over partial profile rows: all of them in this partition as one
    (run on the executors after a repartition, so the driver receives a few profiles)."""
    profile: Profile | None = None
    for batch in batches:
        for blob in batch.column(0).to_pylist():
            part = loads(blob)
            profile = part if profile is None else merge(profile, part)
    if profile is not None:
        yield _row(profile)


def _row(profile: Profile) -> pa.RecordBatch:
    return pa.RecordBatch.from_pydict({PROFILE_FIELD: [dumps(profile).encode()]},
                                      schema=pa.schema([(PROFILE_FIELD, pa.binary())]))


def empty_profile(table: pa.Table, categorical: Collection[str], score_column: str | None,
                  relative_accuracy: float) -> Profile:
    """The profile of ``table``, a table of no rows (every partition was empty)."""
    return profile_table(plain(table), categorical=categorical, score_column=score_column,
                         relative_accuracy=relative_accuracy)
