"""`mlgate history [MODEL] [--env ENV]`: every promotion, rollback, retirement and refusal,
newest first, from the ledger (and registry tags that carry no record)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from mlgate.audit import timeline, trail
from mlgate.config.declarations import find_root
from mlgate.errors import EXIT_OK
from mlgate.registry import read_registry, registry_tag_names
from mlgate.report.audit_text import render_history


def main(*, model: str | None, env: str | None, fmt: str) -> int:
    root = find_root()
    keys, envs = timeline.declared_keys(root)
    # the summaries ledger commits carry are enough, unless a key metric is a nested one;
    # tags are read only when some are not the ledger's (made by GTO alone, say)
    nested = any("." in key for names in keys.values() for key in names)
    with ThreadPoolExecutor(max_workers=1) as pool:  # git lists tags while it logs the ledger
        names = pool.submit(registry_tag_names, cwd=root)
        loaded = trail.load(root, full=nested, tags=False)
    if names.result() - loaded.naming().keys():
        loaded = replace(loaded, registry=read_registry(cwd=root, messages=False))
    timeline.check_scope(loaded, model, env, envs)
    rows = timeline.history(loaded, model=model, env=env, keys=keys)
    scope = " in ".join(x for x in (model or "any model", env) if x)
    print(render_history(rows, fmt, scope=scope))
    return EXIT_OK
