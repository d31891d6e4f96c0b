"""Named steps of a registry write where a test can make mlgate die, or make two meet.

`MLGATE_FAILPOINT=STEP` makes the process exit at once with status 137 when it reaches
STEP, as a SIGKILL would: no `finally`, no atexit, no flushed buffers. The fault tests
kill a real `mlgate promote --push` at every step this way and check that the registry
is never half-written and that a rerun completes it.

`MLGATE_FAILPOINT=STEP@DIR:N` instead waits at STEP until N processes have arrived in
the directory DIR (at most :data:`RENDEZVOUS_TIMEOUT` seconds), so that two promotions
push at the same moment and one of them must lose the race.

Unset, as everywhere but in tests, a step costs one environment lookup.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from mlgate.errors import MlgateError

ENV_VAR = "MLGATE_FAILPOINT"
EXIT_KILLED = 137  # what a shell reports for a process killed by SIGKILL
RENDEZVOUS_TIMEOUT = 60.0

# in the order a registry write passes them (see publish.py)
STEPS = (
    "after-version-tag",  # the MODEL@vX.Y.Z tag object exists, unreferenced
    "after-assign-tag",  # the MODEL#ENV#N (or MODEL#ENV!#N) tag object exists, unreferenced
    "after-ledger-commit",  # the ledger commit exists, unreferenced
    "after-ref-transaction",  # tags and ledger are local refs; nothing pushed
    "before-push",  # about to run `git push --atomic`
    "after-push",  # the push returned; nothing else has happened yet
)


def hit(step: str) -> None:
    """Called by the registry writer at ``step``; does nothing unless a test armed it."""
    spec = os.environ.get(ENV_VAR)
    if not spec:
        return
    target, _, meeting = spec.partition("@")
    if target not in STEPS:
        raise MlgateError(f"{ENV_VAR}={spec!r} names no step",
                          hint=f"steps: {', '.join(STEPS)}")
    if target != step:
        return
    if meeting:
        _rendezvous(meeting, spec)
    else:
        os._exit(EXIT_KILLED)


def _rendezvous(meeting: str, spec: str) -> None:
    folder, _, count = meeting.rpartition(":")
    if not folder or not count.isdigit():
        raise MlgateError(f"{ENV_VAR}={spec!r}: expected STEP@DIR:N")
    where = Path(folder)
    where.mkdir(parents=True, exist_ok=True)
    (where / str(os.getpid())).touch()
    deadline = time.monotonic() + RENDEZVOUS_TIMEOUT
    while sum(1 for _ in where.iterdir()) < int(count) and time.monotonic() < deadline:
        time.sleep(0.01)
