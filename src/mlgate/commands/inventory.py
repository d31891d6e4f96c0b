"""`mlgate inventory [MODEL]`: every declared model with its owner, risk tier, intended
use, what each environment serves, its validation dates and overdue flags; with
``--strict``, exit 1 when any listed model's validation is overdue."""

from __future__ import annotations

from datetime import UTC, datetime

from mlgate.audit.model_inventory import inventory
from mlgate.config.declarations import find_root
from mlgate.errors import EXIT_FAILED, EXIT_OK
from mlgate.registry.state import read_registry
from mlgate.render.audit_views import render_inventory


def main(*, model: str | None, fmt: str, strict: bool = False) -> int:
    root = find_root()
    today = datetime.now(UTC).date()
    entries = inventory(root, read_registry(cwd=root), today=today, model=model)
    print(render_inventory(entries, fmt, today=today.isoformat()))
    if strict and any(entry["overdue"] for entry in entries):
        return EXIT_FAILED
    return EXIT_OK
