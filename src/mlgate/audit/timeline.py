"""What happened, and what served when: folded from the records, not from today's tags.

`served_at` replays one environment's records up to a time: a promotion or rollback starts
a stay, a retirement ends it, a refusal changes nothing. `history`'s rows (every record,
plus tags that carry none, newest first, filtered by kind of event, :data:`EVENTS`) are
made in :mod:`mlgate.audit.history_rows`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from mlgate.audit.records import Record
from mlgate.audit.trail import Trail
from mlgate.config.metricsfile import flatten
from mlgate.config.root import declaration_paths
from mlgate.errors import InvalidFile, MlgateError, NotFound, suggest

SERVING = ("promote", "rollback")
# `history --events`: which records each choice shows, by action
EVENTS = {"promotion": ("promote", "rollback", "retire", "refused"), "monitoring": ("monitor",),
          "deploy": ("deploy",)}
CHANGES = ("promote", "rollback", "retire")
EPOCH = datetime.min.replace(tzinfo=UTC)


def iso(when: datetime | None) -> str | None:
    return None if when is None else when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    """An ISO date (its start, 00:00 UTC) or date and time (UTC unless it has an offset)."""
    hint = ("write an ISO date or date and time, e.g. 2026-03-01 or 2026-03-01T14:30:00Z "
            "(UTC unless an offset such as +02:00 is given)")
    value = text.strip()
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(), UTC)
        when = datetime.fromisoformat(value)
    except ValueError:
        raise MlgateError(f"not a date or time: {text!r}", hint=hint) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def check_scope(trail: Trail, model: str | None, env: str | None,
                declared: dict[str, tuple[str, ...]]) -> None:
    """Unknown model or environment: exit 2 with the names that exist."""
    if model is not None and model not in declared and model not in (
            models := sorted(set(trail.models()) | set(declared))):
        close = suggest(model, models)
        tip = f"did you mean {close!r}? " if close else ""
        raise MlgateError(f"no model named {model!r} in pipelines/ or in the registry",
                          hint=f"{tip}known: {', '.join(models) or 'none'}")
    if env is None:
        return
    envs = set(trail.environments(model))
    for name, names in declared.items():
        if model in (None, name):
            envs.update(names)
    if env not in envs:
        known = sorted(envs)
        close = suggest(env, known)
        tip = f"did you mean {close!r}? " if close else ""
        whose = f" for model {model!r}" if model else ""
        raise MlgateError(f"unknown environment {env!r}{whose}",
                          hint=f"{tip}known: {', '.join(known) or 'none'}")


def key_metrics(record: Record, keys: tuple[str, ...]) -> dict[str, Any]:
    return chosen_metrics(record.mapping("metrics"), keys)


def chosen_metrics(metrics: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """The declared key metrics, else the first three numbers that are not nested."""
    if keys:
        if any(type(v) is dict for v in metrics.values()):
            metrics = flatten(metrics)
        return {k: metrics[k] for k in keys if k in metrics}
    found: dict[str, Any] = {}
    for k, v in metrics.items():
        if type(v) in _NUMBERS and "." not in k:  # bool is not one: type(), not isinstance
            found[k] = v
            if len(found) == 3:
                break
    return found


_NUMBERS = (int, float)


@dataclass(frozen=True)
class Stay:
    record: Record
    until: datetime | None
    ended_by: Record | None


def served_at(trail: Trail, at: datetime, env: str, model: str | None) -> list[Stay]:
    """Per model, the record whose stay in ``env`` covers ``at``, replaying the ledger."""
    current: dict[str, Record | None] = {}
    ended: dict[str, Stay] = {}
    for record in trail.records:
        if record.env != env or model not in (None, record.model):
            continue
        if record.action not in CHANGES or record.time is None:
            continue
        name = record.model
        if record.time <= at:
            current[name] = record if record.action in SERVING else None
        elif name not in ended and current.get(name) is not None:
            serving = current[name]
            assert serving is not None
            ended[name] = Stay(serving, record.time, record)
    stays = []
    for name in sorted(current):
        serving = current[name]
        if serving is not None:
            stays.append(ended.get(name) or Stay(serving, None, None))
    return stays


def lineage(stay: Stay) -> dict[str, Any]:
    """Everything the record says about what served: the auditor's full answer."""
    record = stay.record
    pred = record.pred
    params = record.mapping("params")
    results = record.mapping("decision").get("results")
    return {
        "model": record.model, "environment": record.env, "version": record.version,
        "action": record.action, "since": iso(record.time), "until": iso(stay.until),
        "ended_by": stay.ended_by.label if stay.ended_by else None,
        "commit": record.commit,
        "artifact": {"name": record.subject.get("name"), "digest": record.digests},
        "dvc_lock": record.mapping("dvc_lock").get("md5"),
        "params": {f"{file}:{key}": value for file, values in params.items()
                   if isinstance(values, dict) for key, value in flatten(values).items()},
        "data": [d for d in record.listing("data") if isinstance(d, dict)],
        "metrics": flatten(record.mapping("metrics")),
        "gates": [g for g in results if isinstance(g, dict)] if isinstance(results, list) else [],
        "approvals": record.listing("approvals"),
        "ci": record.mapping("ci") or None, "policy": record.mapping("policy"),
        "reason": pred.get("reason"), "who": record.who, "tags": record.tags,
        "record_digest": record.digest, "seq": record.seq,
        "ledger_commit": record.ledger_commit, "previous": pred.get("previous"),
    }


def declared_keys(root: Path) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """(key metrics, environments) of each declared model whose declaration loads; one that
    does not pass (or is not where load_model looks: pipelines/NAME.yml) is left out."""
    keys: dict[str, tuple[str, ...]] = {}
    envs: dict[str, tuple[str, ...]] = {}
    paths = declaration_paths(root)
    if not paths:  # a registry read with no declarations here: no YAML to load
        return keys, envs
    from mlgate.config.declarations import load_model

    for path in paths:
        try:
            model = load_model(root, path.stem)
        except (InvalidFile, NotFound):
            continue
        keys[model.name] = model.key_metrics
        envs[model.name] = model.environment_names
    return keys, envs
