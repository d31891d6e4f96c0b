"""`mlgate retire MODEL --env ENV --reason TEXT`: take the model out of an environment."""

from __future__ import annotations

from datetime import UTC, datetime

from mlgate.config.root import find_root
from mlgate.promote.actions import reassign_model
from mlgate.render.registry_text import exit_code, render_result


def main(*, model: str, env: str, reason: str, push: bool, dry_run: bool, fmt: str,
         remote: str, policy_ref: str | None = None) -> int:
    result = reassign_model("retire", find_root(), model, env, to=None, reason=reason,
                            approvals=None, push=push, dry_run=dry_run, remote=remote,
                            now=datetime.now(UTC), policy_ref=policy_ref)
    print(render_result(result, fmt, dry_run=dry_run))
    return exit_code(result)
