"""`mlgate profile DATA... --out FILE`: a reference profile of data files, streamed in
this process, or of a table profiled where it lies (`--engine spark`)."""

from __future__ import annotations

from pathlib import Path

from mlgate.errors import EXIT_OK, MlgateError
from mlgate.monitor.batch import column_names
from mlgate.monitor.codec import dumps
from mlgate.monitor.engine import Engine, spark_missing
from mlgate.monitor.reader import expand_paths, profile_files
from mlgate.monitor.summaries import Profile
from mlgate.plumbing.files import write_atomic
from mlgate.render.monitor_text import profile_summary
from mlgate.render.text import to_json

DATA_HINT = "name Parquet or CSV files, directories or glob patterns (quote globs for the shell)"


def _wanted(present: list[str], where: str | None, columns: list[str] | None,
            exclude: list[str], score_column: str | None) -> list[str] | None:
    """The columns to profile: ``columns`` (default: all ``present``) minus ``exclude``."""
    if score_column is not None and score_column in exclude:
        raise MlgateError(f"--exclude names the score column {score_column!r}",
                          hint="the score is profiled for prediction drift; keep it")
    for option, names in (("--columns", columns or []), ("--exclude", exclude)):
        unknown = [c for c in names if c not in present]
        if unknown:
            raise MlgateError(f"{option} names {unknown[0]!r}, which is not a column",
                              path=where, hint=f"the columns are: {', '.join(present)}")
    return [n for n in (columns or present) if n not in exclude]


def _local(data: list[str], categorical: list[str], score_column: str | None,
           columns: list[str] | None, exclude: list[str]) -> tuple[Profile, list[str]]:
    try:
        files = expand_paths(data)
    except MlgateError as error:
        raise MlgateError(error.message, path=error.path, hint=error.hint or DATA_HINT) from None
    wanted = None
    if exclude or columns is not None:
        wanted = _wanted(column_names(files[0]), str(files[0]), columns, exclude, score_column)
    profile = profile_files(files, categorical=categorical, columns=wanted,
                            score_column=score_column)
    return profile, [str(f) for f in files]


def _spark(data: list[str], categorical: list[str], score_column: str | None,
           columns: list[str] | None, exclude: list[str], engine: Engine
           ) -> tuple[Profile, list[str]]:
    try:
        from mlgate.monitor.spark import profile_dataframe
        from mlgate.monitor.spark.session import read_data, sources, spark_errors, spark_session
    except ImportError:
        raise spark_missing() from None
    with spark_session(engine.master, engine.conf) as session:
        df = read_data(session, data, engine.table, engine.where)
        wanted = _wanted(list(df.columns), None, columns, exclude, score_column)
        with spark_errors("cannot profile the data"):
            profile = profile_dataframe(df, categorical=categorical, columns=wanted,
                                        score_column=score_column)
    return profile, list(sources(data, engine.table, engine.where))


def main(*, data: list[str], out: str, categorical: list[str], score_column: str | None,
         columns: list[str] | None, exclude: list[str], fmt: str, engine: str = "local",
         table: str | None = None, where: str | None = None, spark_master: str = "local[*]",
         spark_conf: list[str] | None = None) -> int:
    chosen = Engine(engine, table, where, spark_master, spark_conf or [])
    chosen.check(data, "DATA")
    target = Path(out)
    if target.suffix != ".json":
        raise MlgateError("the profile is JSON: give --out a .json file name", path=out,
                          hint="e.g. --out monitoring/reference-profile.json")
    if engine == "spark":
        profile, files = _spark(data, categorical, score_column, columns, exclude, chosen)
    else:
        profile, files = _local(data, categorical, score_column, columns, exclude)
    write_atomic(target, dumps(profile) + "\n")
    if fmt == "json":
        print(to_json({"out": out, "rows": profile.rows, "files": files,
                       "score_column": profile.score_column,
                       "columns": {n: profile.columns[n].kind for n, _ in profile.schema}}))
    else:
        print(profile_summary(profile, out))
    return EXIT_OK
