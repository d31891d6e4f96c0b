"""`mlgate verify-artifact TAG [--pull] [--deploy]`: check that the artifact in the working
tree is the one the assignment tag's record names; exit 1 when it is not.

With --pull the artifact is pulled with DVC first; with --deploy the model's
`deploy.command` (declared at the tag's commit) runs once it is verified, unless a
later assignment has superseded the tag by then.
"""

from __future__ import annotations

from pathlib import Path

from mlgate.config.declarations import find_root, load_model
from mlgate.deploy.artifact import Verification, verify
from mlgate.errors import EXIT_FAILED, EXIT_OK
from mlgate.plumbing import dvc, git, subproc
from mlgate.registry.state import read_model
from mlgate.registry.tags import parse_tag
from mlgate.render.text import table, to_json


def main(*, tag: str, pull: bool, deploy: bool, ledger: str, fmt: str) -> int:
    root = find_root()
    parsed = parse_tag(tag)
    if pull and parsed is not None and parsed.env is not None:
        event = next((e for e in read_model(parsed.model, cwd=root).events
                      if e.name == tag and e.record), None)
        subject = (event.record or {}).get("subject") if event else None
        if subject and subject[0].get("name"):
            dvc.dvc(["pull", subject[0]["name"]], cwd=root, capture=False,
                    hint="check the DVC remote and its credentials (`dvc pull -v`)")
    result = verify(tag, root=root, ledger_ref=ledger)
    outcome = "not deployed"
    code = EXIT_OK if result.ok else EXIT_FAILED
    if deploy and result.deployable:
        outcome, code = _deploy(result, root)
    elif deploy and result.ok and result.superseded_by:
        outcome = f"not deployed: superseded by {result.superseded_by}"
    _report(result, outcome if deploy else None, fmt)
    return code


def _deploy(result: Verification, root: Path) -> tuple[str, int]:
    assert result.commit is not None and result.env is not None and result.artifact
    model = load_model(root, result.model, git.RevReader(result.commit, cwd=root))
    if model.deploy_command is None:
        return "nothing to run: the model declares no deploy.command", EXIT_OK
    env = {
        "MLGATE_ARTIFACT": str(root / result.artifact), "MLGATE_VERSION": result.version or "",
        "MLGATE_ENV": result.env, "MLGATE_MODEL": result.model, "MLGATE_TAG": result.tag,
        "MLGATE_SHA256": result.actual.get("sha256", "")}
    # the command's output goes to stderr, so that stdout stays this command's report
    proc = subproc.run(["/bin/sh", "-c", model.deploy_command], cwd=root, env=env,
                       check=False, capture=False, hint="see the deploy command's output")
    if proc.returncode != 0:
        return f"deploy.command failed (exit {proc.returncode})", EXIT_FAILED
    return "deployed: deploy.command succeeded", EXIT_OK


def _report(result: Verification, outcome: str | None, fmt: str) -> None:
    if fmt == "json":
        data = result.as_dict()
        if outcome is not None:
            data["deploy"] = outcome
        print(to_json(data))
        return
    rows = [("tag", result.tag), ("model", result.model), ("environment", result.env),
            ("version", result.version), ("commit", (result.commit or "")[:12]),
            ("artifact", result.artifact)]
    rows += [(f"{algo} (record)", value) for algo, value in result.expected.items()]
    rows += [(f"{algo} (file)", value) for algo, value in result.actual.items()]
    print(table(["", "verify-artifact"], rows))
    for problem in result.problems:
        print(f"problem: {problem}")
    for note in result.notes:
        print(f"note: {note}")
    print("verified" if result.ok else "NOT verified")
    if outcome is not None:
        print(outcome)
