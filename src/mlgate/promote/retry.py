"""The loop shared by promote, rollback and retire: push what is pending, act, retry races.

An action that lost the push race to another promotion is undone locally; the remote's
registry is then fetched and the action judged again, after a pause that doubles each time
(from :data:`FIRST_PAUSE` up to :data:`LONGEST_PAUSE`, each drawn at random below that
bound, so that racers part), until the time budget, counted from the first lost race, is
spent: :data:`BUDGET_VAR` seconds, :data:`DEFAULT_BUDGET` unless set. A merge that
touches many models starts as many promote jobs at once, each appending to the one ledger;
each round one of them lands. A retry's record is dated when it is made.
A push the remote refused, or that could not reach it, is undone too and fails at once
(see :func:`mlgate.promote.actions.write`): judging again would not change the remote's mind.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from mlgate.errors import MlgateError
from mlgate.registry import ledger, publish

T = TypeVar("T")

BUDGET_VAR = "MLGATE_PUSH_BUDGET"
DEFAULT_BUDGET = 120.0  # seconds of retrying after the first attempt
FIRST_PAUSE = 0.1
LONGEST_PAUSE = 5.0


def budget() -> float:
    """The seconds a lost race may be retried for: ``$MLGATE_PUSH_BUDGET`` or 120."""
    text = os.environ.get(BUDGET_VAR, "").strip()
    if not text:
        return DEFAULT_BUDGET
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise MlgateError(f"{BUDGET_VAR}={text!r}: expected a number of seconds, 0 or more",
                          hint=f"unset it for the default, {DEFAULT_BUDGET:g} seconds")
    return seconds


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


def run(attempt: Callable[[datetime], T | None], *, root: Path, push: bool,
        dry_run: bool, remote: str, now: datetime) -> T:
    """``attempt(when)`` until it gives an outcome (None: it lost a push race). The first
    attempt is made at ``now``, a retry at the clock's time: its record follows the
    winner's on the ledger, and must not be dated before it (`audit verify` checks)."""
    seconds = budget()
    if push and not dry_run:
        push_pending(root, remote)
    deadline = None
    attempts = 0
    while True:
        outcome = attempt(now if not attempts else datetime.now(UTC))
        attempts += 1
        if outcome is not None:
            return outcome
        if deadline is None:  # the budget is for retrying: the first race lost starts it
            deadline = time.monotonic() + seconds
        pause = random.uniform(0, min(LONGEST_PAUSE, FIRST_PAUSE * 2 ** (attempts - 1)))
        out_of_time = time.monotonic() + pause > deadline
        if not out_of_time:
            time.sleep(pause)
        if push:  # lost a race: take the remote's registry (and judge again)
            publish.adopt_remote(remote_head=publish.fetch_registry(remote=remote, cwd=root),
                                 cwd=root)
        if out_of_time:
            break
    raise MlgateError(f"gave up after {attempts} attempts in {seconds:g} s: other registry "
                      "changes kept reaching the remote first; none of the attempts was "
                      "kept locally",
                      hint=f"run it again in a moment, or allow more time with {BUDGET_VAR}"
                           f" (seconds; now {seconds:g})")
