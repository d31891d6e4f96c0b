"""`mlgate check MODEL --env ENV`: evaluate the environment's gates; exit 1 when one fails."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

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
    from mlgate.config.declarations import find_root
    from mlgate.plumbing.dvc import DvcStatus

    root = find_root()
    # DVC takes the longest: its status of every stage runs while mlgate loads, reads the
    # policy, the registry and the facts (the model's stages are picked from it after)
    early = DvcStatus(root, ()) if rev is None else None
    try:
        from mlgate.gates import facts, judge
        from mlgate.promote.actions import registry_facts
        from mlgate.registry.state import read_model
        from mlgate.render import decision as render

        cand = facts.candidate(root, rev)
        source = facts.load_policy(model, cand, policy_ref)
        facts.check_environment(source.model, env)
        state = read_model(source.model.name, cwd=root)
        now = datetime.now(UTC)
        predictions = facts.read_predictions(source.model, cand, facts.read_lock(cand))
        judged = judge.judge_predictions(cand, source, env, predictions, now)
        gathered = facts.gather(cand, source, now=now, every_stage=early,
                                predictions=predictions)
    finally:
        if early is not None:
            early.cancel()
    version = state.version_of(cand.commit) if cand.commit and rev is not None else None
    decision = judge.evaluate(gathered.policy.model, env, gathered, judged,
                                 candidate_version=version,
                                 **registry_facts(state, gathered.policy.model))
    text = {"json": render.as_json, "markdown": render.as_markdown,
            "table": render.as_table}[fmt](decision, gathered)
    if out:
        write_atomically(out, text if text.endswith("\n") else text + "\n")
    print(text, end="" if text.endswith("\n") else "\n")
    return EXIT_OK if decision.passed else EXIT_FAILED
