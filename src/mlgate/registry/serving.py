"""What each environment serves now, per model, as data for `mlgate show`.

Declared models are listed even when nothing is deployed yet; models known only from
tags (a registry made by GTO alone, say) are listed too, without evidence.

Invariant: one `git for-each-ref` lists the tags, and records are read afterwards only for
the events that serve now; the declarations' parser (a heavy import) is imported while git
lists, and neither DVC nor pandas is imported at all, so `mlgate show` starts fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgate.config.root import declaration_paths
from mlgate.plumbing import gcpause
from mlgate.registry.ledger import digest
from mlgate.registry.state import Deployment, ModelState, RegistryReading, model_names

if TYPE_CHECKING:
    from mlgate.config.model import Model


def show(root: Path, *, model: str | None) -> list[dict[str, Any]]:
    """One view per model (only ``model`` when given), sorted by name."""
    # git lists the tags while the declarations' parser is imported; the records are read
    # later, only for what serves now
    reading = RegistryReading(root, messages=False)
    from mlgate.config.declarations import load_model

    with gcpause.paused():
        registry = reading.result()
    declared = {p.stem: p for p in declaration_paths(root)}
    names = model_names(registry, list(declared), model)
    states = [registry.model(name) for name in names]
    registry.load_messages(ev for state in states for env in state.environments()
                           if (ev := state.last_event(env)) is not None)
    return [model_view(name, registry.model(name),
                       load_model(root, name) if name in declared else None, root)
            for name in names]


def model_view(name: str, state: ModelState, model: Model | None, root: Path) -> dict[str, Any]:
    envs = list(model.environment_names) if model else []
    envs += [e for e in state.environments() if e not in envs]
    key = list(model.metrics.key) if model and model.metrics.key else (
        list(model.metrics.directions) if model else [])
    latest = state.latest_version()
    return {
        "model": name,
        "declared": model is not None,
        "latest": f"v{latest}" if latest else None,
        "key_metrics": key,
        "environments": {env: _stay(state.current(env), key) for env in envs},
    }


def _stay(stay: Deployment | None, key: list[str]) -> dict[str, Any] | None:
    if stay is None:
        return None
    record = stay.record
    pred: dict[str, Any] = (record or {}).get("predicate", {})
    ci = pred.get("ci") or {}
    metrics = pred.get("metrics") or {}
    return {
        "version": f"v{stay.version}" if stay.version else None,
        "commit": stay.commit,
        "since": stay.since.isoformat().replace("+00:00", "Z"),
        "tag": stay.event.name,
        "by": ci.get("actor") or stay.event.tagger or None,
        "action": pred.get("action"),
        "approvals": pred.get("approvals") or [],
        "metrics": {k: metrics[k] for k in key if k in metrics},
        "evidence": record is not None,
        "record_digest": digest(record) if record else None,
    }
