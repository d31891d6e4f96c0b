"""`history`'s rows: every record (promotions, rollbacks, retirements, refusals; monitoring
runs; deploys), plus tags that carry none (a registry made by GTO alone), newest first,
filtered by kind of event (:data:`mlgate.audit.timeline.EVENTS`). A row is made once per
record in the ledger, so the makers read the predicate directly and cheaply."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from mlgate.audit.records import Record
from mlgate.audit.timeline import EPOCH, EVENTS, chosen_metrics, iso
from mlgate.audit.trail import Trail
from mlgate.registry.state import Registry, TagEvent
from mlgate.registry.tags import Action


def verdict(record: Record) -> str:
    return _verdict(record.mapping("decision"))


def _verdict(decision: dict[str, Any]) -> str:
    if not decision.get("results"):
        return "-"
    return "pass" if decision.get("passed") is True else "FAIL"


def record_row(record: Record, keys: tuple[str, ...], evidence: str) -> dict[str, Any]:
    """One history row. It reads the predicate directly, as :class:`Record`'s properties
    would (same checks of untrusted shapes): this runs once per record in the ledger."""
    pred = record.pred
    get = pred.get
    seq, tags, approvals, ci = get("seq"), get("tags"), get("approvals"), get("ci")
    model, env, action, version = get("model"), get("environment"), get("action"), get("version")
    commit, decision, metrics, text = get("commit"), get("decision"), get("metrics"), get("time")
    actor = ci.get("actor") if type(ci) is dict else None
    when = record.time
    row = {
        # YYYY-MM-DDTHH:MM:SSZ that parsed: iso() would give it back unchanged
        "time": text if when is not None and type(text) is str and len(text) == 20
        and text[-1] == "Z" else iso(when),
        "seq": seq if type(seq) is int else None,
        "model": model if type(model) is str else "",
        "environment": env if type(env) is str else "",
        "action": action if type(action) is str else "",
        "version": version if type(version) is str and version else None,
        "verdict": _verdict(decision) if type(decision) is dict else "-",
        "who": str(actor or record.author or ""),
        "approvals": approvals if type(approvals) is list else [],
        "metrics": chosen_metrics(metrics if type(metrics) is dict else {}, keys),
        "reason": get("reason"),
        "tags": [t for t in tags if type(t) is str] if type(tags) is list else [],
        "commit": commit if type(commit) is str else "", "evidence": evidence,
        "ledger_commit": record.ledger_commit,
    }
    if action == "monitor" or action == "deploy":
        _observed(row, pred, action)
    return row


def _observed(row: dict[str, Any], pred: dict[str, Any], action: str) -> None:
    """A monitoring or deploy record's row: its verdict (ok, warn, ALERT; deployed or
    FAILED), the production metric and its gap as metrics, the route on alert as reason."""
    if action == "deploy":
        outcome = pred.get("outcome")
        row["verdict"] = {"success": "deployed", "skipped": "skipped"}.get(
            outcome if type(outcome) is str else "", "FAILED")
        detail = pred.get("detail")
        row["reason"] = detail if type(detail) is str else None
        return
    said = pred.get("verdict")
    row["verdict"] = "ALERT" if said == "alert" else said if type(said) is str else "-"
    perf = pred.get("performance")
    if type(perf) is dict and type(perf.get("metric")) is str:
        row["metrics"] = {perf["metric"]: perf.get("production"), "gap": perf.get("gap")}
    actions = pred.get("actions")
    route = pred.get("route")
    if said == "alert" and type(route) is dict and route:  # each cause and its actions
        row["reason"] = "route: " + "; ".join(
            f"{cause} -> {', '.join(str(a) for a in to) if type(to) is list and to else 'none'}"
            for cause, to in route.items())
    elif said == "alert" and type(actions) is list and actions:  # records before causes
        row["reason"] = "route: " + ", ".join(str(a) for a in actions)


_ACTION_TEXT = {action: action.value for action in Action}  # an Enum's .value is slow


def tag_row(event: TagEvent, version: str | None, model: str | None = None) -> dict[str, Any]:
    tag = event.tag
    return {
        # iso(event.time) (a time in UTC, to the second), without its conversions
        "time": event.time.isoformat().replace("+00:00", "Z"), "seq": None,
        "model": model or tag.model, "environment": tag.env, "action": _ACTION_TEXT[tag.action],
        "version": tag.version or version, "verdict": "-", "who": event.tagger,
        "approvals": [], "metrics": {}, "reason": None, "tags": [event.name],
        "commit": event.commit, "evidence": "tag only", "ledger_commit": None,
    }


Row = tuple[tuple[datetime, int], dict[str, Any]]  # (sort key, row)


def record_rows(records: Iterable[Record], *, model: str | None, env: str | None,
                keys: dict[str, tuple[str, ...]], events: str = "all") -> list[Row]:
    """The rows of ``records`` in scope (see :func:`history`), in their order, unsorted."""
    rows: list[Row] = []
    actions = None if events == "all" else EVENTS[events]
    for record in records:
        if actions is not None and record.pred.get("action") not in actions:
            continue
        if (model is None and env is None) or (
                model in (None, record.model) and env in (None, record.env)):
            row = record_row(record, keys.get(record.model, ()) if keys else (), "record")
            rows.append(((record.time or EPOCH, row["seq"] or 0), row))
    return rows


class TagRows:
    """The rows of a registry's record-less tags, made as git lists the tags (when there is
    no ledger, every tag is one, and they are most of `history`'s work): :meth:`add` is
    given the events as they come; :func:`history` takes the rows, in the order it would
    have made them (per model, in listing order), their versions filled in by then."""

    def __init__(self, *, model: str | None, env: str | None, events: str = "all",
                 root: Path | None = None) -> None:
        self.model, self.env, self.root = model, env, root
        self.shown = events in ("all", "promotion")  # tags are promotion events
        # per model, rows in the making (version to fill in) and tags that carry a record
        self.made: dict[str, list[tuple[Row, TagEvent] | TagEvent]] = {}
        self._declared: dict[str, str] | None = None  # address -> declared model's name

    def _name(self, tagged: str) -> str:
        """The declared model a subdirectory artifact's address (`models/a:churn`) is,
        from the declarations, read the first time a tag names one."""
        if ":" not in tagged or self.root is None:
            return tagged
        if self._declared is None:
            from mlgate.registry.addresses import declared_addresses

            self._declared = declared_addresses(self.root)
        return self._declared.get(tagged, tagged)

    def add(self, events: list[TagEvent]) -> list[dict[str, Any]]:
        """Takes the events of tags just listed; returns the rows made that are complete
        (those whose tag names its version)."""
        complete: list[dict[str, Any]] = []
        if not self.shown:
            return complete
        model, env, made = self.model, self.env, self.made
        for event in events:
            tag = event.tag
            name = self._name(tag.model)
            if (model is not None or env is not None) and not (
                    model in (None, name) and env in (None, tag.env)):
                continue
            entries = made.get(name)
            if entries is None:
                entries = made[name] = []
            if event.loaded_message is None or event.record is not None:
                entries.append(event)  # left to history()
                continue
            row = tag_row(event, None, name)
            entries.append((((event.time, 0), row), event))
            if row["version"] is not None:
                complete.append(row)
        return complete

    def entries(self, registry: Registry) -> Iterator[Row | TagEvent]:
        """Per model (in the registry's order), its rows (versions filled in) and the
        events left to :func:`history`, as they came."""
        for name in registry.models:
            versions = None
            for entry in self.made.get(name, ()):
                if isinstance(entry, TagEvent):
                    yield entry
                    continue
                made, event = entry
                if made[1]["version"] is None:
                    if versions is None:
                        versions = registry.model(name).commit_versions()
                    made[1]["version"] = versions.get(event.commit)
                yield made


def history(trail: Trail, *, model: str | None, env: str | None,
            keys: dict[str, tuple[str, ...]], events: str = "all",
            rows_made: list[Row] | None = None,
            tag_rows: TagRows | None = None) -> list[dict[str, Any]]:
    """Every record and every record-less registry tag in scope, newest first; ``events``
    is "all" or a key of :data:`EVENTS` (tags are promotion events). ``rows_made``: the
    :func:`record_rows` of all of the trail's records, in ledger order, made already;
    ``tag_rows``: the registry's tags, given as they were listed (a trail with no ledger)."""
    return [row for _, row in sorted_rows(trail, model=model, env=env, keys=keys,
                                          events=events, rows_made=rows_made,
                                          tag_rows=tag_rows)]


def sorted_rows(trail: Trail, *, model: str | None, env: str | None,
                keys: dict[str, tuple[str, ...]], events: str = "all",
                rows_made: list[Row] | None = None,
                tag_rows: TagRows | None = None) -> list[Row]:
    """:func:`history`'s rows with their sort keys."""
    rows = list(rows_made) if rows_made is not None else record_rows(
        trail.records, model=model, env=env, keys=keys, events=events)

    def wanted(m: str, e: str | None) -> bool:
        return model in (None, m) and env in (None, e)

    named = trail.naming()  # a tag the ledger names is its record's row (verify checks)
    seen: set[str] = set()
    entries: Iterable[Row | TagEvent]
    if tag_rows is not None:
        assert not named, "tag rows are made only for a registry with no ledger"
        entries = list(tag_rows.entries(trail.registry))
        trail.registry.load_messages(e for e in entries if isinstance(e, TagEvent))
    else:
        declared_as = trail.registry.declared_as  # a subdirectory artifact's address
        unnamed = [ev for ev in trail.events if ev.name not in named and (
                   (model is None and env is None)
                   or wanted(declared_as(ev.tag.model), ev.tag.env))] \
            if events in ("all", "promotion") else []
        trail.registry.load_messages(unnamed)
        entries = unnamed
    # per tagged model: its declared name, and commit -> its version, made once
    versions: dict[str, tuple[str, dict[str, str]]] = {}
    for entry in entries:
        if not isinstance(entry, TagEvent):
            rows.append(entry)
            continue
        event = entry
        if event.record is None:
            known = versions.get(event.tag.model)
            if known is None:
                state = trail.registry.model(event.tag.model)
                known = versions[event.tag.model] = (state.name, state.commit_versions())
            name, found = known
            rows.append(((event.time, 0), tag_row(event, found.get(event.commit), name)))
            continue
        record = Record(event.record)
        if record.digest not in seen and not trail.holds(event.record):
            seen.add(record.digest)  # a record in tag messages only: verify says why
            row = record_row(record, keys.get(record.model, ()), "tag, not on the ledger")
            rows.append(((record.time or event.time, record.seq or 0), row))
    rows.sort(key=lambda item: item[0], reverse=True)
    return rows
