"""`mlgate monitor MODEL --current PATH... [--record [--push]]`: drift, schema and the
performance gap of production batches (streamed here, or read by Spark with `--engine
spark`); exit 1 on alert. With --record the run is appended to the ledger as a monitoring
record (after --out is written, before the report)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from mlgate.config.root import find_root
from mlgate.errors import EXIT_FAILED, EXIT_OK, MlgateError
from mlgate.monitor.engine import Engine, spark_missing
from mlgate.monitor.runner import MonitorResult
from mlgate.monitor.watch import monitor_model
from mlgate.plumbing.files import write_atomic
from mlgate.render.monitor_html import report_html
from mlgate.render.monitor_json import dumps, to_dict
from mlgate.render.monitor_md import summary_markdown
from mlgate.render.monitor_text import monitor_table
from mlgate.render.text import to_json

OUTPUTS = ("monitor.json", "summary.md", "report.html")


def _write(out: Path, result: MonitorResult) -> None:
    if out.exists() and not out.is_dir():
        raise MlgateError("--out must be a directory", path=str(out),
                          hint=f"it receives {', '.join(OUTPUTS)}")
    texts = (dumps(result) + "\n", summary_markdown(result), report_html(result))
    for name, text in zip(OUTPUTS, texts, strict=True):
        write_atomic(out / name, text)


def _on_spark(root: Path, model: str, env: str | None, current: list[str],
              labels: list[str], engine: Engine, now: datetime) -> MonitorResult:
    try:
        from mlgate.monitor.spark.scan import SparkScanner
        from mlgate.monitor.spark.session import spark_session
    except ImportError:
        raise spark_missing() from None
    with spark_session(engine.master, engine.conf) as session:
        return monitor_model(root, model, env, current, labels, now=now,
                             scanner=SparkScanner(session, engine.table, engine.where))


def main(*, model: str, current: list[str], labels: list[str] | None, env: str | None,
         out: str | None, fmt: str, record: bool = False, push: bool = False,
         remote: str = "origin", engine: str = "local", table: str | None = None,
         where: str | None = None, spark_master: str = "local[*]",
         spark_conf: list[str] | None = None) -> int:
    if push and not record:
        raise MlgateError("--push needs --record: only a monitoring record is pushed",
                          hint="add --record, or drop --push")
    chosen = Engine(engine, table, where, spark_master, spark_conf or [])
    chosen.check(current, "--current PATH...")
    root = find_root()
    now = datetime.now(UTC)
    if engine == "spark":
        result = _on_spark(root, model, env, current, labels or [], chosen, now)
    else:
        result = monitor_model(root, model, env, current, labels or (), now=now)
    if out is not None:
        _write(Path(out), result)
    recorded = None
    if record:
        from mlgate.promote.monitoring_record import record_monitoring

        appended = record_monitoring(root, result, push=push, remote=remote,
                                     now=datetime.now(UTC))
        pred = appended.record["predicate"]
        recorded = {"seq": pred["seq"], "ledger_commit": appended.ledger_commit,
                    "pushed": appended.pushed, "version": pred["version"]}
    if fmt == "json":
        print(to_json({**to_dict(result), "record": recorded}) if record else dumps(result))
    elif fmt == "markdown":
        print(summary_markdown(result), end="")
    else:
        print(monitor_table(result))
    if recorded is not None and fmt != "json":
        where = f" and pushed to {remote}" if recorded["pushed"] else " (not pushed)"
        print(f"recorded on the ledger as #{recorded['seq']} "
              f"({recorded['ledger_commit'][:12]}){where}")
    return EXIT_FAILED if result.verdict == "alert" else EXIT_OK
