"""`mlgate verify-artifact TAG [--pull] [--deploy [--record [--push]]]`: check that the
artifact in the working tree is the one the assignment tag's record names; exit 1 when it
is not.

With --pull the artifact is pulled with DVC first; with --deploy the model's
`deploy.command` (declared at the tag's commit) runs once it is verified, unless a
later assignment has superseded the tag by then (see :mod:`mlgate.deploy.deployer`).
With --record the deploy's outcome, whatever it was, is appended to the ledger
(:mod:`mlgate.promote.deploy_record`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from mlgate.config.root import find_root
from mlgate.deploy.deployer import DeployOutcome, verify_artifact
from mlgate.errors import EXIT_FAILED, EXIT_OK, MlgateError
from mlgate.promote.deploy_record import Deployed, record_deploy
from mlgate.render.deploy_text import render_check


def main(*, tag: str, pull: bool, deploy: bool, ledger: str, fmt: str, record: bool = False,
         push: bool = False, remote: str = "origin") -> int:
    if record and not deploy:
        raise MlgateError("--record needs --deploy: it records what the deploy did",
                          hint="add --deploy, or drop --record")
    if push and not record:
        raise MlgateError("--push needs --record", hint="add --record, or drop --push")
    root = find_root()
    outcome = verify_artifact(tag, root=root, ledger_ref=ledger, pull=pull, deploy=deploy)
    written = None
    if record:
        appended = record_deploy(root, deployed(outcome), push=push, remote=remote,
                                 now=datetime.now(UTC))
        written = {"seq": appended.record["predicate"]["seq"],
                   "outcome": appended.record["predicate"]["outcome"],
                   "ledger_commit": appended.ledger_commit, "pushed": appended.pushed}
    print(render_check(outcome.check, outcome.deploy, fmt, written))
    return EXIT_OK if outcome.ok else EXIT_FAILED


def deployed(outcome: DeployOutcome) -> Deployed:
    """The plain values a deploy record holds."""
    check = outcome.check
    if check.env is None or check.action != "assign":
        raise MlgateError(f"{check.tag} is not an assignment: there is no deploy to record",
                          hint="name the assignment tag, MODEL#ENV#N")
    ran = check.deployable
    result = "success" if ran and outcome.ok else "failure" if not check.ok or ran else \
        "skipped"
    return Deployed(tag=check.tag, model=check.model, env=check.env,
                    version=(check.version or "").removeprefix("v") or None,
                    commit=check.commit, artifact=check.artifact, digests=dict(check.actual),
                    outcome=result, detail=outcome.deploy or "", problems=check.problems)
