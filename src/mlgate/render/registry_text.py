"""Registry actions (promote, rollback, retire) for people and machines."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlgate.errors import EXIT_FAILED, EXIT_OK
from mlgate.registry.ledger import digest
from mlgate.render.text import fmt_value, table, to_json

if TYPE_CHECKING:
    from mlgate.promote.outcome import Outcome
    from mlgate.registry.state import Deployment


def render_result(result: Outcome | Deployment, fmt: str, *, dry_run: bool) -> str:
    """An action's outcome, or the stay that already served the candidate."""
    from mlgate.registry.state import Deployment

    if isinstance(result, Deployment):
        return render_already(result, fmt, dry_run=dry_run)
    return render(result, fmt)


def exit_code(result: Outcome | Deployment) -> int:
    """1 when the gates refused the action; 0 when it was done, or needed no doing."""
    from mlgate.registry.state import Deployment

    return EXIT_OK if isinstance(result, Deployment) or result.passed else EXIT_FAILED


def render_already(stay: Deployment, fmt: str, *, dry_run: bool) -> str:
    version = f"v{stay.version}" if stay.version else stay.commit[:12]
    if fmt == "json":
        return to_json({"model": stay.model, "environment": stay.env, "action": None,
                        "passed": True, "version": stay.version, "tags": [],
                        "already": stay.event.name, "pushed": False, "dry_run": dry_run})
    return (f"{stay.model} {version} is already in {stay.env} ({stay.event.name}, since "
            f"{stay.since.isoformat()}): nothing to do")


def render(outcome: Outcome, fmt: str) -> str:
    if fmt == "json":
        data = {
            "model": outcome.model, "environment": outcome.environment,
            "action": outcome.action, "passed": outcome.passed, "version": outcome.version,
            "tags": list(outcome.tags), "pushed": outcome.pushed, "dry_run": outcome.dry_run,
            "record_digest": digest(outcome.record) if outcome.record else None,
            "record": outcome.record,
            "decision": outcome.decision.to_dict() if outcome.decision else None,
        }
        return to_json(data)
    verb = {"promote": "promoted", "rollback": "rolled back", "retire": "retired",
            "refused": "REFUSED"}[outcome.action]
    if outcome.dry_run and outcome.passed:
        verb = "would be " + verb
    version = f" v{outcome.version}" if outcome.version else ""
    lines = [f"{outcome.model}{version} -> {outcome.environment}: {verb}"]
    policy = outcome.record["predicate"].get("policy") if outcome.record else None
    if isinstance(policy, dict):  # which rules judged it: the default branch's, by name
        lines.append(f"policy: {policy.get('path')} at {policy.get('ref')}")
    lines.append("")
    if outcome.decision is not None and outcome.decision.results:
        rows = [(r.gate, fmt_value(r.observed), r.expected, "pass" if r.passed else "FAIL",
                 r.why) for r in outcome.decision.results]
        lines += [table(["gate", "observed", "expected", "verdict", "why"], rows), ""]
    if outcome.tags:
        lines.append(f"tags:   {', '.join(outcome.tags)}")
    if outcome.record is not None and not outcome.dry_run and (outcome.passed or outcome.pushed):
        seq = outcome.record["predicate"]["seq"]
        lines.append(f"record: {digest(outcome.record)} (ledger #{seq})")
    if outcome.dry_run:
        lines.append("dry run: nothing was written")
    elif outcome.pushed:
        lines.append("pushed: tags and ledger, in one atomic push")
    elif outcome.passed:
        lines.append("local only: push with `mlgate promote ... --push` or "
                     "`git push --atomic origin <tags> mlgate/ledger`")
    elif not outcome.passed:
        lines.append("nothing was tagged (a refusal is recorded in the ledger with --push)")
    return "\n".join(lines)


def render_show(views: list[dict[str, Any]], fmt: str) -> str:
    """`mlgate show`: one table per model, a row per environment."""
    if fmt == "json":
        return to_json({"models": {v["model"]: v for v in views}})
    blocks = []
    for view in views:
        address = view.get("address", view["model"])
        head = view["model"] + (f" [{address}]" if address != view["model"] else "")
        head += (f" (latest v{view['latest'].removeprefix('v')})"
                 if view["latest"] else " (no version registered)")
        if not view["declared"]:
            head += " - not declared in pipelines/"
        key = view["key_metrics"]
        rows = []
        for env, stay in view["environments"].items():
            if stay is None:
                rows.append((env, "-", "", "", "", *["" for _ in key], ""))
                continue
            evidence = "record" if stay["verified"] else f"unverified: {stay['unverified']}"
            version = stay["version"] or stay["commit"][:12]
            rows.append((env, version if stay["verified"] else f"{version} (unverified)",
                         stay["since"][:19] + "Z",
                         stay["by"], stay["action"] or "",
                         *[stay["metrics"].get(k) for k in key], evidence))
        headers = ["environment", "version", "since", "by", "action", *key, "evidence"]
        blocks.append(head + "\n" + (table(headers, rows) if rows
                                      else "  no environments declared or assigned"))
    return "\n\n".join(blocks) if blocks else "no models declared or registered"
