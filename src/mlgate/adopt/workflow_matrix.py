"""The models a workflow should act on, with the environment for each (`mlgate matrix`).

Promotion after a push: the models changed since the previous commit, into their first
environment. A manual run: one model, one environment, both checked. Monitoring: the
models that declare monitoring, in their last environment (what production serves).
A model that declares `retrain.command` carries it as "retrain", for the retrain workflow.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlgate.config.changed import base_commit, changed_models
from mlgate.config.declarations import declaration_paths, load_model
from mlgate.errors import MlgateError
from mlgate.registry.addresses import declared_model


def matrix(root: Path, *, model: str | None, env: str | None, since: str | None,
           monitored: bool) -> tuple[list[dict[str, Any]], list[str]]:
    """The matrix's entries, and notes for the person who reads the log."""
    # a manual run may name the model by GTO's address (`models/a:churn`); the matrix
    # names its declaration, which the promote job's commands and concurrency group take
    names = [declared_model(root, model)] if model else [p.stem for p in declaration_paths(root)]
    models = [load_model(root, name) for name in names]
    notes: list[str] = []
    if monitored:
        models = [m for m in models if m.monitoring]
    if since is not None:
        base = base_commit(since, cwd=root)
        if base is None:
            notes.append(f"{since!r} is no commit here: every model counts as changed")
        else:
            models = changed_models(models, base, cwd=root)
    entries: list[dict[str, Any]] = []
    for m in models:
        chosen = env or (m.environment_names[-1] if monitored else m.environment_names[0])
        if chosen not in m.environment_names:
            raise MlgateError(f"model {m.name!r} has no environment {chosen!r}", path=m.source,
                              hint=f"declared: {', '.join(m.environment_names)}")
        entry: dict[str, Any] = {"model": m.name, "env": chosen}
        if monitored and m.monitoring:
            entry["reference"] = m.monitoring.get("reference")
        if m.retrain_command:
            entry["retrain"] = m.retrain_command
        entries.append(entry)
    return entries, notes
