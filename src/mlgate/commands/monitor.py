"""`mlgate monitor MODEL --current PATH...`: drift, schema and the performance gap of
production batches; exit 1 on alert."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from mlgate.config.root import find_root
from mlgate.errors import EXIT_FAILED, EXIT_OK, MlgateError
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


def main(*, model: str, current: list[str], labels: list[str] | None, env: str | None,
         out: str | None, fmt: str) -> int:
    result = monitor_model(find_root(), model, env, current, labels or (),
                           now=datetime.now(UTC))
    if out is not None:
        _write(Path(out), result)
    if fmt == "json":
        print(dumps(result))
    elif fmt == "markdown":
        print(summary_markdown(result), end="")
    else:
        print(monitor_table(result))
    return EXIT_FAILED if result.verdict == "alert" else EXIT_OK
