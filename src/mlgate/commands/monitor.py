"""`mlgate monitor MODEL --current PATH...`: drift, schema and the performance gap of
production batches (streamed here, or read by Spark with `--engine spark`); exit 1 on
alert."""

from __future__ import annotations

from pathlib import Path

from mlgate.config.root import find_root
from mlgate.errors import EXIT_FAILED, EXIT_OK, MlgateError
from mlgate.monitor.engine import Engine, spark_missing
from mlgate.monitor.runner import MonitorResult
from mlgate.monitor.watch import monitor_model
from mlgate.plumbing.files import write_atomic
from mlgate.render.monitor_html import report_html
from mlgate.render.monitor_json import dumps
from mlgate.render.monitor_md import summary_markdown
from mlgate.render.monitor_text import monitor_table

OUTPUTS = ("monitor.json", "summary.md", "report.html")


def _write(out: Path, result: MonitorResult) -> None:
    if out.exists() and not out.is_dir():
        raise MlgateError("--out must be a directory", path=str(out),
                          hint=f"it receives {', '.join(OUTPUTS)}")
    texts = (dumps(result) + "\n", summary_markdown(result), report_html(result))
    for name, text in zip(OUTPUTS, texts, strict=True):
        write_atomic(out / name, text)


def _on_spark(root: Path, model: str, env: str | None, current: list[str],
              labels: list[str], engine: Engine) -> MonitorResult:
    try:
        from mlgate.monitor.spark.scan import SparkScanner
        from mlgate.monitor.spark.session import spark_session
    except ImportError:
        raise spark_missing() from None
    with spark_session(engine.master, engine.conf) as session:
        return monitor_model(root, model, env, current, labels,
                             SparkScanner(session, engine.table, engine.where))


def main(*, model: str, current: list[str], labels: list[str] | None, env: str | None,
         out: str | None, fmt: str, engine: str = "local", table: str | None = None,
         where: str | None = None, spark_master: str = "local[*]",
         spark_conf: list[str] | None = None) -> int:
    chosen = Engine(engine, table, where, spark_master, spark_conf or [])
    chosen.check(current, "--current PATH...")
    if engine == "spark":
        result = _on_spark(find_root(), model, env, current, labels or [], chosen)
    else:
        result = monitor_model(find_root(), model, env, current, labels or ())
    if out is not None:
        _write(Path(out), result)
    if fmt == "json":
        print(dumps(result))
    elif fmt == "markdown":
        print(summary_markdown(result), end="")
    else:
        print(monitor_table(result))
    return EXIT_FAILED if result.verdict == "alert" else EXIT_OK
