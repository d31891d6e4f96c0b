"""The predictions file that gates read (label, score, every slice column): from the
working tree, the DVC cache at a revision, or what a re-run wrote."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from mlgate.config.dvcfiles import DvcLock
from mlgate.config.model import Model
from mlgate.errors import MlgateError
from mlgate.gates.candidate import Candidate, member_entry
from mlgate.plumbing.dvccache import cached_file


def predictions_bytes(model: Model, cand: Candidate, lock: DvcLock | None
                      ) -> tuple[bytes | None, str | None]:
    if model.predictions is None:
        return None, "the model declares no predictions file"
    path = model.predictions.path
    if cand.rev is None:
        try:
            return (cand.root / path).read_bytes(), None
        except FileNotFoundError:
            return None, f"{path} is missing: run the pipeline (`mlgate run {model.name}`)"
    entry = (lock.out(path) or member_entry(cand, lock, path)) if lock else None
    if entry is None or entry.md5 is None:
        return None, f"{path} is not recorded in dvc.lock at {cand.label}"
    cached = cached_file(cand.root, entry.md5)
    if not cached.is_file():
        return None, f"{path} at {cand.label} is not in the local DVC cache: run `dvc pull`"
    return cached.read_bytes(), None


Columns = dict[str, Any]  # a column's name -> its values


def recomputed_predictions(model: Model, raw: bytes | None, error: str | None
                           ) -> tuple[Columns | None, str | None]:
    """The columns gates read from the predictions the re-run wrote (``raw``), or why there
    are none."""
    p = model.predictions
    if p is None:
        return None, "the model declares no predictions file"
    if raw is None:
        return None, error or f"the re-run did not write {p.path}"
    return read_table_columns(raw, p.path, [p.label, p.score, *slice_columns(model)]), None


def read_predictions(model: Model, cand: Candidate, lock: DvcLock | None
                     ) -> tuple[Columns | None, str | None]:
    """The predictions file's columns that gates read (label, score, every slice column),
    or None and why it could not be read."""
    raw, error = predictions_bytes(model, cand, lock)
    if raw is None or model.predictions is None:
        return None, error
    p = model.predictions
    return read_table_columns(raw, p.path, [p.label, p.score, *slice_columns(model)]), error


def read_table_columns(data: bytes, path: str, wanted: Sequence[str]) -> Columns:
    """Named columns of a CSV or Parquet file, as lists of values.

    CSV goes through the csv module: for an evaluation set it is ~20x faster than
    importing pyarrow and pandas, which would dominate `mlgate check`'s time."""
    hint = "the evaluation stage writes this file; re-run it"
    if path.endswith((".parquet", ".pq")):
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(io.BytesIO(data))
        except (pa.ArrowInvalid, OSError) as exc:
            raise MlgateError(f"cannot read predictions: {exc}", path=path, hint=hint) from None
        return {n: table.column(n).to_pylist() for n in wanted if n in table.column_names}
    try:
        rows = csv.reader(io.StringIO(data.decode("utf-8")))
        header = next(rows, [])
        found = [(name, header.index(name)) for name in wanted if name in header]
        columns: dict[str, list[str]] = {name: [] for name, _ in found}
        for line, row in enumerate(rows, start=2):
            if len(row) != len(header):
                raise MlgateError(f"expected {len(header)} fields, found {len(row)}",
                                  path=path, line=line, hint=hint)
            for name, index in found:
                columns[name].append(row[index])
    except (UnicodeDecodeError, csv.Error) as exc:
        raise MlgateError(f"cannot read predictions: {exc}", path=path, hint=hint) from None
    return columns


def slice_columns(model: Model) -> list[str]:
    columns: list[str] = []
    for env in model.environments:
        for gate in (*env.gates, *env.rollback.gates):
            column = getattr(gate, "column", None)
            if column and column not in columns:
                columns.append(column)
    return columns
