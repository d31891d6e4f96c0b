"""`mlgate reproduce REF`: re-run a version's pipeline in a temporary worktree at its
recorded commit; exit 0 when every output digest is the recorded one, 1 naming those that
are not."""

from __future__ import annotations

from mlgate.audit import trail
from mlgate.audit.reproduction import reproduce, resolve
from mlgate.config.declarations import find_root
from mlgate.errors import EXIT_FAILED, EXIT_OK
from mlgate.render.audit_views import render_reproduce


def main(*, ref: str, fmt: str) -> int:
    root = find_root()
    result = reproduce(root, resolve(trail.load(root), ref))
    print(render_reproduce(result, fmt))
    return EXIT_OK if result.identical else EXIT_FAILED
