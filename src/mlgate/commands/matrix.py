"""`mlgate matrix`: the models a workflow should act on, with the environment for each,
as one line of JSON for a GitHub Actions matrix (or `MODEL ENV` lines for a shell loop).

Promotion after a push: the models changed since the previous commit, into their first
environment. A manual run: one model, one environment, both checked. Monitoring: the
models that declare monitoring, in their last environment (what production serves).
A model that declares `retrain.command` carries it as "retrain", for the retrain workflow.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from mlgate.config.declarations import declaration_paths, find_root, load_model
from mlgate.errors import EXIT_OK, MlgateError
from mlgate.pullrequest.changed import base_commit, changed_models
from mlgate.render.text import table


def main(*, model: str | None, env: str | None, since: str | None, monitored: bool,
         fmt: str) -> int:
    root = find_root()
    names = [model] if model else [p.stem for p in declaration_paths(root)]
    models = [load_model(root, name) for name in names]
    if monitored:
        models = [m for m in models if m.monitoring]
    if since is not None:
        base = base_commit(since, cwd=root)
        if base is None:
            print(f"mlgate: {since!r} is no commit here: every model counts as changed",
                  file=sys.stderr)
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
    if fmt == "lines":
        for entry in entries:
            print(entry["model"], entry["env"])
    elif fmt == "table":
        print(table(["model", "env"], [(e["model"], e["env"]) for e in entries]))
    else:
        print(json.dumps(entries, separators=(",", ":")))
    return EXIT_OK
