"""`mlgate inventory [MODEL]`: every declared model with its owner, risk tier, intended
use, what each environment serves, its validation dates and overdue flags."""

from __future__ import annotations

from datetime import UTC, datetime

from mlgate.audit.model_inventory import inventory
from mlgate.config.declarations import find_root
from mlgate.errors import EXIT_OK
from mlgate.registry.state import read_registry
from mlgate.render.audit_views import render_inventory


def main(*, model: str | None, fmt: str) -> int:
    root = find_root()
    today = datetime.now(UTC).date()
    entries = inventory(root, read_registry(cwd=root), today=today, model=model)
    print(render_inventory(entries, fmt, today=today.isoformat()))
    return EXIT_OK
