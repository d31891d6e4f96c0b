"""What judges a candidate independently, read at the policy's ref and pinned there.

The `evaluation:` section, the holdout's `.dvc` file (so its DVC md5) and the files the
scoring command runs all come from one commit of the policy's ref (the default branch,
or `--policy-ref`), each named by its git blob id: the pull request under review cannot
change the holdout, the scorer or its code, whatever its own tree holds.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mlgate.config.declarations import PIPELINES_DIR, parse_declaration
from mlgate.config.model import Evaluation, Model
from mlgate.config.yamlio import load_bytes
from mlgate.errors import MlgateError
from mlgate.plumbing import git


@dataclass(frozen=True)
class Pinned:
    """The independent evaluation as one commit of the policy's ref has it."""

    model: Model
    evaluation: Evaluation
    ref: str  # fully qualified, e.g. refs/remotes/origin/main
    commit: str
    declaration_blob: str
    holdout_path: str  # the data, as DVC checks it out
    holdout_dvc: str  # its .dvc file
    holdout_dvc_blob: str
    holdout_md5: str  # a file's md5, or a directory's listing hash ending in .dir
    code: dict[str, str]  # path -> git blob id, of every file the scorer runs

    def as_record(self) -> dict[str, Any]:
        return {"ref": self.ref, "commit": self.commit, "declaration_blob": self.declaration_blob,
                "task": self.evaluation.task, "command": self.evaluation.score,
                "code": dict(sorted(self.code.items())),
                "holdout": {"path": self.holdout_path, "md5": self.holdout_md5,
                            "dvc_file": self.holdout_dvc, "dvc_file_blob": self.holdout_dvc_blob}}


def policy_ref(root: Path, given: str | None, remote: str = "origin") -> git.Ref:
    """``given`` resolved fully qualified, else the default branch."""
    if given is not None:
        return git.resolve_ref(given, cwd=root)
    return git.default_branch(remote, cwd=root)


def pin(root: Path, name: str, ref: git.Ref) -> Pinned | None:
    """The model's evaluation at ``ref``; None when its declaration there has none (or the
    ref does not declare the model: nothing reviewed says how to evaluate it)."""
    relpath = f"{PIPELINES_DIR}/{name}.yaml"
    shown = f"{ref.name}:{relpath}"
    found = git.cat_files([f"{ref.commit}:{relpath}"], cwd=root)[0]
    if found is None:
        return None
    model, problems = parse_declaration(load_bytes(found.data, shown), name)
    if model is None or problems:
        raise MlgateError.from_problems(problems)
    ev = model.evaluation
    if ev is None:
        return None
    data = ev.holdout.removesuffix(".dvc")
    dvc_file = data + ".dvc"
    blob = git.cat_files([f"{ref.commit}:{dvc_file}"], cwd=root)[0]
    if blob is None:
        raise MlgateError(f"{dvc_file} does not exist at {ref.name}",
                          path=shown, hint=f"track the holdout with `dvc add {data}` and "
                                           f"commit {dvc_file} on {ref.name}")
    md5 = _dvc_file_md5(blob.data, f"{ref.name}:{dvc_file}")
    code = _code_blobs(root, ref, ev)
    return Pinned(model, ev, ref.name, ref.commit, found.oid, data, dvc_file, blob.oid, md5,
                  code)


def _dvc_file_md5(raw: bytes, shown: str) -> str:
    hint = "a .dvc file as `dvc add` or `dvc import` writes it, with one out and its md5"
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise MlgateError(f"not YAML: {exc}", path=shown, hint=hint) from None
    outs = data.get("outs") if isinstance(data, dict) else None
    if not isinstance(outs, list) or len(outs) != 1 or not isinstance(outs[0], dict):
        raise MlgateError("expected one entry under `outs`", path=shown, hint=hint)
    md5 = outs[0].get("md5")
    if not isinstance(md5, str) or not md5:
        raise MlgateError("its out has no md5 (not yet added?)", path=shown,
                          hint=f"run `dvc commit` or `dvc update` and commit it; {hint}")
    return md5


def _code_blobs(root: Path, ref: git.Ref, ev: Evaluation) -> dict[str, str]:
    """Blob ids of ``ev.code``, else of every token of the command that is a file of the
    repository at ``ref`` (the scorer's script)."""
    named = list(ev.code)
    if not named:
        try:
            tokens = shlex.split(ev.score)
        except ValueError:
            tokens = ev.score.split()
        named = [t for t in tokens if "{" not in t and not t.startswith("-")]
    entries = dict((path, oid) for oid, path in git.ls_tree(ref.commit, named, cwd=root)) \
        if named else {}
    missing = [p for p in ev.code if p not in entries]
    if missing:
        raise MlgateError(f"evaluation.code names {', '.join(missing)}, not a file at {ref.name}",
                          hint="list the files of the repository the scorer runs")
    return {p: oid for p, oid in entries.items() if p in named}
