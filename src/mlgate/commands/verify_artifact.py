"""`mlgate verify-artifact TAG [--pull] [--deploy]`: check that the artifact in the working
tree is the one the assignment tag's record names; exit 1 when it is not.

With --pull the artifact is pulled with DVC first; with --deploy the model's
`deploy.command` (declared at the tag's commit) runs once it is verified, unless a
later assignment has superseded the tag by then (see :mod:`mlgate.deploy.deployer`).
"""

from __future__ import annotations

from mlgate.config.root import find_root
from mlgate.deploy.deployer import verify_artifact
from mlgate.errors import EXIT_FAILED, EXIT_OK
from mlgate.render.deploy_text import render_check


def main(*, tag: str, pull: bool, deploy: bool, ledger: str, fmt: str) -> int:
    outcome = verify_artifact(tag, root=find_root(), ledger_ref=ledger, pull=pull,
                              deploy=deploy)
    print(render_check(outcome.check, outcome.deploy, fmt))
    return EXIT_OK if outcome.ok else EXIT_FAILED
