"""The model inventory that model-risk guidance asks for: every declared model with its
owner, risk tier, intended use, what each environment serves, and its validation dates.

A validation holds until `review.valid_until`, or `last_validated + interval_days`, or the
earlier of the two when both are declared. Models found only in the registry's tags are
listed too, flagged as undeclared.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from mlgate.config.declarations import declaration_paths, load_model
from mlgate.config.model import Model, Review
from mlgate.errors import InvalidFile, NotFound
from mlgate.registry.state import ModelState, Registry, model_names

DUE_SOON_DAYS = 30


def valid_until(review: Review) -> date | None:
    return review.ends()


def inventory(root: Path, registry: Registry, *, today: date, model: str | None = None
              ) -> list[dict[str, Any]]:
    declared = {p.stem for p in declaration_paths(root)}
    names = model_names(registry, list(declared), model)
    entries = []
    for name in names:
        state = registry.model(name)
        if name not in declared:
            entries.append(_undeclared(name, state))
            continue
        try:
            loaded = load_model(root, name)
        # flagged: a declaration that does not pass, or one load_model does not find where
        # it looks (pipelines/NAME.yml); a file that cannot be read at all is no flag
        except (InvalidFile, NotFound) as exc:
            entry = _undeclared(name, state)
            entry.update(declared=True, flags=[f"invalid declaration: {exc.problems[0].render()}"])
            entries.append(entry)
            continue
        entries.append(_entry(loaded, state, today))
    return entries


def _environments(state: ModelState, names: list[str]) -> dict[str, Any]:
    envs = names + [e for e in state.environments() if e not in names]
    found: dict[str, Any] = {}
    for env in envs:
        stay = state.current(env)
        found[env] = None if stay is None else {
            "version": stay.version, "commit": stay.commit, "tag": stay.event.name,
            "since": stay.since.isoformat().replace("+00:00", "Z"),
            "evidence": stay.record is not None}
    return found


def _versions(state: ModelState) -> list[str]:
    from mlgate.registry.tags import Version

    def key(v: str) -> tuple[int, int, int, int, str]:
        parsed = Version.parse(v)
        return parsed.sort_key() if parsed else (-1, -1, -1, -1, v)

    return sorted(state.versions(), key=key)


def _entry(model: Model, state: ModelState, today: date) -> dict[str, Any]:
    review = model.review
    flags = []
    try:
        until = valid_until(review)
    except ValueError:  # the schema rejects 2026-02-30; a declaration built otherwise may not
        until = None
        dates = ", ".join(d for d in (review.last_validated, review.valid_until) if d)
        flags.append(f"review dates are not calendar dates: {dates}")
    envs = _environments(state, list(model.environment_names))
    serving = [env for env, stay in envs.items() if stay is not None]
    days_left = None if until is None else (until - today).days
    overdue = days_left is not None and days_left < 0
    if until is None:
        if not flags:
            flags.append("no end of validity declared (review.interval_days or valid_until)")
    elif overdue:
        flags.append(f"validation overdue since {until.isoformat()}")
        if serving:
            flags.append(f"serving while overdue: {', '.join(serving)}")
    elif days_left is not None and days_left <= DUE_SOON_DAYS:
        flags.append(f"validation due in {days_left} days")
    return {
        "model": model.name, "declared": True, "description": model.description,
        "owner": {"name": model.owner.name, "email": model.owner.email},
        "risk_tier": model.risk_tier, "intended_use": model.intended_use,
        "review": {"last_validated": review.last_validated,
                   "interval_days": review.interval_days,
                   "valid_until": review.valid_until, "validator": review.validator},
        "valid_until": until.isoformat() if until else None, "days_left": days_left,
        "overdue": overdue, "environments": envs, "versions": _versions(state),
        "flags": flags,
    }


def _undeclared(name: str, state: ModelState) -> dict[str, Any]:
    return {
        "model": name, "declared": False, "description": None, "owner": None,
        "risk_tier": None, "intended_use": None, "review": None, "valid_until": None,
        "days_left": None, "overdue": False,
        "environments": _environments(state, []), "versions": _versions(state),
        "flags": ["not declared in pipelines/: no owner, risk tier or validation on record"],
    }
