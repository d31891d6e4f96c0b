"""`mlgate report [MODEL]`: a pull request's comment; exit 1 when a gate would fail."""

from __future__ import annotations

from mlgate.commands.check import write_atomically
from mlgate.config.declarations import find_root
from mlgate.errors import EXIT_FAILED, EXIT_OK


def main(*, model: str | None, base: str | None, env: str | None, fmt: str,
         out: str | None) -> int:
    from mlgate.prreport import build
    from mlgate.report import pr, pr_json

    report = build(find_root(), model, base, env)
    text = pr_json.as_json(report) + "\n" if fmt == "json" else pr.as_markdown(report)
    if out:
        write_atomically(out, text)
    print(text, end="")
    return EXIT_OK if report.passed else EXIT_FAILED
