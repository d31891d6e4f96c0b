"""The commands' Spark: a session from ``--spark-master``/``--spark-conf``, the data they
name, and Spark's errors as one-line :class:`MlgateError` (exit 2), not JVM stack traces.

A session already active in the process (a Databricks job, ``spark-submit``, a test's)
is used as it is and left running; one started here is stopped on the way out.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from py4j.protocol import Py4JError
from pyspark.errors import PySparkException
from pyspark.logger import PySparkLogger
from pyspark.sql import DataFrame, SparkSession

from mlgate.errors import MlgateError
from mlgate.monitor.spark import quiet_pandas

DEFAULT_MASTER = "local[*]"
JAVA_HINT = ("PySpark needs Java 17 or later: install it (e.g. `sudo apt-get install "
             "openjdk-17-jre-headless`) and set JAVA_HOME")
# The driver JVM mlgate starts itself: its resident memory, not its heap limit, is what a
# runner pays. Measured by bench/spark.py (driver JVM peak RSS, a two-worker cluster).
DRIVER_JAVA_OPTIONS = (
    # G1's remembered sets and card tables cost ~55 MB of native memory; one driver needs
    # no parallel collector
    "-XX:+UseSerialGC",
    # the heap starts small and is given back after a collection, so that its committed
    # size follows what is live (~55 MB) rather than starting at 1/64 of the machine's RAM;
    # a young generation of 6 MB, not 16: 9 MB less on the cluster bench, 4 MB in local[2]
    "-Xms16m", "-XX:MaxNewSize=6m", "-XX:MinHeapFreeRatio=5", "-XX:MaxHeapFreeRatio=20",
    # Netty's pooled buffers in chunks of 1 MB, not 4 MB: ~9 MB less off-heap memory
    "-Dio.netty.allocator.maxOrder=7",
)
# C1 only: no profiling data in metaspace, a smaller code cache, one compiler thread. Not
# for a local master, whose driver JVM runs the tasks too: there C2 is worth its ~40 MB
# (10M rows in local[2]: 24 s against 33 s)
C1_ONLY = ("-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1")
_LOCAL_MASTER = re.compile(r"local(\[[^\]]*\])?")
_DEFAULTS = {  # --spark-conf overrides any of them
    "spark.ui.showConsoleProgress": "false",
    "spark.log.level": "ERROR",
    "spark.ui.enabled": "false",
    # Arrow batches of 10,000 rows (Spark's default) cost twice the time of these
    "spark.sql.execution.arrow.maxRecordsPerBatch": "131072",
    # the smallest heap limit Spark accepts (it refuses less than 450 MB); the options
    # below keep the committed heap far under it
    "spark.driver.memory": "512m",
    # the status store keeps per-task and per-query data even without the UI: bounded
    # here, so that the driver's heap does not grow with the partition count
    "spark.ui.retainedJobs": "20",
    "spark.ui.retainedStages": "20",
    "spark.ui.retainedTasks": "1000",
    "spark.sql.ui.retainedExecutions": "5",
}
# glibc's per-thread malloc arenas (up to 8 per core) fragment the JVM's native memory
_JVM_ENVIRONMENT = {"MALLOC_ARENA_MAX": "2"}
_ERROR_LOGGERS = ("SQLQueryContextLogger", "DataFrameQueryContextLogger")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def parse_conf(pairs: Sequence[str]) -> dict[str, str]:
    """``KEY=VALUE`` strings (``--spark-conf``) as a dict; a pair without ``=`` is an error."""
    conf: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise MlgateError(f"--spark-conf {pair!r} is not KEY=VALUE",
                              hint="e.g. --spark-conf spark.executor.memory=4g")
        conf[key.strip()] = value
    return conf


def driver_java_options(master: str) -> str:
    """The driver JVM's options mlgate gives a session it starts on ``master`` (passed as
    spark.driver.defaultJavaOptions: prepended to spark.driver.extraJavaOptions, so that an
    option set there wins)."""
    local = _LOCAL_MASTER.fullmatch(master.strip()) is not None
    return " ".join(DRIVER_JAVA_OPTIONS + (() if local else C1_ONLY))


def _java_missing() -> bool:
    home = os.environ.get("JAVA_HOME")
    if home:
        return not (Path(home) / "bin" / "java").is_file()
    return shutil.which("java") is None


@contextmanager
def _jvm_environment() -> Iterator[None]:
    """:data:`_JVM_ENVIRONMENT` for the JVM started inside (it copies this environment),
    unless already set; this process's environment as it was afterwards."""
    added = {k: v for k, v in _JVM_ENVIRONMENT.items() if k not in os.environ}
    os.environ.update(added)
    try:
        yield
    finally:
        for key in added:
            os.environ.pop(key, None)


@contextmanager
def spark_session(master: str = DEFAULT_MASTER, conf: Sequence[str] = ()) -> Iterator[SparkSession]:
    """The active session, or a new one on ``master`` with ``conf``, stopped afterwards.
    Executors on this machine run this Python (``PYSPARK_PYTHON``, unless set)."""
    settings = parse_conf(conf)
    active = SparkSession.getActiveSession()
    if active is not None:
        yield active
        return
    if _java_missing():
        raise MlgateError("cannot start Spark: no Java (JAVA_HOME unset or wrong, no `java` "
                          "on PATH)", hint=JAVA_HINT)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.master(master).appName("mlgate")
    defaults = {**_DEFAULTS, "spark.driver.defaultJavaOptions": driver_java_options(master)}
    for key, value in {**defaults, **settings}.items():
        builder = builder.config(key, value)
    with spark_errors("cannot start Spark"), quiet_pandas(), _jvm_environment():
        session = builder.getOrCreate()
    try:
        yield session
    finally:
        session.stop()


def _one_line(error: BaseException) -> str:
    """The cause in ``error``: an mlgate error raised on an executor, or the first line of
    Spark's message, without the JVM's stack."""
    text = str(error)
    found = re.findall(r"mlgate\.errors\.MlgateError: (.+)", text)
    if found:
        return str(found[-1]).strip()
    if isinstance(error, Py4JError):  # a Java exception: its own first line is the cause
        java = getattr(error, "java_exception", None)
        text = str(java) if java is not None else text
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


@contextmanager
def spark_errors(doing: str) -> Iterator[None]:
    """Spark's exceptions inside as an :class:`MlgateError` saying ``doing`` and the cause."""
    loggers = [PySparkLogger.getLogger(name) for name in _ERROR_LOGGERS]
    disabled = [logger.disabled for logger in loggers]
    try:
        for logger in loggers:  # they print each analysis error, stack and all, to stderr
            logger.disabled = True
        yield
    except (PySparkException, Py4JError) as error:
        cause = _one_line(error)
        hint = JAVA_HINT if "JAVA_GATEWAY_EXITED" in cause or "Java gateway" in cause else (
            "see the Spark documentation for the error class in brackets")
        raise MlgateError(f"{doing}: {cause}", hint=hint) from None
    finally:
        for logger, was in zip(loggers, disabled, strict=True):
            logger.disabled = was


def _located(path: str) -> str:
    """Local paths made absolute (the JVM may have started in another directory); URLs
    (``s3a://``, ``hdfs://``, ``file://``...) as they are."""
    return path if _SCHEME.match(path) else os.path.abspath(path)


def read_data(session: SparkSession, data: Sequence[str], table: str | None,
              where: str | None) -> DataFrame:
    """The rows the command names: Parquet paths (globs and directories as Spark reads
    them) or the catalog table ``table``, filtered by the SQL condition ``where``."""
    if table is not None and data:
        raise MlgateError("name the data either as paths or with --table, not both",
                          hint=f"--table {table} reads the catalog table")
    if table is None and not data:
        raise MlgateError("no data: name Parquet paths or a catalog table (--table NAME)")
    with spark_errors(f"cannot read {table or ', '.join(data)}"):
        df = session.table(table) if table else session.read.parquet(*map(_located, data))
        if where:
            df = df.where(where)
            df.schema  # noqa: B018 - the condition is analysed here, where it can be named
    return df


def sources(data: Sequence[str], table: str | None, where: str | None) -> tuple[str, ...]:
    """What the report says was read."""
    named = (f"table {table}",) if table else tuple(_located(d) for d in data)
    return tuple(f"{n} where {where}" for n in named) if where else named
