"""The scoring command run for each model, in a checkout of the policy's ref, and its
score files read back and checked.

The command is the policy ref's template split into words first, then each placeholder
filled: a path never reaches a shell. It runs at the root of a temporary detached
worktree of the pinned commit, with an environment that holds no credentials; the model
file is a copy of the DVC cache's object (a scorer cannot write to the cache), and the
features file holds no label. A score file must name every holdout id once, with one
finite score per row (a probability in [0, 1] for a binary task; one probability column
per class, each row summing to 1, for a multiclass task): anything else is bad input,
named.
"""

from __future__ import annotations

import shlex
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlgate.errors import MlgateError
from mlgate.evaluation.holdout import Holdout, write_features
from mlgate.evaluation.pinned import Pinned
from mlgate.plumbing import subproc, worktree

SCORE = "score"
SUM_TOLERANCE = 1e-4  # per row, for class probabilities written to 6 decimals


@dataclass(frozen=True)
class Scorable:
    """A model to score: who it is (``name``: candidate, or the incumbent's environment),
    and its artifact's file, e.g. an object of the DVC cache."""

    name: str
    label: str  # for messages: "the candidate (working tree)", "v1.2.0 in production"
    artifact: Path


def argv(template: str, values: Mapping[str, str]) -> list[str]:
    try:
        words = shlex.split(template)
    except ValueError as exc:
        raise MlgateError(f"the scoring command does not split into words: {exc}",
                          hint="check its quotes") from None
    return [word.format(**values) for word in words]


def score_all(root: Path, pinned: Pinned, holdout: Holdout, models: Sequence[Scorable],
              classes: Sequence[Any]) -> dict[str, Any]:
    """Each model's scores (name -> array aligned with the holdout's rows: 1-D, or rows x
    classes), from one worktree of the pinned commit."""
    import numpy as np

    ev = pinned.evaluation
    out: dict[str, Any] = {}
    with worktree.temporary(root, pinned.commit) as tree:
        work = tree.parent
        features = work / f"features{holdout.suffix}"
        write_features(holdout, features)
        for model in models:
            folder = work / f"model-{len(out)}"
            folder.mkdir()
            artifact = folder / (model.artifact.name if model.artifact.suffix else "model")
            shutil.copyfile(model.artifact, artifact)
            scores = work / f"scores-{len(out)}{holdout.suffix}"
            words = argv(ev.score, {"artifact": str(artifact), "features": str(features),
                                    "scores": str(scores)})
            proc = subproc.run(words, cwd=tree, env=worktree.stage_env(), inherit=False,
                               check=False, hint="the scoring command is "
                               f"evaluation.score at {pinned.ref}")
            if proc.returncode != 0:
                said = (proc.stderr or proc.stdout or b"").decode("utf-8", "replace").strip()
                last = said.splitlines()[-1] if said else "no output"
                raise MlgateError(
                    f"the scoring command failed for {model.label} (exit "
                    f"{proc.returncode}): {last}",
                    hint=f"it is evaluation.score at {pinned.ref}: run it there on "
                         f"{ev.holdout} without the {ev.label!r} column")
            out[model.name] = read_scores(scores, holdout, ev.id, ev.task, classes,
                                          model.label)
    assert all(isinstance(v, np.ndarray) for v in out.values())
    return out


def read_scores(path: Path, holdout: Holdout, id_column: str, task: str,
                classes: Sequence[Any], whose: str) -> Any:
    """The score file at ``path``, checked and aligned with the holdout's rows."""
    import numpy as np
    import pyarrow as pa

    shown = f"the scores of {whose}"
    hint = "the scorer writes the id column and " + (
        "one probability column per class, named as the class" if task == "multiclass"
        else "a `score` column" + (" (a probability)" if task == "binary" else ""))
    if not path.is_file():
        raise MlgateError(f"{shown}: the scorer wrote no file", hint=hint)
    try:
        if path.suffix == ".csv":
            from pyarrow import csv

            table = csv.read_csv(path, convert_options=csv.ConvertOptions(
                column_types={id_column: pa.string()}))
        else:
            import pyarrow.parquet as pq

            table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise MlgateError(f"{shown}: cannot read the file: {exc}", hint=hint) from None
    names = table.column_names
    wanted = [str(c) for c in classes] if task == "multiclass" else [SCORE]
    if id_column not in names:
        raise MlgateError(f"{shown}: no id column {id_column!r}", hint=hint)
    lacking = [c for c in wanted if c not in names]
    if lacking:
        found = [n for n in names if n != id_column]
        raise MlgateError(f"{shown}: expected {'columns' if len(wanted) > 1 else 'column'} "
                          f"{', '.join(wanted)}; lacks {', '.join(lacking)} (found: "
                          f"{', '.join(found[:12]) or 'none'})", hint=hint)
    import pyarrow.compute as pc

    ids = pc.cast(table.column(id_column), pa.string()).combine_chunks()
    try:
        values = np.column_stack([np.asarray(table.column(c).to_numpy(zero_copy_only=False),
                                             dtype=np.float64) for c in wanted])
    except (TypeError, ValueError):
        raise MlgateError(f"{shown}: scores are not all numbers", hint=hint) from None
    # the holdout's own order (as a scorer usually writes it) needs no join
    aligned = values if ids.equals(holdout.ids) else _aligned(ids, values, holdout, shown, hint)
    return _checked(aligned, holdout, task, shown, hint)


def _aligned(ids: Any, values: Any, holdout: Holdout, shown: str, hint: str) -> Any:
    """``values`` (one row per entry of ``ids``) put in the holdout's row order, every id
    a holdout id, once, and every holdout id present."""
    import numpy as np
    import pyarrow.compute as pc

    position = pc.index_in(ids, value_set=holdout.ids)
    if position.null_count:
        first = pc.index(pc.is_null(position), True).as_py()
        raise MlgateError(f"{shown}: id {ids[first].as_py()!r} is not a holdout id", hint=hint)
    if pc.count_distinct(ids).as_py() != len(ids):
        counts = pc.value_counts(ids)
        twice = pc.filter(counts.field("values"), pc.greater(counts.field("counts"), 1))
        raise MlgateError(f"{shown}: id {twice[0].as_py()!r} appears more than once",
                          hint="one row per holdout id")
    if len(ids) != holdout.rows:
        seen = pc.is_in(holdout.ids, value_set=ids)
        absent = pc.filter(holdout.ids, pc.invert(seen)).to_pylist()
        raise MlgateError(f"{shown}: {len(absent)} of {holdout.rows:,} holdout ids have no "
                          f"score, e.g. {', '.join(absent[:3])}", hint="score every row")
    order = position.to_numpy()
    aligned = np.empty_like(values)
    aligned[order] = values
    return aligned


def _checked(aligned: Any, holdout: Holdout, task: str, shown: str, hint: str) -> Any:
    """``aligned`` when every score is finite and, for a classifier, a probability (class
    probabilities summing to 1); one column for a binary or regression task."""
    import numpy as np

    bad = ~np.isfinite(aligned)
    if bad.any():
        row = int(np.argwhere(bad)[0][0])
        raise MlgateError(f"{shown}: a score is not a finite number (id "
                          f"{holdout.ids[row].as_py()}: {aligned[row].tolist()})",
                          hint="no NaN, no infinity, no empty score")
    if task in ("binary", "multiclass") and ((aligned < 0) | (aligned > 1)).any():
        row = int(np.argwhere((aligned < 0) | (aligned > 1))[0][0])
        raise MlgateError(f"{shown}: a probability outside [0, 1] (id "
                          f"{holdout.ids[row].as_py()}: {aligned[row].tolist()})", hint=hint)
    if task == "multiclass":
        off = np.abs(aligned.sum(axis=1) - 1) > SUM_TOLERANCE
        if off.any():
            row = int(np.argmax(off))
            raise MlgateError(f"{shown}: the class probabilities of id "
                              f"{holdout.ids[row].as_py()} sum to {aligned[row].sum():.6g}, "
                              "not 1", hint=hint)
        return aligned
    return aligned[:, 0]
