"""`mlgate promote MODEL --env ENV`: gates, then tags and a ledger record, atomically.

With `--rev REV` the commit is judged without being checked out: its files through git,
its outputs through the local DVC cache. "in DVC remote" then asks the default DVC
remote for every object REV's dvc.lock records for the model (see
:class:`mlgate.gates.facts.RemoteAtRev`). "reproducible" cannot run `dvc status` on a commit:
it compares REV's dvc.lock with REV's own commands, params and dependencies, as `dvc
status` would in a checkout (:mod:`mlgate.gates.lockstatus`), and the artifact, predictions
and metrics with the bytes it records (in the DVC cache, or in git for metrics).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from mlgate.config.declarations import find_root
from mlgate.errors import MlgateError
from mlgate.gates import facts
from mlgate.promote import actions, retry
from mlgate.registry.state import Deployment, read_registry
from mlgate.render.text import to_json


def main(*, model: str, env: str, rev: str | None, version: str | None,
         approvals: str | None, reason: str | None, push: bool, dry_run: bool, fmt: str,
         remote: str) -> int:
    root = find_root()
    cand = facts.candidate(root, rev)
    commit = cand.commit
    if commit is None:
        raise MlgateError("the repository has no commits", hint="commit the pipeline first")
    source = facts.load_policy(model, cand, None)
    facts.check_environment(source.model, env)

    def attempt() -> actions.Outcome | str | None:
        # a rerun after a crash, or a concurrent run that won with this very commit,
        # finds it there already: one promotion, one record
        serving = already_serving(root, model, env, commit)
        if serving is not None and version in (None, f"v{serving.version}", serving.version):
            return render_already(serving, fmt, dry_run=dry_run)
        return actions.promote(
            cand, source, env, version=version, approvals_path=approvals, reason=reason,
            push=push, dry_run=dry_run, remote=remote, now=datetime.now(UTC))

    return retry.run(attempt, root=root, push=push, dry_run=dry_run, remote=remote, fmt=fmt)


def already_serving(root: Path, model: str, env: str, commit: str) -> Deployment | None:
    """The stay in ``env`` that serves ``commit`` now, if any (reads only that
    environment's tags)."""
    state = read_registry(cwd=root, pattern=f"refs/tags/{model}#{env}*").model(model)
    current = state.current(env)
    return current if current is not None and current.commit == commit else None


def render_already(stay: Deployment, fmt: str, *, dry_run: bool) -> str:
    version = f"v{stay.version}" if stay.version else stay.commit[:12]
    if fmt == "json":
        return to_json({"model": stay.model, "environment": stay.env, "action": None,
                        "passed": True, "version": stay.version, "tags": [],
                        "already": stay.event.name, "pushed": False, "dry_run": dry_run})
    return (f"{stay.model} {version} is already in {stay.env} ({stay.event.name}, since "
            f"{stay.since.isoformat()}): nothing to do")
