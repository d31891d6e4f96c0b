"""`mlgate history [MODEL] [--env ENV] [--events KIND] [--no-cache]`: every promotion,
rollback, retirement and refusal, monitoring run and deploy, newest first, from the ledger
(and registry tags that carry no record).

The rows a whole reading made are kept in a memo (:mod:`mlgate.audit.history_memo`), read
back when nothing they were made from has changed, and extended by the ledger's new
commits; anything else and they are made from git, as with `--no-cache`."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgate.audit import history_memo, trail
from mlgate.audit.history_memo import Memo
from mlgate.audit.ledger_log import Skipping
from mlgate.audit.records import Record
from mlgate.config.root import find_root
from mlgate.errors import EXIT_OK
from mlgate.plumbing import gcpause, git
from mlgate.registry.state import RegistryReading, TagEvent, read_registry

if TYPE_CHECKING:
    from mlgate.audit.history_rows import Row

# what names a registry's tags: their names and object ids (a tag object never changes)
TAG_IDS = ["for-each-ref", "--format=%(refname)%00%(objectname)%00", "refs/tags"]


def main(*, model: str | None, env: str | None, fmt: str, events: str = "all",
         cache: bool = True) -> int:
    root = find_root()
    if model is not None:  # `models/a:churn` is the model declared with that dvc_artifact
        from mlgate.registry.addresses import declared_name

        model = declared_name(root, model)
    tags_wanted = events in ("all", "promotion")  # tags are promotion events
    reading = trail.Reading(root, list_tags=tags_wanted, start=False)
    memo = history_memo.recall(root) if cache else None
    if memo is not None and not memo.usable_for(reading.ref, reading.head):
        memo = None
    # git logs the ledger while the rest is imported and the declarations are read, then
    # lists the tags while mlgate goes on (at 10,000 records: 0.1 s and 0.2 s of git, hidden)
    if memo is None:
        reading.start()
    elif reading.head is not None:
        reading.list_tags()  # which tags no record names: while the memo is read
    with gcpause.paused():
        if reading.head is None:
            text = _tags_only(root, reading, memo, fmt=fmt, model=model, env=env,
                              events=events, whole=cache and tags_wanted and model is None
                              and env is None)
        else:
            text = _ledger(root, reading, memo, fmt=fmt, model=model, env=env, events=events,
                           cache=cache)
        print(text)
    return EXIT_OK


def _ledger(root: Path, reading: trail.Reading, memo: Memo | None, *, fmt: str,
            model: str | None, env: str | None, events: str, cache: bool) -> str:
    from mlgate.audit import timeline

    keys, envs = timeline.declared_keys(root)
    nested = any("." in key for names in keys.values() for key in names)
    if memo is not None:
        head = memo.key["head"]
        if nested or memo.key != history_memo.memo_key(
                "ledger", keys=keys, addresses={}, ref=reading.ref, head=head):
            memo = None
        elif head != reading.head:  # the commits since, when they continue the memo's
            memo = _extended(root, reading, memo, keys)
        if memo is not None:
            shown = _recalled(reading, memo, model=model, env=env, events=events, fmt=fmt,
                              envs=envs)
            if shown is not None:
                return shown
        reading.start()
    return _made(root, reading, keys, envs, fmt=fmt, model=model, env=env, events=events,
                 nested=nested, keep=cache)


def _extended(root: Path, reading: trail.Reading, memo: Memo,
              keys: dict[str, tuple[str, ...]]) -> Memo | None:
    """``memo`` and the rows of the ledger's commits since its head, kept; None when those
    commits do not simply continue it (see :mod:`mlgate.audit.history_memo`)."""
    from mlgate.audit import history_rows
    from mlgate.render.audit_text import history_cells

    reading.start(since=memo.key["head"])
    loaded = reading.result(full=False, tags=False)
    parent = memo.key["head"]
    for commit in loaded.commits:  # oldest first
        if commit.parents != (parent,) or (commit.path and commit.path not in loaded.files):
            return None
        parent = commit.oid
    if parent != reading.head or loaded.unreadable or not all(
            r.partial for r in loaded.records) or not all(
            path in loaded.files for path in memo.paths):
        return None
    rows = history_rows.record_rows(loaded.records, model=None, env=None, keys=keys)
    memo.extend(rows, [history_cells(row) for _, row in rows],  # a row for each record
                [record.path or "" for record in loaded.records])
    memo.key["head"] = reading.head
    history_memo.keep(root, memo)
    return memo


def _recalled(reading: trail.Reading, memo: Memo, *, model: str | None, env: str | None,
              events: str, fmt: str, envs: dict[str, tuple[str, ...]]) -> str | None:
    """`history` from the ledger's memo; None when a tag no record names would be a row
    (read from git), or a name it has no row of may be unknown (git says)."""
    from mlgate.audit.timeline import EVENTS

    if model is not None and model not in envs and model not in {m for m, _, _ in memo.scope}:
        return None
    if env is not None and env not in {e for m, e, _ in memo.scope if model in (None, m)} \
            and not any(env in names for name, names in envs.items() if model in (None, name)):
        return None
    picked = memo.chosen(model=model, env=env,
                         actions=None if events == "all" else EVENTS[events])
    if events in ("all", "promotion") and reading.tag_names(besides=set(memo.named)):
        return None
    return _shown(memo, picked, fmt=fmt, model=model, env=env)


def _shown(memo: Memo, picked: list[int], *, fmt: str, model: str | None,
           env: str | None) -> str | None:
    """The rows ``picked`` from the memo, rendered; None when it cannot give them."""
    from mlgate.render.audit_text import history_table, render_history

    scope = " in ".join(x for x in (model or "any model", env) if x)
    if fmt == "json":
        rows = memo.rows(picked)
        return render_history(rows, fmt, scope=scope) if rows is not None else None
    cells = memo.cells
    return history_table([cells[i] for i in picked], scope=scope)


def _tags_only(root: Path, reading: trail.Reading, memo: Memo | None, *, fmt: str,
               model: str | None, env: str | None, events: str, whole: bool) -> str:
    """A registry with no ledger (made by GTO alone, say): every tag is a row. Read
    ``whole`` (every model, every environment), the rows are kept in a memo named by the
    tags' names and object ids: git lists those alone when there is a memo to compare them
    with, and the rows are made (the tags listed whole) when they differ."""
    from mlgate.audit import timeline
    from mlgate.registry.addresses import declared_addresses

    tags = None if (whole and memo is not None) or events not in ("all", "promotion") \
        else RegistryReading(root)  # git lists the tags while the declarations are read
    listing = git.start(TAG_IDS, cwd=root) if whole and memo is not None else None
    keys, envs = timeline.declared_keys(root)
    addresses = declared_addresses(root)

    def memo_key(listed: str) -> dict[str, Any]:
        return history_memo.memo_key("tags", keys=keys, addresses=addresses, listing=listed)

    if listing is not None and memo is not None and \
            memo.key == memo_key(hashlib.sha256(listing.result()[1]).hexdigest()):
        shown = _shown(memo, memo.chosen(model=None, env=None, actions=None), fmt=fmt,
                       model=None, env=None)
        if shown is not None:
            return shown
    if tags is None and events in ("all", "promotion"):
        tags = RegistryReading(root)
    return _made(root, reading, keys, envs, fmt=fmt, model=model, env=env, events=events,
                 nested=False, tags_only=tags, keyed=memo_key if whole else None)


def _made(root: Path, reading: trail.Reading, keys: dict[str, tuple[str, ...]],
          envs: dict[str, tuple[str, ...]], *, fmt: str, model: str | None, env: str | None,
          events: str, nested: bool, keep: bool = False,
          tags_only: RegistryReading | None = None,
          keyed: Callable[[str], dict[str, Any]] | None = None) -> str:
    """`history` made from git: the ledger's commits (or, with none, ``tags_only``, the
    tags' listing, started) as git writes them. A whole reading's rows are kept in the
    memo: a ledger's record rows, or, with ``keyed`` (the tags' memo key, given the digest
    of their names and object ids as :data:`TAG_IDS` lists them), every row."""
    from mlgate.audit import history_rows, timeline
    from mlgate.render.audit_text import history_cells, history_table, render_history

    tags_wanted = events in ("all", "promotion")
    # the summaries ledger commits carry are enough, unless a key metric is a nested one;
    # tags are read only when some are not the ledger's (made by GTO alone, say)
    # rows, and the table's cells, are made while git logs the ledger or lists the tags,
    # a piece of its output at a time: the rows left to make after git are few
    shown: dict[int, tuple[str, ...]] = {}  # id(row) -> its cells (the table only)
    batches: list[list[history_rows.Row]] = []  # the records' rows, a batch at a time, newest first
    paths: list[list[str]] = []  # their records' files
    whole = keep and model is None and env is None and events == "all"
    made = 0

    def present(rows: list[dict[str, Any]]) -> None:
        if fmt == "table":
            shown.update((id(row), history_cells(row)) for row in rows)

    def each(records: list[Record]) -> None:
        nonlocal made
        made += len(records)
        batch = history_rows.record_rows(records, model=model, env=env, keys=keys, events=events)
        batches.append(batch)
        if whole:  # a row for each record
            paths.append([record.path or "" for record in records])
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
    loaded = reading.result(full=nested, tags=False, each=None if nested else each, only=only)
    listed = hashlib.sha256()  # the tags' names and object ids, as TAG_IDS lists them

    def names(pairs: list[str]) -> None:
        # each of the listing's entries ends in a newline, which the next one's name begins
        listed.update("".join(f"refs/tags/{name.lstrip()}\0{oid}\0\n" for name, oid in
                              zip(pairs[::2], pairs[1::2], strict=True)).encode())

    if tags_only is not None:
        loaded = replace(loaded, registry=tags_only.result(
            each=each_tag, names=names if keyed is not None else None))
    # in ledger order, unless some records were not partial ones (read from their files)
    record_rows = [row for batch in reversed(batches) for row in reversed(batch)] \
        if made == len(loaded.records) else None
    if whole and record_rows is not None and reading.head is not None and not \
            loaded.unreadable and all(c.path is None or c.path in loaded.files
                                      for c in loaded.commits):
        _keep_ledger(root, reading, keys, record_rows,
                     [p for batch in reversed(paths) for p in reversed(batch)], shown)
    rows = history_rows.sorted_rows(loaded, model=model, env=env, keys=keys, events=events,
                                    rows_made=record_rows, tag_rows=tag_rows)
    # tags that no record names (made by GTO alone, say) are rare, and the rows are made
    # again with them; their messages come in the listing when they are most of the
    # tags, else in one cat-file
    unnamed = reading.tag_names(besides=loaded.naming()) \
        if tags_only is None and tags_wanted and reading.head is not None else ()
    if unnamed:
        many = len(unnamed) > len(loaded.naming())
        loaded = replace(loaded, registry=read_registry(cwd=root, messages=many))
        rows = history_rows.sorted_rows(loaded, model=model, env=env, keys=keys,
                                        events=events, rows_made=record_rows)
    timeline.check_scope(loaded, model, env, envs)
    scope = " in ".join(x for x in (model or "any model", env) if x)
    if keyed is not None:
        memo = Memo(keyed(listed.hexdigest()))
        cells = [shown.get(id(row)) or history_cells(row) for _, row in rows]
        memo.extend(rows, cells)
        history_memo.keep(root, memo)
        if fmt == "table":
            return history_table(cells, scope=scope)
    return render_history([row for _, row in rows], fmt, scope=scope, shown=shown)


def _keep_ledger(root: Path, reading: trail.Reading, keys: dict[str, tuple[str, ...]],
                 rows: list[Row], paths: list[str],
                 shown: dict[int, tuple[str, ...]]) -> None:
    from mlgate.render.audit_text import history_cells

    memo = Memo(history_memo.memo_key("ledger", keys=keys, addresses={}, ref=reading.ref,
                                      head=reading.head))
    memo.extend(rows, [shown.get(id(row)) or history_cells(row) for _, row in rows], paths)
    history_memo.keep(root, memo)
