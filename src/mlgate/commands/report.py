"""`mlgate report [MODEL]`: a pull request's comment; exit 1 when a gate would fail."""

from __future__ import annotations

from pathlib import Path

from mlgate.config.root import find_root
from mlgate.errors import EXIT_FAILED, EXIT_OK, MlgateError


def main(*, model: str | None, base: str | None, env: str | None, fmt: str,
         out: str | None) -> int:
    if out:  # before the report, which takes a while: not after it
        _check_writable(out)
    from mlgate.pullrequest import build
    from mlgate.render import pr, pr_json

    report = build(find_root(), model, base, env)
    text = pr_json.as_json(report) + "\n" if fmt == "json" else pr.as_markdown(report)
    if out:
        from mlgate.plumbing.files import write_atomic

        write_atomic(Path(out), text, hint="choose a writable path for --out")
    print(text, end="")
    return EXIT_OK if report.passed else EXIT_FAILED


def _check_writable(out: str) -> None:
    folder = Path(out).parent
    if not folder.is_dir():
        raise MlgateError(f"cannot write the report: there is no directory {str(folder)!r}",
                          path=out, hint="create it first, or choose another path for --out")
    if Path(out).is_dir():
        raise MlgateError("cannot write the report: it is a directory", path=out,
                          hint="name a file for --out, not a directory")
