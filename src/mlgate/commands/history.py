"""`mlgate history [MODEL] [--env ENV]`: every promotion, rollback, retirement and refusal,
newest first, from the ledger (and registry tags that carry no record)."""

from __future__ import annotations

from mlgate.audit import timeline, trail
from mlgate.config.declarations import find_root
from mlgate.errors import EXIT_OK
from mlgate.report.audit_text import render_history


def main(*, model: str | None, env: str | None, fmt: str) -> int:
    root = find_root()
    loaded = trail.load(root)
    keys, envs = timeline.declared_keys(root)
    timeline.check_scope(loaded, model, env, envs)
    rows = timeline.history(loaded, model=model, env=env, keys=keys)
    scope = " in ".join(x for x in (model or "any model", env) if x)
    print(render_history(rows, fmt, scope=scope))
    return EXIT_OK
