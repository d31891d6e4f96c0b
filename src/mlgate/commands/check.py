"""`mlgate check MODEL --env ENV`: evaluate the environment's gates; exit 1 when one fails."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from mlgate.errors import EXIT_FAILED, EXIT_OK


def main(*, model: str, env: str, rev: str | None, policy_ref: str | None, fmt: str,
         out: str | None) -> int:
    from mlgate.config.root import find_root
    from mlgate.gates.judge import check
    from mlgate.render import decision as render

    judged = check(find_root(), model, env, rev=rev, policy_ref=policy_ref,
                   now=datetime.now(UTC))
    text = {"json": render.as_json, "markdown": render.as_markdown,
            "table": render.as_table}[fmt](judged.decision, judged.gathered)
    text = text if text.endswith("\n") else text + "\n"
    if out:
        from mlgate.plumbing.files import write_atomic

        write_atomic(Path(out), text, hint="choose a writable path for --out")
    print(text, end="")
    return EXIT_OK if judged.decision.passed else EXIT_FAILED
