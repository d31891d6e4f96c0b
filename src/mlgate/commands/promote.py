"""`mlgate promote MODEL --env ENV`: gates, then tags and a ledger record, atomically.

With `--rev REV` the commit is judged without being checked out: its files through git,
its outputs through the local DVC cache. "in DVC remote" then asks the default DVC
remote for every object REV's dvc.lock records for the model (see
:class:`mlgate.gates.candidate.RemoteAtRev`). "reproducible" cannot run `dvc status` on a
commit: it compares REV's dvc.lock with REV's own commands, params and dependencies, as
`dvc status` would in a checkout (:mod:`mlgate.gates.lockstatus`), and the artifact,
predictions and metrics with the bytes it records (in the DVC cache, or in git for
metrics).
"""

from __future__ import annotations

from datetime import UTC, datetime

from mlgate.config.root import find_root
from mlgate.promote.actions import promote_model
from mlgate.render.registry_text import exit_code, render_result


def main(*, model: str, env: str, rev: str | None, version: str | None,
         approvals: str | None, reason: str | None, push: bool, dry_run: bool, fmt: str,
         remote: str, policy_ref: str | None = None) -> int:
    result = promote_model(find_root(), model, env, rev=rev, version=version,
                           approvals=approvals, reason=reason, push=push, dry_run=dry_run,
                           remote=remote, now=datetime.now(UTC), policy_ref=policy_ref)
    print(render_result(result, fmt, dry_run=dry_run))
    return exit_code(result)
