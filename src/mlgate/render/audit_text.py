"""The auditor's commands for people (tables) and machines (JSON): verify, history, at."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mlgate.audit.findings import NO_RECORDS
from mlgate.render.text import fmt_value, table, text_table, to_json

if TYPE_CHECKING:
    from mlgate.audit.verify import Verification


def render_verify(result: Verification, fmt: str) -> str:
    if fmt == "json":
        return to_json(result.as_dict())
    where = (f"{result.records} records on {result.ledger_ref} ({(result.head or '')[:12]})"
             if result.ledger_ref else "no ledger")
    if NO_RECORDS in result.notes:
        where = "no ledger and no mlgate records (a registry made by GTO alone)"
    count = len(result.findings)
    head = {"intact": "intact", "unverified": "UNVERIFIED", "altered": "ALTERED"}[result.verdict]
    lines = [f"audit verify: {head}: {where}, {result.tags} registry tags"]
    if result.findings:
        lines[0] += f"; {count} finding{'s' if count != 1 else ''}"
        lines += ["", table(["kind", "where", "finding"],
                            [(f.kind, f.where, f.message) for f in result.findings])]
    else:
        lines[0] += "; every check passed"
    lines += [f"note: {n}" for n in result.notes]
    return "\n".join(lines)


def metrics_text(metrics: dict[str, Any]) -> str:
    # fmt_value's own test of a float in fixed notation first: one row of history each
    return " ".join([
        f"{k}={format(v, '.4f').rstrip('0').rstrip('.')}"
        if type(v) is float and (_SMALLEST <= abs(v) < math.inf or v == 0) else
        f"{k}={fmt_value(v)}" for k, v in metrics.items()])


_SMALLEST = 10.0 ** -4  # what fmt_value's four decimals show


def render_history(rows: list[dict[str, Any]], fmt: str, *, scope: str,
                   shown: dict[int, tuple[str, ...]] | None = None) -> str:
    """``shown``: the :func:`history_cells` of rows already made, by the row's id()."""
    if fmt == "json":
        return to_json({"history": rows})
    made = shown or {}
    return history_table([made.get(id(r)) or history_cells(r) for r in rows], scope=scope)


def history_table(cells: Sequence[Sequence[str]], *, scope: str) -> str:
    """The table of rows' :func:`history_cells`."""
    if not cells:
        return f"no history for {scope}: nothing was promoted, rolled back or retired"
    return text_table(["time (UTC)", "model", "environment", "action", "version", "verdict",
                       "who", "metrics", "reason", "evidence"], cells)


def history_cells(r: dict[str, Any]) -> tuple[str, ...]:
    """A history row as the table shows it."""
    when, metrics, reason, evidence = r["time"], r["metrics"], r["reason"], r["evidence"]
    return (when[:19].replace("T", " ") if when else "-", r["model"],
            r["environment"] or "-", r["action"], _version(r["version"]), r["verdict"],
            r["who"] or "-", metrics_text(metrics) if metrics else "",
            reason if type(reason) is str else fmt_value(reason) if reason else "",
            "ledger" if evidence == "record" else evidence)


def _version(version: str | None) -> str:
    return f"v{version}" if version else "-"


def render_at(result: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return to_json(result)
    served = result["served"]
    ignored = [f"ignored: tag {d['tag']} (v{d['version']} of {d['model']}, since "
               f"{d['since']}, tagged by {d['who'] or '-'}): {d['why']}"
               for d in result.get("ignored_tags") or ()]
    note = [f"note: {result['note']}"] if result.get("note") else []
    if result.get("evidence") == "tags only":  # no ledger: what GTO's tags say
        lines = [_by_tag(d, result["time"]) for d in served]
        return "\n".join((lines or [f"nothing served {result['environment']} at "
                                     f"{result['time']} ({result['scope']}), according to "
                                     "the registry's tags"]) + note)
    if not served:
        return "\n".join([f"nothing served {result['environment']} at {result['time']} "
                          f"({result['scope']}), according to the ledger", *ignored])
    blocks = [_by_tag(d, result["time"]) + " (evidence: tag only)"
              if d.get("evidence") == "tag only" else _lineage(d, result["time"])
              for d in served]
    return "\n\n".join([*blocks, "\n".join(ignored + note)] if ignored or note else blocks)


def _by_tag(d: dict[str, Any], at: str) -> str:
    """What served by a tag alone: no record, so no lineage to show."""
    return (f"{d['model']} v{d['version']} served {d['environment']} at {at} by tag "
            f"{d['tag']} (since {d['since']}, until {d['until'] or 'still serving'}), commit "
            f"{d['commit'][:12]}, tagged by {d['who'] or '-'}")


def _production(d: dict[str, Any]) -> list[tuple[str, Any]]:
    """Whether the assigned version was deployed, and how production judged it last."""
    rows: list[tuple[str, Any]] = []
    if "deployed" in d:
        dep = d["deployed"]
        if dep is None:
            said = "no deploy record: assigned, not known to be deployed"
        else:
            runtime = dep["runtime"] or {}
            packages = runtime.get("packages") or {}
            said = (f"{'deployed' if dep['outcome'] == 'success' else 'deploy FAILED'} at "
                    f"{dep['time']} (ledger #{dep['seq']}): sha256 "
                    f"{(dep['artifact'] or {}).get('sha256', '-')}, Python "
                    f"{runtime.get('python', '-')}, packages sha256 "
                    f"{packages.get('sha256', '-')}")
        rows.append(("deployed", said))
    if "monitoring" in d:
        run = d["monitoring"]
        if run is None:
            said = "no monitoring record for this deployment"
        else:
            perf = (f", {run['metric']} {fmt_value(run['production'])} (gap "
                    f"{fmt_value(run['gap'])})" if run["metric"] else "")
            said = (f"{run['verdict']} at {run['time']} (ledger #{run['seq']}){perf}, max psi "
                    f"{fmt_value(run['max_psi'])}")
        rows.append(("last monitoring", said))
    return rows


def _lineage(d: dict[str, Any], at: str) -> str:
    until = d["until"] or "still serving"
    head = (f"{d['model']} v{d['version']} served {d['environment']} at {at} "
            f"({d['action']} at {d['since']}, until {until})")
    subject = d["artifact"]
    ci = d["ci"] or {}
    rows: list[tuple[str, Any]] = [
        ("commit", d["commit"]),
        ("artifact", f"{subject['name']} sha256 {subject['digest'].get('sha256', '-')} "
                     f"md5 {subject['digest'].get('md5', '-')}"),
        ("dvc.lock md5", d["dvc_lock"]),
        ("tags", ", ".join(d["tags"]) or "-"),
        ("approved by", ", ".join(d["approvals"]) or "-"),
        ("by", d["who"] or "-"),
        ("reason", d["reason"] or "-"),
        ("policy", f"{d['policy'].get('path')} blob {d['policy'].get('blob')} "
                   f"at {d['policy'].get('ref')}"),
        ("CI run", " ".join(f"{k}={v}" for k, v in sorted(ci.items())) or "none (not in CI)"),
        ("record", f"{d['record_digest']} (ledger #{d['seq']}, commit "
                   f"{(d['ledger_commit'] or '-')[:12]})"),
    ]
    rows += _production(d)
    rows += [(f"param {k}", v) for k, v in d["params"].items()]
    rows += [(f"data {item['path']}", f"md5 {item['md5']}") for item in d["data"]]
    rows += [(f"metric {k}", v) for k, v in d["metrics"].items()]
    gates = [(g.get("gate"), fmt_value(g.get("observed")), g.get("expected"),
              "pass" if g.get("passed") else "FAIL", g.get("why")) for g in d["gates"]]
    parts = [head, table(["", "lineage"], rows)]
    if gates:
        parts.append(table(["gate", "observed", "expected", "verdict", "why"], gates))
    return "\n".join(parts)
