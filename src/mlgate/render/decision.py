"""A Decision for people (table, markdown) and machines (JSON)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlgate.render.text import fmt_value, table, to_json

if TYPE_CHECKING:
    from mlgate.gates.facts import Gathered
    from mlgate.gates.policy import Decision


def _verdict(passed: bool) -> str:
    return "pass" if passed else "FAIL"


def context(decision: Decision, gathered: Gathered) -> dict[str, Any]:
    cand = gathered.candidate
    policy = gathered.policy
    return {
        "model": decision.model,
        "environment": decision.environment,
        "candidate": {"rev": cand.rev, "commit": cand.commit, "label": cand.label},
        "policy": {"path": policy.path, "ref": policy.ref, "commit": policy.commit,
                   "blob": policy.blob, "floor": policy.floor},
        "warnings": warnings(gathered),
    }


def warnings(gathered: Gathered) -> list[str]:
    out = []
    if gathered.policy.floor:
        out.append(f"{gathered.policy.floor} ({gathered.policy.path}): its own policy has not "
                   "been reviewed yet, so it does not judge it")
    if gathered.policy.candidate_change:
        out.append(f"the candidate {gathered.policy.candidate_change} {gathered.policy.path}; "
                   "the policy applied is the "
                   f"one at {gathered.policy.ref}, as it must be: have the change reviewed")
    return out


def as_json(decision: Decision, gathered: Gathered) -> str:
    data = context(decision, gathered)
    data.update(decision.to_dict())
    return to_json(data)


def _counts(decision: Decision) -> str:
    passed = sum(r.passed for r in decision.results)
    return f"{passed} of {len(decision.results)} gates passed"


def as_table(decision: Decision, gathered: Gathered) -> str:
    cand = gathered.candidate
    commit = f" ({cand.commit[:10]})" if cand.commit else ""
    policy = gathered.policy
    lines = [
        f"{decision.model} -> {decision.environment}",
        f"candidate: {cand.label}{commit}",
        f"policy:    {policy.path} at {policy.ref} (blob {(policy.blob or '-')[:10]})",
        "",
    ]
    rows = [(r.gate, fmt_value(r.observed), r.expected, _verdict(r.passed), r.why)
            for r in decision.results]
    lines.append(table(["gate", "observed", "expected", "verdict", "why"], rows)
                 if rows else "(this environment declares no gates)")
    lines.append("")
    lines += [f"warning: {w}" for w in warnings(gathered)]
    lines.append(f"verdict: {'PASS' if decision.passed else 'FAIL'} ({_counts(decision)})")
    return "\n".join(lines)


def _cell(text: Any) -> str:
    return fmt_value(text).replace("|", "\\|").replace("\n", " ")


def as_markdown(decision: Decision, gathered: Gathered) -> str:
    icon = ":white_check_mark:" if decision.passed else ":x:"
    verb = "passes" if decision.passed else "fails"
    lines = [f"### {icon} `{decision.model}` {verb} the `{decision.environment}` gates "
             f"({_counts(decision)})", ""]
    lines += [f"> **Warning:** {w}" for w in warnings(gathered)]
    lines += ["", "| gate | observed | expected | verdict | why |", "|---|---|---|---|---|"]
    for r in decision.results:
        mark = ":white_check_mark:" if r.passed else ":x:"
        lines.append(f"| {_cell(r.gate)} | {_cell(r.observed)} | {_cell(r.expected)} | {mark} | "
                     f"{_cell(r.why)} |")
    policy = gathered.policy
    lines += ["", f"Policy: `{policy.path}` at `{policy.ref}` (blob `{(policy.blob or '-')[:10]}`)"
              f"; candidate: {gathered.candidate.label}."]
    return "\n".join(lines) + "\n"
