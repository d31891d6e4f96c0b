"""What a promotion needs besides the gates: the version and the record."""

from __future__ import annotations

import hashlib
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from mlgate.config.dvcfiles import DvcLock
from mlgate.config.imports import import_source
from mlgate.config.stages import data_dependencies
from mlgate.errors import MlgateError
from mlgate.gates.facts import Gathered
from mlgate.plumbing.dvccache import cached_file
from mlgate.plumbing.runtime import runtime
from mlgate.promote.approvals import ApprovalFile
from mlgate.registry.state import ModelState
from mlgate.registry.tags import Version

FIRST_VERSION = "1.0.0"
CI_VARIABLES = {
    "repository": "GITHUB_REPOSITORY", "run_id": "GITHUB_RUN_ID",
    "run_attempt": "GITHUB_RUN_ATTEMPT", "workflow_ref": "GITHUB_WORKFLOW_REF",
    "actor": "GITHUB_ACTOR", "event": "GITHUB_EVENT_NAME", "server_url": "GITHUB_SERVER_URL",
    "sha": "GITHUB_SHA", "ref": "GITHUB_REF",
}


def choose_version(state: ModelState, commit: str, requested: str | None) -> tuple[str, bool]:
    """(version, is_new). A commit already registered keeps its version. Otherwise the
    rule: the first version is 1.0.0, each next one bumps the minor number of the
    highest (1.0.0, 1.1.0, 1.2.0, ...); `--version` may name any higher version."""
    existing = state.version_of(commit)
    if existing is not None:
        if requested and requested.removeprefix("v") != existing:
            raise MlgateError(f"commit {commit[:12]} is already registered as v{existing}",
                              hint=f"omit --version, or use --version v{existing}")
        return existing, False
    latest = state.latest_version()
    if requested:
        wanted = Version.parse(requested)
        if wanted is None:
            raise MlgateError(f"not a semantic version: {requested!r}",
                              hint="write it as vMAJOR.MINOR.PATCH, e.g. v1.4.0")
        if str(wanted) in state.versions():
            raise MlgateError(f"v{wanted} is already registered for another commit",
                              hint="choose a new version, or omit --version")
        top = Version.parse(latest) if latest else None
        if top is not None and wanted.sort_key() <= top.sort_key():
            raise MlgateError(f"v{wanted} is not higher than the latest version v{top}",
                              hint="versions only go up; omit --version to bump the minor")
        return str(wanted), True
    if latest is None:
        return FIRST_VERSION, True
    top = Version.parse(latest)
    assert top is not None
    return f"{top.major}.{top.minor + 1}.0", True


def ci_context() -> dict[str, str] | None:
    found = {k: os.environ[v] for k, v in CI_VARIABLES.items() if os.environ.get(v)}
    return found or None


def artifact_digests(gathered: Gathered, lock: DvcLock | None) -> tuple[str | None, str | None]:
    """(sha256, md5) of the artifact, from the working tree or the DVC cache."""
    model = gathered.policy.model
    entry = lock.out(model.artifact) if lock else None
    md5 = entry.md5 if entry else None
    root = gathered.candidate.root
    candidates = [root / model.artifact] if gathered.candidate.rev is None else []
    if md5:
        candidates.append(cached_file(root, md5))
    for path in candidates:
        if path.is_file():
            return _sha256(path), md5
    return None, md5


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def predicate(*, gathered: Gathered, lock: DvcLock | None, action: str, env: str,
              version: str | None, decision: dict[str, Any], seq: int, previous: str | None,
              tags: list[str], approvals: ApprovalFile | None, reason: str | None,
              now: datetime) -> dict[str, Any]:
    model = gathered.policy.model
    from mlgate.config.declarations import read_dvc_yaml

    deps = data_dependencies(model, read_dvc_yaml(gathered.candidate.read, model))
    params: dict[str, Any] = {}
    if lock:
        for stage in lock.stages.values():
            for file, values in stage.params.items():
                params.setdefault(file, {}).update(values or {})
    policy = gathered.policy
    extra = {} if gathered.independent is None else {
        "evaluation": evaluation_record(gathered.independent.as_record(), decision)}
    # a subdirectory artifact's tags name its address: the record says both names
    named = {} if model.address == model.name else {"address": model.address}
    return {
        "model": model.name,
        **named,
        "version": version,
        "environment": env,
        "action": action,
        "seq": seq,
        "commit": gathered.candidate.commit,
        "dvc_lock": {"path": model.lock_file, "md5": gathered.lock_digest},
        "params": params,
        "data": [_data_entry(gathered, lock, d) for d in deps],
        "metrics": gathered.metrics,
        "decision": decision,
        "policy": {"path": policy.path, "ref": policy.ref, "commit": policy.commit,
                   "blob": policy.blob},
        "ci": ci_context(),
        "runtime": runtime(),
        "approvals": [] if approvals is None else list(approvals.approvers),
        "reason": reason,
        "time": now.isoformat().replace("+00:00", "Z"),
        "previous": previous,
        "tags": tags,
        **extra,
    }


def evaluation_record(found: dict[str, Any], decision: dict[str, Any]) -> dict[str, Any]:
    """The independent evaluation as the record keeps it: what judged (holdout md5 and
    rows, the scorer's command and blob ids), both models' metrics, and each paired
    difference the gates computed, with its interval and seed."""
    paired = [{"gate": r.get("gate"), "index": r.get("index"),
               "environment": (r.get("details") or {}).get("environment"),
               "incumbent_version": (r.get("details") or {}).get("incumbent_version"),
               **r["details"]["paired"]}
              for r in decision.get("results", [])
              if r.get("kind") == "no_regression" and (r.get("details") or {}).get("paired")]
    return {**found, "paired": paired}


def _data_entry(gathered: Gathered, lock: DvcLock | None, path: str) -> dict[str, Any]:
    """A data dependency's digest and, for data brought by `dvc import` or `dvc
    import-url`, where it came from (the key is absent otherwise, as in older records)."""
    entry: dict[str, Any] = {"path": path, "md5": _dep_md5(lock, path)}
    source = import_source(gathered.candidate.read, path)
    if source is not None:
        entry["source"] = source.as_record()
    return entry


def _dep_md5(lock: DvcLock | None, path: str) -> str | None:
    entry = lock.dep(path) if lock else None
    return entry.md5 if entry else None
