"""The holdout, read from the DVC cache at the md5 the policy's ref pinned, and split.

The label column is taken out here, before anything runs: the scorer is handed a file of
features (every column but the label) and never sees a label. Rows are kept in the
holdout's order; ids must be unique and present, labels present.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlgate.errors import MlgateError, NotFound
from mlgate.evaluation.pinned import Pinned
from mlgate.plumbing.dvccache import DIR_SUFFIX, cache_dir, object_intact, object_path

SUFFIXES = (".csv", ".parquet", ".pq")


@dataclass(frozen=True, eq=False)
class Holdout:
    features: Any  # a pyarrow Table: every column but the label
    ids: Any  # the id column as text (a pyarrow array), in row order
    labels: Any  # the label column, in row order (numbers: a numpy array)
    suffix: str  # ".csv" or ".parquet": the format the features are written in

    @property
    def rows(self) -> int:
        return len(self.ids)

    def column(self, name: str) -> list[Any]:
        return self.features.column(name).to_pylist()  # type: ignore[no-any-return]


def fetch_hint(pinned: Pinned) -> str:
    return (f"bring it with `dvc fetch {pinned.holdout_dvc}` (or `dvc pull "
            f"{pinned.holdout_dvc}` on {pinned.ref.removeprefix('refs/remotes/')}), then run "
            "this again")


def load(root: Path, pinned: Pinned) -> Holdout:
    """The holdout's table, from the local DVC cache: NotFound naming the command that
    brings it when the cache lacks it; MlgateError when its columns are not as declared."""
    ev = pinned.evaluation
    shown = f"{pinned.holdout_path} (md5 {pinned.holdout_md5[:8]}, pinned at {pinned.ref})"
    table = _read_table(root, pinned, shown)
    names = table.column_names
    for role, column in (("label", ev.label), ("id", ev.id)):
        if column not in names:
            raise MlgateError(f"{shown} has no {role} column {column!r}",
                              hint=f"columns: {', '.join(names[:20])}")
    for column in ev.slices:
        if column not in names:
            raise MlgateError(f"{shown} has no slice column {column!r}",
                              hint=f"columns: {', '.join(names[:20])}")
    import pyarrow as pa
    import pyarrow.compute as pc

    ids = pc.cast(table.column(ev.id), pa.string()).combine_chunks()
    if ids.null_count or pc.any(pc.equal(ids, "")).as_py():
        raise MlgateError(f"{shown}: the id column {ev.id!r} has empty values",
                          hint="every holdout row needs an id")
    if pc.count_distinct(ids).as_py() != len(ids):
        raise MlgateError(f"{shown}: the id column {ev.id!r} repeats values",
                          hint="ids must be unique, to join the scores back to their rows")
    label_column = table.column(ev.label)
    labels = label_column.to_numpy(zero_copy_only=False) \
        if pa.types.is_integer(label_column.type) or pa.types.is_floating(label_column.type) \
        else label_column.to_pylist()
    if label_column.null_count:
        raise MlgateError(f"{shown}: the label column {ev.label!r} has empty values",
                          hint="every holdout row needs a label")
    suffix = ".parquet" if _suffix(pinned.holdout_path) != ".csv" else ".csv"
    return Holdout(table.drop_columns([ev.label]), ids, labels, suffix)


def _suffix(path: str) -> str:
    return next((s for s in SUFFIXES if path.endswith(s)), ".csv")


def _read_table(root: Path, pinned: Pinned, shown: str) -> Any:
    import pyarrow as pa

    cache = cache_dir(root)
    missing = NotFound(f"the holdout {shown} is not in the local DVC cache",
                       hint=fetch_hint(pinned))
    md5 = pinned.holdout_md5
    if not md5.endswith(DIR_SUFFIX):
        path = object_path(cache, md5)
        if not path.is_file():
            raise missing
        _verify(path, md5, shown, pinned)
        return _parse(path, _suffix(pinned.holdout_path), shown)
    listed = object_path(cache, md5)
    if not listed.is_file():
        raise missing
    # the listing too: a rewritten one would name other files, each intact under its own md5
    _verify(listed, md5, f"{pinned.holdout_path} (its listing, md5 {md5[:8]})", pinned)
    try:
        listing = json.loads(listed.read_bytes())
    except (OSError, ValueError):
        raise missing from None
    parts = []
    for entry in sorted(listing, key=lambda e: str(e.get("relpath"))):
        rel, oid = entry.get("relpath"), entry.get("md5")
        if not isinstance(rel, str) or not isinstance(oid, str) or not rel.endswith(SUFFIXES):
            continue
        path = object_path(cache, oid)
        if not path.is_file():
            raise missing
        _verify(path, oid, f"{pinned.holdout_path}/{rel}", pinned)
        parts.append(_parse(path, _suffix(rel), f"{pinned.holdout_path}/{rel}"))
    if not parts:
        raise MlgateError(f"{shown} holds no CSV or Parquet file",
                          hint="a holdout directory holds .csv or .parquet files")
    try:
        return pa.concat_tables(parts, promote_options="default")
    except pa.ArrowInvalid as exc:
        raise MlgateError(f"{shown}: its files do not share columns: {exc}",
                          hint="every file of a holdout directory has the same columns") from None


def _verify(path: Path, md5: str, shown: str, pinned: Pinned) -> None:
    """The cached bytes are those the policy's ref pinned: DVC does not check what it
    fetches (a remote's `verify` is off by default), so a remote or cache that a change
    can write to could otherwise swap the exam under its name."""
    if object_intact(path, md5):
        return
    raise MlgateError(f"the holdout {shown} in the local DVC cache does not match the md5 "
                      f"it is stored under ({md5}): its bytes were changed",
                      hint=f"delete {path} and fetch it again from a remote you trust: "
                      + fetch_hint(pinned))


def _parse(path: Path, suffix: str, shown: str) -> Any:
    import pyarrow as pa

    try:
        if suffix == ".csv":
            from pyarrow import csv

            return csv.read_csv(path)
        import pyarrow.parquet as pq

        return pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise MlgateError(f"cannot read the holdout {shown}: {exc}",
                          hint="the holdout is a CSV or Parquet file (or a directory of them)"
                          ) from None


def write_features(holdout: Holdout, target: Path) -> None:
    """The features (no label) as CSV or Parquet, by ``target``'s suffix."""
    if target.suffix == ".csv":
        from pyarrow import csv

        csv.write_csv(holdout.features, target,
                      csv.WriteOptions(quoting_style="needed"))
    else:
        import pyarrow.parquet as pq

        pq.write_table(holdout.features, target)
