"""`mlgate rollback MODEL --env ENV --reason TEXT`: serve an earlier version again.

`mlgate retire` shares :func:`reassign`: both change what an environment serves without
a new candidate, and both are recorded with their reason.
"""

from __future__ import annotations

from datetime import UTC, datetime

from mlgate.config.declarations import find_root
from mlgate.gates import facts
from mlgate.promote import actions, retry


def main(*, model: str, env: str, to: str | None, reason: str, approvals: str | None,
         push: bool, dry_run: bool, fmt: str, remote: str) -> int:
    return reassign("rollback", model=model, env=env, to=to, reason=reason,
                    approvals=approvals, push=push, dry_run=dry_run, fmt=fmt, remote=remote)


def reassign(action: str, *, model: str, env: str, to: str | None, reason: str,
             approvals: str | None, push: bool, dry_run: bool, fmt: str, remote: str) -> int:
    """The policy comes from HEAD: today's rules judge a return to an older version."""
    root = find_root()
    head = facts.candidate(root, "HEAD")
    source = facts.load_policy(model, head, None)
    facts.check_environment(source.model, env)
    return retry.run(
        lambda: actions.reassign(
            head, source, env, action=action, to_version=to, reason=reason,
            approvals_path=approvals, push=push, dry_run=dry_run, remote=remote,
            now=datetime.now(UTC)),
        root=root, push=push, dry_run=dry_run, remote=remote, fmt=fmt)
