"""What each environment serves now, per model, as data for `mlgate show`.

Declared models are listed even when nothing is deployed yet; models known only from
tags (a registry made by GTO alone, say) are listed too, without evidence.

A tag is what anyone who can push tags can make: what an environment serves is verified
only when its tag carries a record that the ledger holds (the same record, naming that
tag and commit). Otherwise it is shown as unverified, never as plainly serving; `mlgate
audit verify` says why.

Invariant: one `git for-each-ref` lists the tags, and records are read afterwards only for
the events that serve now; the declarations' parser (a heavy import) is imported while git
lists, and neither DVC nor pandas is imported at all, so `mlgate show` starts fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgate.config.root import declaration_paths
from mlgate.plumbing import gcpause, git, jsonread
from mlgate.registry.ledger import LEDGER_BRANCH, LEDGER_REF, digest, record_path
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
    stays = [stay for state in states for env in state.environments()
             if (stay := state.current(env)) is not None]
    checked = on_ledger(root, stays)
    return [model_view(name, registry.model(name),
                       load_model(root, name) if name in declared else None, root, checked)
            for name in names]


LEDGERS = (LEDGER_REF, f"refs/remotes/origin/{LEDGER_BRANCH}")


def on_ledger(root: Path, stays: list[Deployment]) -> dict[str, str | None]:
    """Tag name -> None when the tag's record is on the ledger (the local branch, else
    origin's copy), naming that tag and commit; else why it is unverified. One `git
    cat-file --batch` for all of them."""
    paths: list[str | None] = [_path(stay.record) for stay in stays]
    specs = [*LEDGERS] + [f"{ref}:{path}" for path in paths if path for ref in LEDGERS]
    found = iter(git.cat_objects(specs, cwd=root))
    heads = [next(found)[1] == "commit" for _ in LEDGERS]
    ledger = heads.index(True) if any(heads) else None
    why: dict[str, str | None] = {}
    for stay, path in zip(stays, paths, strict=True):
        name = stay.event.name
        copies = [next(found) for _ in LEDGERS] if path else []
        if stay.record is None:
            why[name] = "no record (a tag only)"
        elif ledger is None:
            why[name] = "no ledger to check its record against"
        elif not _same(copies[ledger] if copies else None, stay.record):
            why[name] = "its record is not on the ledger"
        else:
            pred = stay.record["predicate"]
            tags = pred.get("tags") if isinstance(pred.get("tags"), list) else []
            named = name in tags and pred.get("commit") == stay.commit
            why[name] = None if named else "its record is for another tag"
    return why


def _path(record: dict[str, Any] | None) -> str | None:
    """Where the ledger keeps ``record`` (untrusted: None when it names no safe path)."""
    try:
        path = record_path(record) if record else None
    except (KeyError, TypeError, ValueError):
        return None
    return path if path and "\n" not in path and "\0" not in path else None


def _same(found: tuple[str, str, bytes] | None, record: dict[str, Any]) -> bool:
    """Whether the ledger's object ``found`` is ``record``."""
    if found is None or found[1] != "blob":
        return False
    held = _digest(_record(found[2]))
    return held is not None and held == _digest(record)


def _digest(record: dict[str, Any] | None) -> str | None:
    if record is None:
        return None
    try:
        return digest(record)
    except (TypeError, ValueError):  # no record mlgate could write (NaN, say)
        return None


def _record(raw: bytes) -> dict[str, Any] | None:
    try:
        data = jsonread.loads(raw, max_depth=jsonread.RECORD_DEPTH)
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def model_view(name: str, state: ModelState, model: Model | None, root: Path,
               checked: dict[str, str | None]) -> dict[str, Any]:
    envs = list(model.environment_names) if model else []
    envs += [e for e in state.environments() if e not in envs]
    key = list(model.metrics.key) if model and model.metrics.key else (
        list(model.metrics.directions) if model else [])
    latest = state.latest_version()
    tagged = next((ev.tag.model for ev in state.events), None)
    return {
        "model": name,
        # what its tags (and GTO, and DVC Studio) name it: `models/a:churn` for a
        # subdirectory artifact
        "address": model.address if model else tagged or name,
        "declared": model is not None,
        "latest": f"v{latest}" if latest else None,
        "key_metrics": key,
        "environments": {env: _stay(state.current(env), key, checked) for env in envs},
    }


def _stay(stay: Deployment | None, key: list[str], checked: dict[str, str | None]
          ) -> dict[str, Any] | None:
    if stay is None:
        return None
    unverified = checked.get(stay.event.name, "not checked against the ledger")
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
        "verified": unverified is None,
        "unverified": unverified,  # why not, when not
        "record_digest": digest(record) if record else None,
    }
