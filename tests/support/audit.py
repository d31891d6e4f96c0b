"""A real registry to audit, built once per test session and copied for each test.

tiny: v1.0.0 promoted to staging, v1.1.0 promoted to staging and (approved) to
production, then staging rolled back to v1.0.0; every step pushed. Built through the real
CLI in a child process, as CI would run it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mlgate.registry import ledger, publish
from mlgate.registry.ledger import LEDGER_REF, read_entries
from tests.support.project import Project, make_project

_BUILT: dict[str, Project] = {}
APPROVALS = [{"state": "approved", "user": {"login": "risk-officer"},
              "environments": [{"name": "production"}], "comment": "ok"}]


def mlgate(*args: str, cwd: Path, expect: int = 0) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "mlgate", *args], cwd=cwd,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == expect, proc.stdout + proc.stderr
    return proc


def new_version(project: Project, quality: float) -> str:
    params = (project.path / "params.yaml").read_text()
    old = next(line for line in params.splitlines() if "quality:" in line)
    project.write("params.yaml", params.replace(old, f"  quality: {quality}"))
    project.dvc("repro", "-q")
    commit = project.commit_all(f"quality {quality}")
    project.git("push", "-q", "origin", "main")
    project.dvc("push", "-q")
    return commit


def build(base: Path) -> Project:
    project = make_project(base, "tiny")
    project.dvc("push", "-q")
    approvals = base / "approvals.json"
    # the change's authors, as the promote workflow lists them (none of them approves)
    approvals.write_text(json.dumps({"authors": ["data-scientist"], "approvals": APPROVALS}))
    mlgate("promote", "tiny", "--env", "staging", "--push", "--reason", "first", cwd=project.path)
    new_version(project, 0.85)
    mlgate("promote", "tiny", "--env", "staging", "--push", cwd=project.path)
    mlgate("promote", "tiny", "--env", "production", "--push", "--approvals", str(approvals),
           "--reason", "better auc", cwd=project.path)
    mlgate("rollback", "tiny", "--env", "staging", "--reason", "latency", "--push",
           cwd=project.path)
    return project


def built(factory: pytest.TempPathFactory) -> Project:
    if "tiny" not in _BUILT:
        _BUILT["tiny"] = build(factory.mktemp("audited"))
    return _BUILT["tiny"]


def copy(project: Project, dest: Path) -> Project:
    """The working repo, its origin and DVC remote, copied; the copy points at its own."""
    shutil.copytree(project.path.parent, dest, symlinks=True)
    work = dest / project.path.name
    copied = Project(work, dest / project.origin.name, dest / project.dvc_remote.name)
    copied.git("remote", "set-url", "origin", str(copied.origin))
    copied.dvc("remote", "modify", "--local", "local", "url", str(copied.dvc_remote))
    return copied


# Tampering, as someone with write access to the repository would do it.

def tag_message(project: Project, name: str) -> str:
    return project.git("for-each-ref", "--format=%(contents)", f"refs/tags/{name}") + "\n"


def retag(project: Project, name: str, commit: str, message: str) -> None:
    subprocess.run(["git", "tag", "-f", "-a", "--cleanup=verbatim", "-F", "-", name, commit],
                   cwd=project.path, input=message, text=True, check=True, capture_output=True)


def records(project: Project) -> list[dict[str, Any]]:
    return [e.record for e in read_entries(cwd=project.path)]


def forged(project: Project, env: str, **changes: Any) -> dict[str, Any]:
    """The next record for tiny in ``env``, chained and numbered as mlgate would, copied
    from that environment's last record, with ``changes`` to its predicate."""
    last = [r for r in records(project) if r["predicate"]["environment"] == env][-1]
    head = ledger.chain_head("tiny", env, cwd=project.path)
    record = json.loads(json.dumps(last))
    pred = record["predicate"]
    newest = datetime.fromisoformat(records(project)[-1]["predicate"]["time"])
    later = (newest + timedelta(seconds=1)).isoformat().replace("+00:00", "Z")
    pred.update(seq=head.seq + 1, previous=head.previous, tags=[], action="refused", time=later)
    pred.update(changes)
    return record


def append(project: Project, record: dict[str, Any],
           tags: list[tuple[str, str]] | None = None) -> None:
    """Write tags and a ledger commit exactly as mlgate does, for a made-up record."""
    plan = publish.build([(record, tags or [])], cwd=project.path)
    publish.apply(plan, cwd=project.path)


def ledger_head(project: Project) -> str:
    return project.git("rev-parse", LEDGER_REF)
