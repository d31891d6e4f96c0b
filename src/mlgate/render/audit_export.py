"""The audit export's files, by name, and the summary of what was written.

Invariant: every file is rendered from the one document `audit.export.collect` gathers,
in a fixed order (HTML, JSON, then the CSV tables); writing them is the command's part.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mlgate.render import audit_csv, audit_html
from mlgate.render.text import to_json

if TYPE_CHECKING:
    from mlgate.audit.export import Export


def files(export: Export) -> dict[str, str]:
    """File name -> its text, in the order the summary names them."""
    data = export.data
    return {"audit.html": audit_html.render(data), "audit.json": to_json(data) + "\n",
            **audit_csv.tables(data)}


def render_summary(export: Export, out: Path, names: Sequence[str], fmt: str) -> str:
    v = export.verification
    if fmt == "json":
        return to_json({"out": str(out), "files": list(names),
                        "records": export.records, "models": export.models,
                        "verification": v.as_dict()})
    return (f"wrote {', '.join(names)} to {out}\n"
            f"{export.models} models, {export.records} records; verification: {v.verdict}"
            + (f" ({len(v.findings)} findings)" if v.findings else ""))
