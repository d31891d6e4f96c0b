"""Production batches in one streamed pass: their profile, plus what the performance gap
needs (each scored row's score, and its label or its id to join labels on).

Only one record batch of all columns is in memory at a time; the score, label and id
columns are kept for scored rows (8 to 24 bytes a row, 8 more per class for a multiclass
model), since a rank metric such as ROC AUC needs every score at once.

Labels are read as the model's task allows (:class:`Labels`): 0/1 for a binary model,
numbers for a regression, and for a multiclass model a declared class, turned into its
code (its position among the classes); anything else stops the run (exit 2), naming the
file and the value. A null label is no label: the row counts as unlabelled.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from mlgate.errors import MlgateError
from mlgate.evaluation import binary
from mlgate.evaluation.metrics import Task
from mlgate.monitor.reader import DEFAULT_BATCH_ROWS, expand_paths, iter_batches
from mlgate.monitor.summaries import Profile, merge, profile_table
from mlgate.plumbing import progress

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Labels:
    """How to read labels and scores: the task, its classes (multiclass: one score column
    per class, named as the class), and the score columns."""

    task: Task = "binary"
    classes: tuple[str, ...] = ()
    score_columns: tuple[str, ...] | None = None  # None: the reference's score column


class Tally(Protocol):
    """Labelled, scored rows (a batch's, or one slice's) reduced to what the metric needs,
    by an engine that joins labels itself (Spark): how many rows, and the metric's
    ``(value, None)`` or ``(None, why)``, as :func:`mlgate.evaluation.metrics.value`."""

    @property
    def rows(self) -> int: ...

    def value(self, metric: str) -> tuple[float | None, str | None]: ...


@dataclass(frozen=True)
class Pairs:
    """A binary model's labelled, scored rows as distinct ``(label, score)`` pairs and how
    many rows each stands for (``weight``): the metric is exact from them."""

    label: Floats
    score: Floats
    weight: Floats

    @property
    def rows(self) -> int:
        return int(self.weight.sum())

    def value(self, metric: str) -> tuple[float | None, str | None]:
        found, why = binary.metric_value(metric, self.label, self.score, self.weight)
        return (None, why) if math.isnan(found) else (found, None)


@dataclass(frozen=True)
class Tallied:
    """The performance gap's input from an engine that joined the labels itself: the
    batch's tally, the scored rows without a label, and a tally per value of each slice
    column the batch has (null values left out, as the local engine leaves them)."""

    overall: Tally
    unlabelled: int
    slices: dict[str, dict[str, Tally]]


@dataclass(frozen=True)
class Scan:
    """What one pass over the current batches found.

    ``score`` has one entry per row with a score (and, when ids are kept, an id): a
    number, or a row of class probabilities for a multiclass model; ``label`` and ``ids``
    (when kept) are aligned with it, ``label`` NaN where null (a class code for a
    multiclass model).
    ``tallied``, when set, is the performance gap's input, labels already joined;
    ``times``: the oldest and newest row time (``monitoring.time_column``), None if none.
    """

    profile: Profile
    files: tuple[Path | str, ...]
    has_score: bool
    score: Floats
    label: Floats | None
    ids: npt.NDArray[Any] | None
    without_id: int = 0  # scored rows left out because their id is null
    file_rows: tuple[int, ...] = ()  # rows of each file, in the order of ``files``
    slices: dict[str, npt.NDArray[Any]] | None = None  # slice columns, aligned with score
    tallied: Tallied | None = None
    times: tuple[datetime, datetime] | None = None
    labelled: int | None = None  # labelled scored rows, when the engine counted them itself


def _in_file(path: Path, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Batches of ``path``; its errors name it."""
    try:
        yield from batches
    except MlgateError as error:
        if error.path is not None:
            raise
        raise MlgateError(error.message, path=str(path), hint=error.hint) from error


def _counted(files: Sequence[Path], categorical: list[str], batch_rows: int
             ) -> Iterator[tuple[int, Path, pa.RecordBatch]]:
    """Every batch of every file (with the file's index), in order, with the rows read
    told as progress."""
    with progress.task("profiling the batch", unit="rows") as advance:
        for index, path in enumerate(files):
            for batch in _in_file(path, iter_batches(path, categorical=categorical,
                                                     batch_rows=batch_rows)):
                advance(batch.num_rows, path.name)
                yield index, path, batch


def _floats(column: pa.Array, what: str, path: Path) -> Floats:
    try:
        values = pc.cast(column, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        raise MlgateError(f"the {what} column must hold numbers, found {column.type}",
                          path=str(path), hint=str(error)) from error
    floats: Floats = values.to_numpy(zero_copy_only=False)
    return floats


def _labels(column: pa.Array, name: str, path: Path, how: Labels) -> Floats:
    """The label column as numbers (NaN where null), checked for the task."""
    if how.task != "multiclass":
        values = _floats(column, "label", path)
        if how.task == "binary":
            _check_binary(values, name, path)
        return values
    if pa.types.is_floating(column.type):
        numbers = _floats(column, "label", path)
        whole = np.isnan(numbers) | (numbers == np.round(numbers))
        if whole.all():  # 2.0 written by a CSV reader that met a null: the class 2
            column = pc.cast(column, pa.int64())
    text = pc.cast(column, pa.string())
    codes = pc.index_in(text, value_set=pa.array(how.classes, pa.string()))
    unknown = pc.and_(pc.is_valid(text), pc.is_null(codes))
    if pc.any(unknown).as_py():
        value = pc.filter(text, unknown)[0].as_py()
        raise MlgateError(f"label column {name!r} holds {value!r}, which is none of the "
                          f"model's classes ({', '.join(how.classes)})", path=str(path),
                          hint="the classes are evaluation.classes in the model declaration")
    found: Floats = pc.cast(codes, pa.float64()).to_numpy(zero_copy_only=False)
    return found


def _scores(batch: pa.RecordBatch, columns: list[str], path: Path, how: Labels) -> Floats:
    """The score columns of a batch: (rows,), or (rows, classes) for a multiclass model;
    NaN where not scored. A row scored for some classes but not others stops the run."""
    matrix = np.column_stack([_floats(batch.column(c), "score", path) for c in columns])
    missing = np.isnan(matrix)
    partly = missing.any(axis=1) & ~missing.all(axis=1)
    if partly.any():
        row = int(np.argmax(partly))
        absent = ", ".join(c for c, m in zip(columns, missing[row], strict=True) if m)
        raise MlgateError(f"row {row + 1} of a batch has a score for some classes and not "
                          f"others ({absent} missing)", path=str(path),
                          hint="log every class's probability, or none for an unscored row")
    scores: Floats = matrix if how.task == "multiclass" else matrix[:, 0]
    return scores


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
    slices: Collection[str] = (),
    batch_rows: int = DEFAULT_BATCH_ROWS,
    labels_as: Labels = Labels(),
) -> Scan:
    """Profile the batches like the reference (same categorical columns, same sketch
    accuracy), leaving out ``ignore``; keep the label when ``label`` is given and the
    batch has it, the row ids when ``id_column`` is given (it must be there), and the
    ``slices`` columns the batch has (as text, for per-slice performance)."""
    categorical = [n for n, s in reference.columns.items() if s.kind == "categorical"]
    score_name = reference.score_column
    wanted = list(labels_as.score_columns if labels_as.score_columns is not None
                  else [score_name] if score_name is not None else [])
    profile: Profile | None = None
    files = tuple(expand_paths(sources))
    scores: list[Floats] = []
    labels: list[Floats] = []
    ids: list[pa.Array] = []
    has_score = keep_label = False
    no_id = 0
    file_rows = [0] * len(files)
    kept_slices: dict[str, list[npt.NDArray[Any]]] = {}
    for index, path, batch in _counted(files, categorical, batch_rows):
        file_rows[index] += batch.num_rows
        names = [n for n in batch.schema.names if n not in ignore]
        profiled = score_name is not None and score_name in names
        has_score = bool(wanted) and all(c in names for c in wanted)
        part = profile_table(batch, categorical=categorical, columns=names,
                             score_column=score_name if profiled else None,
                             relative_accuracy=reference.relative_accuracy)
        if profile is None:
            keep_label = label is not None and label in batch.schema.names
            kept_slices = {c: [] for c in slices if c in batch.schema.names}
        profile = part if profile is None else _merge(profile, part, path)
        if not has_score:
            continue
        score = _scores(batch, wanted, path, labels_as)
        kept = ~np.isnan(score if score.ndim == 1 else score[:, 0])
        if id_column is not None:
            _require(batch, [id_column], path, "the row id, to join labels on")
            with_id = pc.is_valid(batch.column(id_column)).to_numpy(zero_copy_only=False)
            no_id += int(np.count_nonzero(kept & ~with_id))
            kept &= with_id
            ids.append(batch.column(id_column).filter(pa.array(kept)))
        scores.append(score[kept])
        for column, parts in kept_slices.items():
            _require(batch, [column], path, "a slice column, present in the first batch")
            text = pc.cast(batch.column(column), pa.string()).to_numpy(zero_copy_only=False)
            parts.append(np.asarray(text, dtype=object)[kept])
        if keep_label:
            assert label is not None
            _require(batch, [label], path, "the label, present in the first batch")
            labels.append(_labels(batch.column(label), label, path, labels_as)[kept])
    assert profile is not None  # expand_paths never returns an empty list
    return Scan(
        profile=profile,
        files=files,
        has_score=has_score,
        score=(np.concatenate(scores) if scores
               else np.zeros((0, len(wanted)) if labels_as.task == "multiclass" else 0)),
        label=(np.concatenate(labels) if labels else np.zeros(0)) if keep_label else None,
        ids=_to_numpy(ids) if id_column is not None else None,
        without_id=no_id,
        file_rows=tuple(file_rows),
        slices={c: np.concatenate(p) if p else np.zeros(0, dtype=object)
                for c, p in kept_slices.items()},
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
    batch_rows: int = DEFAULT_BATCH_ROWS, labels_as: Labels = Labels(),
) -> tuple[npt.NDArray[Any], Floats]:
    """Ids and labels (as the task reads them: see :class:`Labels`) from label files; rows
    whose id or label is null are left out."""
    ids: list[pa.Array] = []
    labels: list[Floats] = []
    for path in expand_paths(sources):
        for batch in _in_file(path, iter_batches(path, batch_rows=batch_rows)):
            _require(batch, [id_column, label], path, "labels are joined on the row id")
            known = pc.and_(pc.is_valid(batch.column(id_column)), pc.is_valid(batch.column(label)))
            part = batch.filter(known)
            ids.append(part.column(id_column))
            labels.append(_labels(part.column(label), label, path, labels_as))
    return _to_numpy(ids), np.concatenate(labels)


def join_labels(
    ids: npt.NDArray[Any], score: Floats, label_ids: npt.NDArray[Any], labels: Floats
) -> tuple[Floats, Floats, int]:
    """``(label, score, unlabelled)`` for the scored rows whose id has a label."""
    found, matched = label_rows(ids, label_ids, labels)
    return matched, score[found], int(ids.size - np.count_nonzero(found))


def label_rows(ids: npt.NDArray[Any], label_ids: npt.NDArray[Any], labels: Floats
               ) -> tuple[npt.NDArray[np.bool_], Floats]:
    """Which of ``ids`` have a label, and those labels in the order of ``ids``."""
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
        return np.zeros(ids.size, dtype=bool), np.zeros(0)
    slot = np.minimum(np.searchsorted(sorted_ids, ids), sorted_ids.size - 1)
    found = sorted_ids[slot] == ids
    return found, labels[order][slot[found]]


def column_names(path: Path) -> list[str]:
    """The columns of one Parquet or CSV file (reads its first batch only)."""
    first = next(iter_batches(path, batch_rows=1024))  # the generator closes when dropped
    return list(first.schema.names)
