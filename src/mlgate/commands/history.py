"""`mlgate history [MODEL] [--env ENV] [--events KIND]`: every promotion, rollback,
retirement and refusal, monitoring run and deploy, newest first, from the ledger (and
registry tags that carry no record)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from mlgate.audit import trail
from mlgate.audit.ledger_log import Skipping
from mlgate.audit.records import Record
from mlgate.config.root import find_root
from mlgate.errors import EXIT_OK
from mlgate.plumbing import gcpause
from mlgate.registry.state import RegistryReading, TagEvent, read_registry


def main(*, model: str | None, env: str | None, fmt: str, events: str = "all") -> int:
    root = find_root()
    if model is not None:  # `models/a:churn` is the model declared with that dvc_artifact
        from mlgate.registry.addresses import declared_name

        model = declared_name(root, model)
    # git logs the ledger while the rest is imported and the declarations are read, then
    # lists the tags while mlgate goes on (at 10,000 records: 0.1 s and 0.2 s of git, hidden)
    tags_wanted = events in ("all", "promotion")  # tags are promotion events
    reading = trail.Reading(root, list_tags=tags_wanted)
    # no ledger (a registry made by GTO alone): every tag is a row, and one listing with the
    # messages is all the reading there is
    tags_only = RegistryReading(root) if reading.head is None and tags_wanted else None
    from mlgate.audit import history_rows, timeline
    from mlgate.render.audit_text import history_cells, render_history

    keys, envs = timeline.declared_keys(root)
    # the summaries ledger commits carry are enough, unless a key metric is a nested one;
    # tags are read only when some are not the ledger's (made by GTO alone, say)
    nested = any("." in key for names in keys.values() for key in names)
    # rows, and the table's cells, are made while git logs the ledger or lists the tags,
    # a piece of its output at a time: the rows left to make after git are few
    shown: dict[int, tuple[str, ...]] = {}  # id(row) -> its cells (the table only)
    batches: list[list[history_rows.Row]] = []  # the records' rows, a batch at a time, newest first
    made = 0

    def present(rows: list[dict[str, Any]]) -> None:
        if fmt == "table":
            shown.update((id(row), history_cells(row)) for row in rows)

    def each(records: list[Record]) -> None:
        nonlocal made
        made += len(records)
        batch = history_rows.record_rows(records, model=model, env=env, keys=keys, events=events)
        batches.append(batch)
        present([row for _, row in batch])

    tag_rows = history_rows.TagRows(model=model, env=env, events=events, root=root) \
        if tags_only else None

    def each_tag(listed: list[TagEvent]) -> None:
        assert tag_rows is not None
        present(tag_rows.add(listed))

    # `--events` over the whole registry: the summaries of other events are not decoded
    # (with a model or an environment named, every record counts: is the name known?)
    only = Skipping(timeline.EVENTS[events], naming=tags_wanted) \
        if events != "all" and model is None and env is None else None
    with gcpause.paused():
        loaded = reading.result(full=nested, tags=False, each=None if nested else each,
                                only=only)
        if tags_only is not None:
            loaded = replace(loaded, registry=tags_only.result(each=each_tag))
        # in ledger order, unless some records were not partial ones (read from their files)
        record_rows = [row for batch in reversed(batches) for row in reversed(batch)] \
            if made == len(loaded.records) else None
        rows = history_rows.history(loaded, model=model, env=env, keys=keys, events=events,
                                rows_made=record_rows, tag_rows=tag_rows)
        # tags that no record names (made by GTO alone, say) are rare, and the rows are made
        # again with them; their messages come in the listing when they are most of the
        # tags, else in one cat-file
        unnamed = reading.tag_names(besides=loaded.naming()) \
            if tags_only is None and tags_wanted and reading.head is not None else ()
        if unnamed:
            many = len(unnamed) > len(loaded.naming())
            loaded = replace(loaded, registry=read_registry(cwd=root, messages=many))
            rows = history_rows.history(loaded, model=model, env=env, keys=keys, events=events,
                                    rows_made=record_rows)
        timeline.check_scope(loaded, model, env, envs)
        scope = " in ".join(x for x in (model or "any model", env) if x)
        print(render_history(rows, fmt, scope=scope, shown=shown))
    return EXIT_OK
