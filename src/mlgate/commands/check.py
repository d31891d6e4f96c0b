"""`mlgate check MODEL --env ENV`: evaluate the environment's gates; exit 1 when one fails."""

from __future__ import annotations

import os
from pathlib import Path

from mlgate import facts
from mlgate.config.declarations import find_root
from mlgate.errors import EXIT_FAILED, EXIT_OK, MlgateError


def write_atomically(path: str, text: str) -> None:
    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(text)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise MlgateError(f"cannot write the report: {exc.strerror}", path=path,
                          hint="choose a writable path for --out") from None


def main(*, model: str, env: str, rev: str | None, policy_ref: str | None, fmt: str,
         out: str | None) -> int:
    root = find_root()
    cand = facts.candidate(root, rev)
    source = facts.load_policy(model, cand, policy_ref)
    facts.check_environment(source.model, env)
    gathered = facts.gather(cand, source)
    from mlgate import policy  # numpy: imported once `dvc status` is running
    from mlgate.actions import registry_facts
    from mlgate.registry import read_model
    from mlgate.report import decision as render

    state = read_model(source.model.name, cwd=root)
    version = state.version_of(cand.commit) if cand.commit and rev is not None else None
    decision = policy.evaluate(gathered.policy.model, env, gathered.to_facts(
        candidate_version=version, **registry_facts(state, gathered.policy.model)))
    text = {"json": render.as_json, "markdown": render.as_markdown,
            "table": render.as_table}[fmt](decision, gathered)
    if out:
        write_atomically(out, text if text.endswith("\n") else text + "\n")
    print(text, end="" if text.endswith("\n") else "\n")
    return EXIT_OK if decision.passed else EXIT_FAILED
