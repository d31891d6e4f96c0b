"""`mlgate promote MODEL --env ENV`: gates, then tags and a ledger record, atomically."""

from __future__ import annotations

from datetime import UTC, datetime

from mlgate import actions, facts, ledger, publish
from mlgate.config.declarations import find_root
from mlgate.errors import EXIT_FAILED, EXIT_OK, MlgateError
from mlgate.report.registry import render

MAX_ATTEMPTS = 5


def main(*, model: str, env: str, rev: str | None, version: str | None,
         approvals: str | None, reason: str | None, push: bool, dry_run: bool, fmt: str,
         remote: str) -> int:
    root = find_root()
    if push and not dry_run:
        pending = publish.adopt_remote(remote_head=publish.fetch_registry(remote=remote,
                                                                         cwd=root), cwd=root)
        if pending:  # an earlier promotion was recorded here but never reached the remote
            done = publish.push([*pending, f"{ledger.LEDGER_REF}:{ledger.LEDGER_REF}"],
                                remote=remote, cwd=root)
            if not done.ok:
                raise MlgateError("could not push an earlier, unpushed promotion",
                                  hint=done.detail or "run `git push --atomic` by hand")
    cand = facts.candidate(root, rev)
    if cand.commit is None:
        raise MlgateError("the repository has no commits", hint="commit the pipeline first")
    source = facts.load_policy(model, cand, None)
    facts.check_environment(source.model, env)
    for _ in range(MAX_ATTEMPTS):
        outcome = actions.promote(
            cand, source, env, version=version, approvals_path=approvals, reason=reason,
            push=push, dry_run=dry_run, remote=remote, now=datetime.now(UTC))
        if outcome is not None:
            print(render(outcome, fmt))
            return EXIT_OK if outcome.passed else EXIT_FAILED
        if push:  # lost a race: take the remote's registry and judge again
            publish.adopt_remote(remote_head=publish.fetch_registry(remote=remote, cwd=root),
                                 cwd=root)
    raise MlgateError(f"gave up after {MAX_ATTEMPTS} attempts: other promotions kept "
                      "reaching the remote first", hint="run it again in a moment")

