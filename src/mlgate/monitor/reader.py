"""Profile Parquet and CSV files batch by batch, so a batch larger than memory is fine.

Only one record batch (``batch_rows`` rows of the requested columns, or one CSV block)
and, for Parquet, the row group it comes from are in memory at a time; each batch is
profiled and folded into the running profile with :func:`mlgate.monitor.summaries.merge`.
Peak memory is therefore bounded by the largest row group, not by the file.
"""

from __future__ import annotations

import csv
import glob
import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Literal

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from mlgate.errors import MlgateError
from mlgate.monitor.sketch import DEFAULT_RELATIVE_ACCURACY
from mlgate.monitor.summaries import Profile, merge, profile_table

FileFormat = Literal["parquet", "csv"]

DEFAULT_BATCH_ROWS = 262_144
CSV_BLOCK_BYTES = 16 << 20
PARQUET_BUFFER_BYTES = 1 << 20
_SUFFIXES: dict[str, FileFormat] = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".parq": "parquet",
    ".csv": "csv",
}
_COMPRESSED = (".gz", ".bz2", ".zst", ".lz4")
_READ_HINTS: dict[FileFormat, str] = {
    "parquet": "is it a complete Parquet file? A truncated copy or another format under a "
    ".parquet name reads like this; write it again",
    "csv": "a CSV column whose type changes part way through can be named as categorical",
}


def file_format_of(path: Path) -> FileFormat | None:
    """The format a file's suffix names (``data.csv.gz`` is CSV), or None."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in _COMPRESSED:
        suffixes.pop()
    return _SUFFIXES.get(suffixes[-1]) if suffixes else None


def expand_paths(sources: str | Path | Iterable[str | Path]) -> list[Path]:
    """Files named by paths, glob patterns (``**`` recurses) and directories (every
    Parquet or CSV file below them), sorted within each source, duplicates dropped."""
    items = [sources] if isinstance(sources, str | Path) else list(sources)
    found: list[Path] = []
    for item in items:
        text = str(item)
        if any(ch in text for ch in "*?["):
            matches = sorted(Path(m) for m in glob.glob(text, recursive=True))
            files = [m for m in matches if m.is_file()]
            if not files:
                raise MlgateError(f"no file matches {text!r}", hint="check the pattern and the cwd")
        elif Path(text).is_dir():
            files = sorted(p for p in Path(text).rglob("*") if p.is_file() and file_format_of(p))
            if not files:
                raise MlgateError(f"no Parquet or CSV file under {text!r}", path=text)
        elif Path(text).is_file():
            files = [Path(text)]
        else:
            raise MlgateError("no such file or directory", path=text,
                              hint="relative paths are read from the current directory")
        found.extend(f for f in files if f not in found)
    return found


def iter_batches(
    path: str | Path,
    *,
    file_format: FileFormat | None = None,
    columns: Sequence[str] | None = None,
    categorical: Collection[str] = (),
    batch_rows: int = DEFAULT_BATCH_ROWS,
) -> Iterator[pa.RecordBatch]:
    """Record batches of one file; an empty file yields one empty batch with its schema.

    CSV columns named in ``categorical`` are read as strings (``"007"`` stays ``"007"``);
    in CSV, empty strings and the usual null markers (``NA``, ``null``...) are nulls in
    every column.
    """
    path = Path(path)
    fmt = file_format or file_format_of(path)
    if fmt is None:
        raise MlgateError(
            "cannot tell the file format from the name",
            path=str(path),
            hint="use a .parquet or .csv suffix, or pass the format explicitly",
        )
    try:
        yielded = False
        if fmt == "parquet":
            # Without these, arrow pre-buffers and reads ahead several row groups at once.
            parquet = pq.ParquetFile(path, pre_buffer=False, buffer_size=PARQUET_BUFFER_BYTES)
            names = parquet.schema_arrow.names
            missing = [name for name in columns or () if name not in names]
            if missing:  # arrow would silently leave them out
                raise MlgateError(f"column(s) not in the file: {', '.join(missing)}",
                                  path=str(path), hint=f"the file has: {', '.join(names)}")
            for batch in parquet.iter_batches(batch_size=batch_rows, columns=columns):
                yielded = True
                yield batch
            schema = parquet.schema_arrow
        elif path.stat().st_size == 0 and not columns:
            schema = pa.schema([])  # no header either: a batch of no rows and no columns
        else:
            reader = pcsv.open_csv(
                path,
                read_options=pcsv.ReadOptions(block_size=CSV_BLOCK_BYTES),
                convert_options=pcsv.ConvertOptions(
                    column_types={name: pa.string() for name in categorical},
                    include_columns=list(columns) if columns is not None else None,
                    strings_can_be_null=True,
                ),
            )
            _check_text(reader.schema, path)
            for batch in reader:
                yielded = True
                yield batch
            schema = reader.schema
        if not yielded:
            if columns is not None:
                schema = pa.schema([schema.field(name) for name in columns])
            yield pa.RecordBatch.from_pylist([], schema=schema)
    except (pa.ArrowInvalid, OSError, KeyError) as error:
        if fmt == "csv" and "invalid UTF8" in str(error):  # past the first block
            raise _not_utf8(path, _csv_column(path, str(error))) from error
        raise MlgateError(
            f"cannot read {fmt}: {error}",
            path=str(path),
            hint=_READ_HINTS[fmt],
        ) from error


def _not_utf8(path: Path, where: str) -> MlgateError:
    return MlgateError(f"not valid UTF-8: {where} holds bytes that are not text",
                       path=str(path), hint="save the file as UTF-8")


def _csv_column(path: Path, error: str) -> str:
    """The column an arrow CSV error names by its 0-based place in the file."""
    found = re.match(r"In CSV column #(\d+)", error)
    if found is None:
        return "a column"
    with path.open("rb") as fh:
        header = fh.readline(1 << 20).decode("utf-8", "replace")
    names = next(csv.reader([header]), [])
    n = int(found.group(1))
    return f"column {names[n]!r}" if n < len(names) else f"column {n + 1}"


def _check_text(schema: pa.Schema, path: Path) -> None:
    """Arrow reads a CSV column that is not UTF-8 as bytes, where every column is text, and
    its names as they are, to be decoded when asked for."""
    try:
        schema.names  # noqa: B018 - decoded here, where the file is known
    except UnicodeDecodeError:
        raise _not_utf8(path, "the header") from None
    for field in schema:
        if pa.types.is_binary(field.type) or pa.types.is_large_binary(field.type):
            raise _not_utf8(path, f"column {field.name!r}")


def profile_files(
    sources: str | Path | Iterable[str | Path],
    *,
    categorical: Collection[str] = (),
    columns: Sequence[str] | None = None,
    score_column: str | None = None,
    file_format: FileFormat | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    relative_accuracy: float = DEFAULT_RELATIVE_ACCURACY,
) -> Profile:
    """Stream every file named by ``sources`` (see :func:`expand_paths`) into one profile.

    ``categorical`` names columns to treat as categories even if they look numeric
    (non-numeric columns always are); ``columns`` restricts the profile to those columns.
    """
    wanted: list[str] | None = None
    if columns is not None:
        wanted = list(columns)
        if score_column is not None and score_column not in wanted:
            wanted.append(score_column)
    profile: Profile | None = None
    for path in expand_paths(sources):
        batches = iter_batches(
            path,
            file_format=file_format,
            columns=wanted,
            categorical=categorical,
            batch_rows=batch_rows,
        )
        try:
            for batch in batches:
                part = profile_table(
                    batch,
                    categorical=categorical,
                    score_column=score_column,
                    relative_accuracy=relative_accuracy,
                )
                profile = part if profile is None else merge(profile, part)
        except MlgateError as error:
            if error.path is not None:
                raise
            raise MlgateError(error.message, path=str(path), hint=error.hint) from error
    assert profile is not None  # expand_paths never returns an empty list
    return profile
