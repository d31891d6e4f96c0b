"""What a promotion, rollback or retirement came to: passed or refused, the tags it made,
its record, whether it was pushed. Rendered by :mod:`mlgate.render.registry_text`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Outcome:
    model: str
    environment: str
    action: str
    passed: bool
    version: str | None
    tags: tuple[str, ...]
    record: dict[str, Any] | None
    decision: Any
    pushed: bool
    dry_run: bool
    notes: tuple[str, ...] = ()
