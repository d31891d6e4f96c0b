"""`verify-artifact`'s report: a table of what was compared, then problems, notes, the
verdict and what `--deploy` did; or the same as one JSON document."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlgate.render.text import table, to_json

if TYPE_CHECKING:
    from mlgate.deploy.artifact import ArtifactCheck


def render_check(check: ArtifactCheck, deploy: str | None, fmt: str,
                 record: dict[str, Any] | None = None) -> str:
    """``record``: where `--record` wrote the deploy record (seq, ledger_commit, pushed)."""
    if fmt == "json":
        data = check.as_dict()
        if deploy is not None:
            data["deploy"] = deploy
        if record is not None:
            data["record"] = record
        return to_json(data)
    rows = [("tag", check.tag), ("model", check.model), ("environment", check.env),
            ("version", check.version), ("commit", (check.commit or "")[:12]),
            ("artifact", check.artifact)]
    rows += [(f"{algo} (record)", value) for algo, value in check.expected.items()]
    rows += [(f"{algo} (file)", value) for algo, value in check.actual.items()]
    lines = [table(["", "verify-artifact"], rows)]
    lines += [f"problem: {problem}" for problem in check.problems]
    lines += [f"note: {note}" for note in check.notes]
    lines.append("verified" if check.ok else "NOT verified")
    if deploy is not None:
        lines.append(deploy)
    if record is not None:
        pushed = ", pushed" if record["pushed"] else " (not pushed)"
        lines.append(f"recorded on the ledger as #{record['seq']} "
                     f"({record['ledger_commit'][:12]}){pushed}")
    return "\n".join(lines)
