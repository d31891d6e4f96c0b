"""`mlgate retire MODEL --env ENV --reason TEXT`: take the model out of an environment."""

from __future__ import annotations

from mlgate.commands.rollback import reassign


def main(*, model: str, env: str, reason: str, push: bool, dry_run: bool, fmt: str,
         remote: str) -> int:
    return reassign("retire", model=model, env=env, to=None, reason=reason, approvals=None,
                    push=push, dry_run=dry_run, fmt=fmt, remote=remote)
