"""`mlgate profile DATA... --out FILE`: a reference profile of data files, streamed."""

from __future__ import annotations

from pathlib import Path

from mlgate.errors import EXIT_OK, MlgateError
from mlgate.monitor.batch import column_names
from mlgate.monitor.codec import dumps
from mlgate.monitor.reader import expand_paths, profile_files
from mlgate.plumbing.files import write_atomic
from mlgate.render.monitor_text import profile_summary
from mlgate.render.text import to_json

DATA_HINT = "name Parquet or CSV files, directories or glob patterns (quote globs for the shell)"


def _columns(first: Path, columns: list[str] | None, exclude: list[str],
             score_column: str | None) -> list[str] | None:
    """The columns to profile: ``columns`` (default: the first file's) minus ``exclude``."""
    if score_column is not None and score_column in exclude:
        raise MlgateError(f"--exclude names the score column {score_column!r}",
                          hint="the score is profiled for prediction drift; keep it")
    if not exclude and columns is None:
        return None
    present = column_names(first)
    for option, names in (("--columns", columns or []), ("--exclude", exclude)):
        unknown = [c for c in names if c not in present]
        if unknown:
            raise MlgateError(f"{option} names {unknown[0]!r}, which is not a column",
                              path=str(first), hint=f"the columns are: {', '.join(present)}")
    return [n for n in (columns or present) if n not in exclude]


def main(*, data: list[str], out: str, categorical: list[str], score_column: str | None,
         columns: list[str] | None, exclude: list[str], fmt: str) -> int:
    try:
        files = expand_paths(data)
    except MlgateError as error:
        raise MlgateError(error.message, path=error.path, hint=error.hint or DATA_HINT) from None
    target = Path(out)
    if target.suffix != ".json":
        raise MlgateError("the profile is JSON: give --out a .json file name", path=out,
                          hint="e.g. --out monitoring/reference-profile.json")
    wanted = _columns(files[0], columns, exclude, score_column)
    profile = profile_files(files, categorical=categorical, columns=wanted,
                            score_column=score_column)
    write_atomic(target, dumps(profile) + "\n")
    if fmt == "json":
        print(to_json({"out": out, "rows": profile.rows, "files": [str(f) for f in files],
                       "score_column": profile.score_column,
                       "columns": {n: profile.columns[n].kind for n, _ in profile.schema}}))
    else:
        print(profile_summary(profile, out))
    return EXIT_OK
