"""Production batches in one streamed pass: their profile, plus what the performance gap
needs (each scored row's score, and its label or its id to join labels on).

Only one record batch of all columns is in memory at a time; the score, label and id
columns are kept for scored rows (8 to 24 bytes a row), since a rank metric such as
ROC AUC needs every score at once.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from mlgate.errors import MlgateError
from mlgate.monitor.reader import DEFAULT_BATCH_ROWS, expand_paths, iter_batches
from mlgate.monitor.summaries import Profile, merge, profile_table
from mlgate.plumbing import progress

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Scan:
    """What one pass over the current batches found.

    ``score`` has one entry per row with a score (and, when ids are kept, an id);
    ``label`` and ``ids`` (when kept) are aligned with it, ``label`` NaN where null.
    """

    profile: Profile
    files: tuple[Path, ...]
    has_score: bool
    score: Floats
    label: Floats | None
    ids: npt.NDArray[Any] | None
    without_id: int = 0  # scored rows left out because their id is null


def _in_file(path: Path, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Batches of ``path``; its errors name it."""
    try:
        yield from batches
    except MlgateError as error:
        if error.path is not None:
            raise
        raise MlgateError(error.message, path=str(path), hint=error.hint) from error


def _counted(files: Sequence[Path], categorical: list[str], batch_rows: int
             ) -> Iterator[tuple[Path, pa.RecordBatch]]:
    """Every batch of every file, in order, with the rows read told as progress."""
    with progress.task("profiling the batch", unit="rows") as advance:
        for path in files:
            for batch in _in_file(path, iter_batches(path, categorical=categorical,
                                                     batch_rows=batch_rows)):
                advance(batch.num_rows, path.name)
                yield path, batch


def _floats(column: pa.Array, what: str, path: Path) -> Floats:
    try:
        values = pc.cast(column, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        raise MlgateError(f"the {what} column must hold numbers, found {column.type}",
                          path=str(path), hint=str(error)) from error
    floats: Floats = values.to_numpy(zero_copy_only=False)
    return floats


def _check_binary(label: Floats, column: str, path: Path | str) -> None:
    known = label[~np.isnan(label)]
    odd = known[(known != 0) & (known != 1)]
    if odd.size:
        raise MlgateError(f"label column {column!r} holds {odd[0]:g}; labels must be 0 or 1",
                          path=str(path), hint="write the positive class as 1, the other as 0")


def _require(batch: pa.RecordBatch, columns: Iterable[str], path: Path, why: str) -> None:
    missing = [c for c in columns if c not in batch.schema.names]
    if missing:
        raise MlgateError(f"no column {missing[0]!r} ({why})", path=str(path),
                          hint=f"the file has: {', '.join(batch.schema.names)}")


def scan_batches(
    sources: Iterable[str | Path],
    *,
    reference: Profile,
    ignore: Collection[str] = (),
    label: str | None = None,
    id_column: str | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
) -> Scan:
    """Profile the batches like the reference (same categorical columns, same sketch
    accuracy), leaving out ``ignore``; keep the label when ``label`` is given and the
    batch has it, and the row ids when ``id_column`` is given (it must be there)."""
    categorical = [n for n, s in reference.columns.items() if s.kind == "categorical"]
    score_name = reference.score_column
    profile: Profile | None = None
    files = tuple(expand_paths(sources))
    scores: list[Floats] = []
    labels: list[Floats] = []
    ids: list[pa.Array] = []
    has_score = keep_label = False
    no_id = 0
    for path, batch in _counted(files, categorical, batch_rows):
        names = [n for n in batch.schema.names if n not in ignore]
        has_score = score_name is not None and score_name in names
        part = profile_table(batch, categorical=categorical, columns=names,
                             score_column=score_name if has_score else None,
                             relative_accuracy=reference.relative_accuracy)
        if profile is None:
            keep_label = label is not None and label in batch.schema.names
        profile = part if profile is None else _merge(profile, part, path)
        if not has_score:
            continue
        assert score_name is not None
        score = _floats(batch.column(score_name), "score", path)
        kept = ~np.isnan(score)
        if id_column is not None:
            _require(batch, [id_column], path, "the row id, to join labels on")
            with_id = pc.is_valid(batch.column(id_column)).to_numpy(zero_copy_only=False)
            no_id += int(np.count_nonzero(kept & ~with_id))
            kept &= with_id
            ids.append(batch.column(id_column).filter(pa.array(kept)))
        scores.append(score[kept])
        if keep_label:
            assert label is not None
            _require(batch, [label], path, "the label, present in the first batch")
            labels.append(_floats(batch.column(label), "label", path)[kept])
            _check_binary(labels[-1], label, path)
    assert profile is not None  # expand_paths never returns an empty list
    return Scan(
        profile=profile,
        files=files,
        has_score=has_score,
        score=np.concatenate(scores) if scores else np.zeros(0),
        label=(np.concatenate(labels) if labels else np.zeros(0)) if keep_label else None,
        ids=_to_numpy(ids) if id_column is not None else None,
        without_id=no_id,
    )


def _merge(profile: Profile, part: Profile, path: Path) -> Profile:
    try:
        return merge(profile, part)
    except MlgateError as error:
        raise MlgateError(f"{error.message} (every batch must have the same columns)",
                          path=str(path), hint=error.hint) from error


def _to_numpy(arrays: list[pa.Array]) -> npt.NDArray[Any]:
    if not arrays:
        return np.zeros(0, dtype=np.int64)
    combined = pa.chunked_array(arrays).combine_chunks()
    values: npt.NDArray[Any] = combined.to_numpy(zero_copy_only=False)
    return values


def read_labels(
    sources: Iterable[str | Path], *, id_column: str, label: str,
    batch_rows: int = DEFAULT_BATCH_ROWS,
) -> tuple[npt.NDArray[Any], Floats]:
    """Ids and labels (0/1) from label files; rows whose id or label is null are left out."""
    ids: list[pa.Array] = []
    labels: list[Floats] = []
    for path in expand_paths(sources):
        for batch in _in_file(path, iter_batches(path, batch_rows=batch_rows)):
            _require(batch, [id_column, label], path, "labels are joined on the row id")
            known = pc.and_(pc.is_valid(batch.column(id_column)), pc.is_valid(batch.column(label)))
            part = batch.filter(known)
            ids.append(part.column(id_column))
            labels.append(_floats(part.column(label), "label", path))
            _check_binary(labels[-1], label, path)
    return _to_numpy(ids), np.concatenate(labels)


def join_labels(
    ids: npt.NDArray[Any], score: Floats, label_ids: npt.NDArray[Any], labels: Floats
) -> tuple[Floats, Floats, int]:
    """``(label, score, unlabelled)`` for the scored rows whose id has a label."""
    if ids.dtype.kind != label_ids.dtype.kind:  # e.g. ids read as numbers in one file only
        ids, label_ids = ids.astype(str), label_ids.astype(str)
    order = np.argsort(label_ids, kind="stable")
    sorted_ids = label_ids[order]
    if sorted_ids.size > 1:
        repeated = sorted_ids[1:][sorted_ids[1:] == sorted_ids[:-1]]
        if repeated.size:
            raise MlgateError(f"the labels hold {repeated.size} repeated id(s), e.g. "
                              f"{repeated[0].item()!r}", hint="give each row one label")
    if sorted_ids.size == 0:
        return np.zeros(0), np.zeros(0), int(ids.size)
    slot = np.minimum(np.searchsorted(sorted_ids, ids), sorted_ids.size - 1)
    found = sorted_ids[slot] == ids
    matched = labels[order][slot[found]]
    return matched, score[found], int(ids.size - np.count_nonzero(found))


def column_names(path: Path) -> list[str]:
    """The columns of one Parquet or CSV file (reads its first batch only)."""
    first = next(iter_batches(path, batch_rows=1024))  # the generator closes when dropped
    return list(first.schema.names)
