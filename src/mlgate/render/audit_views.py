"""`reproduce`, `inventory` and `audit diff` for people (tables) and machines (JSON)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlgate.render.text import fmt_value, table, to_json

if TYPE_CHECKING:
    from mlgate.audit.reproduction import Reproduction


def _short(digest: str | None) -> str:
    return "-" if digest is None else digest


def render_reproduce(result: Reproduction, fmt: str) -> str:
    if fmt == "json":
        return to_json(result.as_dict())
    t = result.target
    version = f" v{t.version}" if t.version else ""
    record = f", record {t.record.digest}" if t.record else ", no record (dvc.lock only)"
    lines = [f"reproduce {t.ref}: {t.model}{version} at {t.commit[:12]}{record}",
             f"stages: {', '.join(result.stages)}", ""]
    rows = [(c.stage or "-", c.kind, c.path, _short(c.recorded), _short(c.reproduced),
             "yes" if c.same else "NO") for c in result.compared]
    lines.append(table(["stage", "kind", "path", "recorded", "reproduced", "same"], rows))
    lines.append("")
    lines += [f"note: {n}" for n in t.notes]
    if result.identical:
        lines.append(f"identical: {len(result.compared)} digests reproduced exactly")
    elif not result.compared:
        lines.append("nothing to compare: the recorded dvc.lock lists no outputs")
    else:
        differing = sorted({c.path for c in result.differing})
        lines.append(f"DIFFERS: {', '.join(differing)}")
    return "\n".join(lines)


def _served(stay: dict[str, Any] | None) -> str:
    if stay is None:
        return "-"
    return f"v{stay['version']}" if stay["version"] else stay["commit"][:12]


def render_inventory(entries: list[dict[str, Any]], fmt: str, *, today: str) -> str:
    if fmt == "json":
        return to_json({"today": today, "models": entries})
    if not entries:
        return "no models declared in pipelines/ or found in the registry"
    envs: list[str] = []
    for entry in entries:
        envs += [e for e in entry["environments"] if e not in envs]
    rows = []
    for e in entries:
        owner = e["owner"]["name"] if e["owner"] else "-"
        use = e["intended_use"] or "-"
        rows.append((e["model"], owner, e["risk_tier"] or "-",
                     use if len(use) <= 40 else use[:39] + "…",
                     *[_served(e["environments"].get(env)) for env in envs],
                     (e["review"] or {}).get("last_validated") or "-", e["valid_until"] or "-",
                     "OVERDUE" if e["overdue"] else ("ok" if e["declared"] else "-")))
    lines = [table(["model", "owner", "risk", "intended use", *envs, "last validated",
                    "valid until", "validation"], rows)]
    flagged = [(e["model"], flag) for e in entries for flag in e["flags"]]
    if flagged:
        lines.append("")
        lines += [f"{name}: {flag}" for name, flag in flagged]
    return "\n".join(lines)


def _deployment(side: dict[str, Any]) -> str:
    version = f" v{side['version']}" if side["version"] else ""
    return (f"{side['tag']}: {side['action']} {side['model']}{version} {side['environment']}, "
            f"{side['time']}, commit {(side['commit'] or '-')[:12]}")


def _verdict(gate: dict[str, Any] | None) -> str:
    if gate is None:
        return "-"
    return f"{'pass' if gate['passed'] else 'FAIL'} ({fmt_value(gate['observed'])})"


def render_diff(result: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return to_json(result)
    lines = [f"A  {_deployment(result['a'])}", f"B  {_deployment(result['b'])}", ""]

    def section(title: str, headers: list[str], rows: list[tuple[Any, ...]]) -> None:
        lines.append(f"{title}: " + (f"{len(rows)} changed" if rows else "unchanged"))
        if rows:
            lines.extend("  " + line for line in table(headers, rows).splitlines())
        lines.append("")

    section("params", ["param", "A", "B"],
            [(r["key"], r["a"], r["b"]) for r in result["params"]])
    section("data", ["dependency", "A md5", "B md5"],
            [(r["key"], r["a"], r["b"]) for r in result["data"]])
    code = result["code"]
    if code is None:
        lines += ["code: not compared (a commit is missing here)", ""]
    else:
        section("code", ["status", "file"], [(c["status"], c["path"]) for c in code])
    policy = result["policy"]
    if policy["changed"]:
        lines.append(f"policy: changed, blob {policy['a'].get('blob')} -> "
                     f"{policy['b'].get('blob')}")
        lines += ["  " + line for line in (policy["diff"] or "").splitlines()]
    else:
        lines.append(f"policy: unchanged (blob {policy['a'].get('blob')})")
    lines.append("")
    artifact = result["artifact"]
    same = artifact["a"] == artifact["b"]
    sha = [str(artifact[k].get("sha256", "-"))[:12] for k in ("a", "b")]
    lines += [f"artifact: {'the same' if same else 'different'} (sha256 {sha[0]} -> {sha[1]})",
              ""]
    metrics = [(r["key"], r["a"], r["b"], r["change"]) for r in result["metrics"]]
    lines += ["metrics:", *("  " + line for line in table(["metric", "A", "B", "change"],
                                                          metrics).splitlines()), ""]
    gates = [(r["key"], _verdict(r["a"]), _verdict(r["b"])) for r in result["gates"]]
    lines += ["gates:", *("  " + line for line in table(["gate", "A", "B"],
                                                        gates).splitlines())]
    evaluation = result.get("evaluation")
    if evaluation:
        rows = [(r["key"], _shown(r["a"]), _shown(r["b"]),
                 "" if r["a"] == r["b"] else "changed") for r in evaluation]
        lines += ["", "independent evaluation:", *("  " + line for line in table(
            ["fact", "A", "B", ""], rows).splitlines())]
    return "\n".join(lines)


def _shown(value: Any) -> str:
    return "-" if value is None else str(value)
