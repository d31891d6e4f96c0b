"""The approvals file a promotion is judged with, read strictly.

Invariant: what comes out was checked against ``schemas/approvals.schema.json`` first, so
no value of the wrong type is ever counted (a login 5, environments "production"); a
shape error is an InvalidFile naming the JSON path (``$.approvals[0].user.login``) and,
where the file allows, its line. The change's authors are GitHub logins taken from the
file only: mlgate never guesses them from git, whose author names are not logins.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlgate.config import schema, yamlio
from mlgate.errors import InvalidFile, MlgateError, NotFound, Problem
from mlgate.plumbing import jsonread


@dataclass(frozen=True)
class ApprovalFile:
    approvers: tuple[str, ...]  # the logins that approved for the environment asked about
    authors: tuple[str, ...]  # every author and committer of the change, as logins
    raw: list[dict[str, Any]]


def read_approvals(path: str, env: str) -> ApprovalFile:
    """Approvals as GitHub's "review deployments" API returns them
    (`GET /repos/{o}/{r}/actions/runs/{id}/approvals`): a list of
    {state, user: {login}, environments: [{name}], comment}. The file may instead be
    {"approvals": [...], "authors": ["login", ...], "author": "login"} to name the change's
    authors and committers as GitHub knows them (``author``, one login, is read too)."""
    data, doc = _load(path)
    problems = schema.validate(doc, "approvals")
    if problems:
        raise InvalidFile.from_problems([_rooted(p, located=doc.root is not None)
                                         for p in problems])
    authors: list[str] = []
    if isinstance(data, dict):
        named = [data.get("author"), *data.get("authors", [])]
        authors = [a.strip() for a in named if isinstance(a, str) and a.strip()]
        data = data["approvals"]
    approvers = []
    for item in data:
        envs = [e["name"] for e in item.get("environments") or []]
        if item["state"] == "approved" and item["user"]["login"] and (not envs or env in envs):
            approvers.append(item["user"]["login"])
    return ApprovalFile(tuple(approvers), tuple(dict.fromkeys(authors)), data)


def _load(path: str) -> tuple[Any, yamlio.Document]:
    """The file's JSON (duplicate keys refused) and, for locating errors, its node tree
    when YAML can compose it (JSON nearly always is YAML; when not, errors carry no line)."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise NotFound("no such file", path=path,
                       hint="the promote workflow writes it with `gh api`") from None
    except OSError as exc:
        raise MlgateError(f"cannot read: {exc.strerror}", path=path) from None
    # not UTF-8, not JSON, nested too deep: file:line:column, as for every JSON mlgate reads
    jsonread.load_file(raw, path, hint="expected the JSON that GitHub's approvals API returns")
    text = raw.decode("utf-8").removeprefix("\ufeff")
    try:  # again, bounded now, to refuse what the first reading would let the last key win
        data = json.loads(text, object_pairs_hook=_no_duplicates)
    except _Duplicate as exc:
        raise InvalidFile(f"duplicate key {exc.key!r}", path=path,
                          hint="each key once: JSON readers disagree on which one wins") from None
    try:
        root = yamlio.load_text(text, path).root
    except MlgateError:
        root = None
    return data, yamlio.Document(path, data, root)


class _Duplicate(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Duplicate(key)
        out[key] = value
    return out


def _rooted(problem: Problem, *, located: bool) -> Problem:
    """The problem with its path written from the document's root, ``$``, as JSON paths
    are; without a node tree its line would be a guess, so it has none."""
    steps = problem.json_path or ""
    steps = "" if steps == "(top level)" else steps
    rooted = "$" + (steps if steps.startswith("[") or not steps else "." + steps)
    return Problem(problem.message, problem.path, problem.line if located else None,
                   problem.column if located else None, rooted, problem.hint)
