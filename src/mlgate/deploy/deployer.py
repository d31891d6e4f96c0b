"""`verify-artifact` as a library call: pull if asked, check the artifact, and with
`--deploy` run the model's `deploy.command` once the artifact is verified.

Invariant: the deploy command runs only for an assignment whose artifact is verified and
whose tag still holds its environment, and it is the one declared at the tag's commit
(not the working tree's); its output goes to stderr, so stdout stays mlgate's report.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mlgate.config.declarations import load_model
from mlgate.deploy import artifact
from mlgate.deploy.artifact import ArtifactCheck
from mlgate.plumbing import git, subproc


@dataclass(frozen=True)
class DeployOutcome:
    check: ArtifactCheck
    deploy: str | None  # what --deploy did, in words; None without --deploy
    ok: bool  # verified, and the deploy command (when it ran) succeeded


def verify_artifact(tag: str, *, root: Path, ledger_ref: str, pull: bool,
                    deploy: bool) -> DeployOutcome:
    if pull:
        artifact.pull(tag, root=root)
    check = artifact.verify(tag, root=root, ledger_ref=ledger_ref)
    if not deploy:
        return DeployOutcome(check, None, check.ok)
    if check.deployable:
        said, ok = run_deploy_command(check, root=root)
        return DeployOutcome(check, said, ok)
    if check.ok and check.superseded_by:
        return DeployOutcome(check, f"not deployed: superseded by {check.superseded_by}",
                             check.ok)
    return DeployOutcome(check, "not deployed", check.ok)


def run_deploy_command(check: ArtifactCheck, *, root: Path) -> tuple[str, bool]:
    """Run the model's `deploy.command` for a deployable check: what happened, and
    whether it succeeded (no command declared counts as success)."""
    assert check.commit is not None and check.env is not None and check.artifact
    model = load_model(root, check.model, git.RevReader(check.commit, cwd=root))
    if model.deploy_command is None:
        return "nothing to run: the model declares no deploy.command", True
    env = {
        "MLGATE_ARTIFACT": str(root / check.artifact), "MLGATE_VERSION": check.version or "",
        "MLGATE_ENV": check.env, "MLGATE_MODEL": check.model, "MLGATE_TAG": check.tag,
        "MLGATE_SHA256": check.actual.get("sha256", "")}
    proc = subproc.run(["/bin/sh", "-c", model.deploy_command], cwd=root, env=env,
                       check=False, capture=False, hint="see the deploy command's output")
    if proc.returncode != 0:
        return f"deploy.command failed (exit {proc.returncode})", False
    return "deployed: deploy.command succeeded", True
