"""Registry test helpers: copies of a prepared repo, the real CLI in a subprocess, and
the registry's invariants, checked on a working repo or on the bare origin alike."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlgate.registry.ledger import LEDGER_REF, Entry, chain_head, digest, kind, read_entries
from mlgate.registry.state import read_registry
from mlgate.registry.tags import Action
from tests.support.project import Project, git

MLGATE = [sys.executable, "-m", "mlgate"]
GTO = [sys.executable, "-m", "gto.cli"]
PROMOTE = ("promote", "tiny", "--env", "staging", "--push")


def copy_project(source: Project, tmp_path: Path) -> Project:
    """An independent copy of ``source``: its working repo, bare origin and DVC remote,
    re-pointed at each other (the DVC remote through .dvc/config.local, so that the tree
    stays clean)."""
    work, origin, remote = tmp_path / "work", tmp_path / "origin.git", tmp_path / "dvc-remote"
    shutil.copytree(source.path, work, symlinks=True)
    shutil.copytree(source.origin, origin, symlinks=True)
    shutil.copytree(source.dvc_remote, remote, symlinks=True)
    git("remote", "set-url", "origin", str(origin), cwd=work)
    point_dvc_remote(work, remote)
    return Project(work, origin, remote)


def point_dvc_remote(work: Path, remote: Path) -> None:
    """What `dvc remote modify --local local url REMOTE` writes, without starting DVC."""
    (work / ".dvc" / "config.local").write_text(f"['remote \"local\"']\n    url = {remote}\n")


def clone(project: Project, tmp_path: Path, name: str) -> Project:
    """A second working repo of the same origin and DVC remote, as a CI runner makes one."""
    work = tmp_path / name
    git("clone", "-q", str(project.origin), str(work), cwd=tmp_path)
    other = Project(work, project.origin, project.dvc_remote)
    point_dvc_remote(work, project.dvc_remote)
    other.dvc("pull", "-q")
    return other


@dataclass
class Run:
    code: int
    out: str
    err: str


def mlgate(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Run:
    """The real CLI in its own process (a failpoint ends that process, not the test's)."""
    proc = subprocess.run([*MLGATE, *args], cwd=cwd, capture_output=True, text=True,
                          check=False, env={**os.environ, **(env or {})})
    return Run(proc.returncode, proc.stdout, proc.stderr)


def new_candidate(project: Project, note: str) -> str:
    """A new commit whose outputs are unchanged (and so already in the DVC remote), merged
    into origin's main (on top of what other clones merged) as promotion requires."""
    project.git("pull", "-q", "--ff-only", "--no-rebase", "origin", "main")
    project.write("NOTES.md", note + "\n")
    commit = project.commit_all(note)
    project.push_main()
    return commit


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def registry_refs(cwd: Path) -> dict[str, str]:
    """The registry's refs (tags and ledger) and what they point at."""
    out = git("for-each-ref", "--format=%(refname) %(objectname)", "refs/tags", LEDGER_REF,
              cwd=cwd)
    return dict(line.split(" ", 1) for line in out.splitlines() if line)


def all_refs(cwd: Path) -> str:
    return git("for-each-ref", "--format=%(refname) %(objectname)", cwd=cwd)


def ledger_records(cwd: Path) -> list[dict[str, Any]]:
    return [e.record for e in read_entries(cwd=cwd)]


def tag_record(cwd: Path, tag: str) -> dict[str, Any]:
    registry = read_registry(cwd=cwd)
    event = next(ev for state in registry.models.values() for ev in state.events
                 if ev.name == tag)
    assert event.record is not None, f"{tag} carries no record"
    return event.record


def assert_registry_whole(cwd: Path) -> list[Entry]:
    """What must hold after any crash, in a working repo or a bare origin:

    - the ledger is one linear chain, seq 1, 2, 3, ... with no gap or repeat;
    - each record names the digest of the one before it in its model and environment, of
      its kind (deployment, monitoring and deploy records each have their own chain);
    - every tag a record names exists and carries that very record, and every tag that
      carries a record is named by one on the ledger (no tag without a record, and no
      record without its tags);
    - no promotion repeats what the environment already serves (one record per promotion);
    - the ledger's small index files agree with its last records.
    Returns the ledger's entries."""
    entries = read_entries(cwd=cwd)
    registry = read_registry(cwd=cwd)
    events = {ev.name: ev for state in registry.models.values() for ev in state.events}
    last: dict[tuple[str, str, str], str] = {}
    serving: dict[tuple[str, str], str | None] = {}
    named: set[str] = set()
    for i, entry in enumerate(entries):
        p = entry.record["predicate"]
        where = f"ledger record {entry.path}"
        assert p["seq"] == i + 1, f"{where}: seq {p['seq']}, expected {i + 1}"
        assert entry.parent == (entries[i - 1].commit if i else None), f"{where}: not linear"
        key = (p["model"], p["environment"])
        of = kind(entry.record)
        assert p["previous"] == last.get((*key, of)), f"{where}: broken hash chain"
        last[(*key, of)] = digest(entry.record)
        assert json.loads(entry.raw) == entry.record
        if p["action"] == "promote":
            assert serving.get(key) != p["commit"], f"{where}: promotes what already serves"
        if p["action"] in ("promote", "rollback"):
            serving[key] = p["commit"]
        elif p["action"] == "retire":
            serving[key] = None
        if of != "deployment":
            assert "tags" not in p, f"{where}: a {of} record names tags"
            continue
        if p["action"] == "refused":
            assert p["tags"] == [], f"{where}: a refusal with tags"
        for name in p["tags"]:
            assert name in events, f"{where}: names tag {name}, which does not exist"
            assert events[name].record == entry.record, f"{name} carries another record"
            if p["action"] != "retire":  # a retirement may unassign several commits
                assert events[name].commit == p["commit"], f"{name} points elsewhere"
            named.add(name)
    for name, event in events.items():
        if event.record is not None:
            assert name in named, f"tag {name} carries a record that is not on the ledger"
    for (model, env, of), wanted in last.items():
        head = chain_head(model, env, cwd=cwd, of=of)
        assert (head.seq, head.previous) == (len(entries), wanted), "stale ledger index"
    return entries


def assert_same_registry(a: Path, b: Path) -> None:
    assert registry_refs(a) == registry_refs(b)


def serving_commit(cwd: Path, model: str, env: str) -> str | None:
    current = read_registry(cwd=cwd).model(model).current(env)
    return current.commit if current else None


def registered(cwd: Path, model: str) -> dict[str, str]:
    """version -> commit, as the registry's tags say."""
    return {v: ev.commit for v, ev in read_registry(cwd=cwd).model(model).versions().items()}


def assignments(cwd: Path, model: str, env: str) -> list[str]:
    state = read_registry(cwd=cwd).model(model)
    return [ev.name for ev in sorted(state.events, key=lambda e: e.order)
            if ev.tag.env == env and ev.tag.action is Action.ASSIGN]


def gto_show(cwd: Path) -> dict[str, Any]:
    proc = subprocess.run([*GTO, "show", "--json"], cwd=cwd, capture_output=True, text=True,
                          check=True)
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def served_by_gto(cwd: Path) -> dict[str, tuple[str | None, dict[str, str]]]:
    """model -> (latest version, {environment: version}), as `gto show --json` says;
    an environment that serves nothing (after a retirement, say) is left out."""
    return {name: (state.get("version"), {env: version for env, version
                                          in (state.get("stage") or {}).items() if version})
            for name, state in gto_show(cwd).items()}


def served_by_mlgate(show: dict[str, Any]) -> dict[str, tuple[str | None, dict[str, str]]]:
    """The same from `mlgate show --format json`, by the address GTO names each model by
    (`models/a:churn` for a subdirectory artifact); models with no tag at all (declared,
    never registered) are left out, as GTO knows nothing of them."""
    served: dict[str, tuple[str | None, dict[str, str]]] = {}
    for view in show["models"].values():
        envs = {env: stay["version"] for env, stay in view["environments"].items() if stay}
        if view["latest"] or envs:
            served[view["address"]] = (view["latest"], envs)
    return served


def assert_gto_agrees(cwd: Path, show: dict[str, Any] | None = None) -> None:
    """`gto show` and `mlgate show` agree both ways: the same models, each with the same
    latest version and the same environments serving the same versions. ``show``: the
    output of `mlgate show --format json` (run here when not given)."""
    if show is None:
        result = mlgate("show", "--format", "json", cwd=cwd)
        assert result.code == 0, result.err
        show = json.loads(result.out)
    assert served_by_mlgate(show) == served_by_gto(cwd)


def write_approvals(path: Path, approvers: list[str], env: str = "production",
                    authors: tuple[str, ...] | None = ("data-scientist",)) -> Path:
    """An approvals file as the promote workflow writes it: the list
    `gh api repos/{o}/{r}/actions/runs/{id}/approvals` returns, with the GitHub logins of
    the change's authors (``authors=None``: the bare list, authors unknown)."""
    items = [{"state": "approved", "comment": "looks good",
              "environments": [{"id": 7, "node_id": "EN_1", "name": env,
                                "url": "https://api.github.com/repos/o/r/environments/" + env,
                                "html_url": "https://github.com/o/r/deployments/" + env,
                                "created_at": "2026-01-01T00:00:00Z",
                                "updated_at": "2026-01-01T00:00:00Z"}],
              "user": {"login": login, "id": 100 + i, "type": "User", "site_admin": False}}
             for i, login in enumerate(approvers)]
    data: Any = items if authors is None else {"approvals": items, "authors": list(authors)}
    path.write_text(json.dumps(data, indent=2))
    return path
