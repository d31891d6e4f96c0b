"""`mlgate evaluate MODEL`: the candidate and the incumbent scored by the default branch's
evaluation on the same holdout rows, compared; exit 0 when it ran (the gates judge, in
`check` and `promote`), 2 for bad input."""

from __future__ import annotations

from mlgate.errors import EXIT_OK


def main(*, model: str, rev: str | None, against: str | None, policy_ref: str | None,
         fmt: str) -> int:
    from mlgate.config.root import find_root
    from mlgate.gates.independent import evaluate
    from mlgate.render import evaluate_text as render

    found = evaluate(find_root(), model, rev=rev, against=against, policy_ref=policy_ref)
    print((render.as_json if fmt == "json" else render.as_text)(found), end="")
    return EXIT_OK
