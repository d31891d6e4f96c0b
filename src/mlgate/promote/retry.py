"""The loop shared by promote, rollback and retire: push what is pending, act, retry races.

An action that lost the push race to another promotion is undone locally; the remote's
registry is then fetched and the action judged again, up to :data:`MAX_ATTEMPTS` times.
A push the remote refused, or that could not reach it, is undone too and fails at once
(see :func:`mlgate.promote.actions.write`): judging again would not change the remote's mind.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mlgate.errors import MlgateError
from mlgate.promote.outcome import Outcome
from mlgate.registry import ledger, publish
from mlgate.registry.state import Deployment

MAX_ATTEMPTS = 5


def push_pending(root: Path, remote: str) -> None:
    """Fetch the remote's registry; push any earlier action recorded here but not there."""
    pending = publish.adopt_remote(remote_head=publish.fetch_registry(remote=remote, cwd=root),
                                   cwd=root)
    if pending:
        done = publish.push([*pending, f"{ledger.LEDGER_REF}:{ledger.LEDGER_REF}"],
                            remote=remote, cwd=root)
        if done.status == "race":
            raise MlgateError("could not push an earlier, unpushed registry change: the "
                              "remote moved on meanwhile", hint="run it again in a moment")
        if not done.ok:
            raise publish.push_error(
                done, remote=remote, kept="an earlier registry change recorded here is "
                                          "still unpushed (it is kept, for the next --push)")


def run(attempt: Callable[[], Outcome | Deployment | None], *, root: Path, push: bool,
        dry_run: bool, remote: str) -> Outcome | Deployment:
    """``attempt`` until it gives an outcome (None: it lost a push race)."""
    if push and not dry_run:
        push_pending(root, remote)
    for _ in range(MAX_ATTEMPTS):
        outcome = attempt()
        if outcome is not None:
            return outcome
        if push:  # lost a race: take the remote's registry and judge again
            publish.adopt_remote(remote_head=publish.fetch_registry(remote=remote, cwd=root),
                                 cwd=root)
    raise MlgateError(f"gave up after {MAX_ATTEMPTS} attempts: other registry changes kept "
                      "reaching the remote first; none of the attempts was kept locally",
                      hint="run it again in a moment")
