"""`mlgate rollback MODEL --env ENV --reason TEXT`: serve an earlier version again."""

from __future__ import annotations

from datetime import UTC, datetime

from mlgate.config.root import find_root
from mlgate.promote.actions import reassign_model
from mlgate.render.registry_text import exit_code, render_result


def main(*, model: str, env: str, to: str | None, reason: str, approvals: str | None,
         push: bool, dry_run: bool, fmt: str, remote: str, policy_ref: str | None = None
         ) -> int:
    result = reassign_model("rollback", find_root(), model, env, to=to, reason=reason,
                            approvals=approvals, push=push, dry_run=dry_run, remote=remote,
                            now=datetime.now(UTC), policy_ref=policy_ref)
    print(render_result(result, fmt, dry_run=dry_run))
    return exit_code(result)
