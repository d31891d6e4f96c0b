"""Rows and columns of a Parquet or CSV file, read cheaply: Parquet's footer only, and a
CSV's newlines counted unless quotes may hide some."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from mlgate.plumbing.dvccache import CHUNK

PARQUET = (".parquet", ".pq")
DELIMITED = {".csv": ",", ".tsv": "\t"}

Source = Path | bytes  # a file in the working tree or the cache, or a blob from git


@dataclass(frozen=True)
class Shape:
    rows: int | None
    columns: tuple[str, ...]


def tabular(path: str) -> bool:
    return path.lower().endswith((*PARQUET, *DELIMITED))


def shape(source: Source, path: str) -> Shape | None:
    """Rows and columns of a Parquet or CSV file; None when it cannot be read as one."""
    lower = path.lower()
    try:
        if lower.endswith(PARQUET):
            import pyarrow as pa
            import pyarrow.parquet as pq

            try:
                meta = pq.ParquetFile(str(source) if isinstance(source, Path)
                                      else io.BytesIO(source))
            except (pa.ArrowException, ValueError):
                return None
            return Shape(meta.metadata.num_rows, tuple(meta.schema_arrow.names))
        for suffix, delimiter in DELIMITED.items():
            if lower.endswith(suffix):
                return _delimited_shape(source, delimiter)
    except OSError:
        return None
    return None


def _open(source: Source) -> IO[bytes]:
    return source.open("rb") if isinstance(source, Path) else io.BytesIO(source)


def _delimited_shape(source: Source, delimiter: str) -> Shape:
    """Counting newlines is ~50x faster than parsing; a file with quotes may hold
    newlines inside fields, so it is parsed instead."""
    with _open(source) as fh:
        first = fh.readline()
        header = next(csv.reader([first.decode("utf-8", "replace")], delimiter=delimiter), [])
        rows, quoted, last = 0, b'"' in first, b"\n"
        while chunk := fh.read(CHUNK):
            rows += chunk.count(b"\n")
            quoted = quoted or b'"' in chunk
            last = chunk[-1:]
    if last != b"\n":
        rows += 1
    if quoted:
        with _open(source) as fh:
            text = io.TextIOWrapper(fh, encoding="utf-8", errors="replace", newline="")
            rows = sum(1 for _ in csv.reader(text, delimiter=delimiter)) - 1
    return Shape(max(rows, 0), tuple(c.strip() for c in header))
