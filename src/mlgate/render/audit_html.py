"""`audit.html`: the auditor's report, one self-contained page.

Inline CSS and inline SVG only: no script, no font, no request of any kind, so it opens
from a CI artifact or a mail attachment as it is. Every value from the records is
escaped (a deployment's reason is free text). `<details>` folds each deployment's
evidence without a script.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mlgate.render import audit_production, audit_svg
from mlgate.render.audit_svg import e
from mlgate.render.page_css import PAGE_CSS
from mlgate.render.text import fmt_value

CSS = PAGE_CSS + """
.v-intact{background:#1a7f37}.v-unverified{background:#9a6700}.v-altered{background:#cf222e}
h2{font-size:17px;margin:4px 0 10px}h3{font-size:15px;margin:12px 0 6px}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;margin:4px 0 8px}
th,td{border-bottom:1px solid #d8dee4;padding:3px 10px;text-align:left;vertical-align:top}
td.num{text-align:right}code{font-size:12px;word-break:break-all}
.bad{color:#cf222e;font-weight:600}.good{color:#1a7f37}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:10px}
figure{margin:0;border:1px solid #d0d7de;border-radius:8px;padding:6px;background:#fff}
figcaption{font-weight:600;margin-bottom:2px}
svg{display:block;width:100%;height:auto}
details{border-top:1px solid #d8dee4;padding:6px 0}summary{cursor:pointer}
"""
VERDICT = {"intact": "intact: every check passed", "unverified": "tags without records",
           "altered": "ALTERED: the registry is not what mlgate wrote"}


def _table(headers: list[str], rows: list[list[Any]], numeric: tuple[int, ...] = ()) -> str:
    if not rows:
        return "<p>none</p>"
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td class="num">{e(fmt_value(c))}</td>' if i in numeric
                         else f"<td>{c if isinstance(c, _Html) else e(fmt_value(c))}</td>"
                         for i, c in enumerate(row)) + "</tr>"
        for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


class _Html(str):
    """Markup made here from escaped parts, to put in a cell as it is."""


def _verdict(text: str) -> _Html:
    css = "bad" if text == "FAIL" else "good" if text == "pass" else ""
    return _Html(f'<span class="{css}">{e(text)}</span>')


def _header(data: dict[str, Any]) -> str:
    v = data["verification"]
    head = (data["ledger_head"] or "")[:12]
    return (f'<header class="v-{e(v["verdict"])}"><h1>Audit report: {e(data["repository"])}</h1>'
            f'<p>verification: {e(VERDICT[v["verdict"]])} ({len(v["findings"])} findings; '
            f'{v["records"]} records, {v["tags"]} registry tags)</p>'
            f'<p>ledger {e(data["ledger"] or "none")} at {e(head or "-")}; generated '
            f'{e(data["generated"])}</p></header>')


def _verification(data: dict[str, Any]) -> str:
    v = data["verification"]
    rows = [[f["kind"], f["where"], f["message"]] for f in v["findings"]]
    notes = "".join(f"<p>note: {e(n)}</p>" for n in v["notes"])
    found = (_table(["kind", "where", "finding"], rows) if rows else
             "<p>No findings: tags and ledger agree, the ledger is append-only, numbered, "
             "chained and in time order, and every record matches dvc.lock at its commit.</p>")
    return f"<section><h2>Verification</h2>{found}{notes}</section>"


def _inventory(data: dict[str, Any]) -> str:
    rows = []
    for m in data["inventory"]:
        served = ", ".join(f"{env}: v{s['version']}" if s and s["version"] else f"{env}: -"
                           for env, s in m["environments"].items())
        rows.append([m["model"], (m["owner"] or {}).get("name"), m["risk_tier"],
                     m["intended_use"], served, (m["review"] or {}).get("last_validated"),
                     m["valid_until"], _verdict("FAIL") if m["overdue"] else "",
                     "; ".join(m["flags"])])
    headers = ["model", "owner", "risk tier", "intended use", "serving", "last validated",
               "valid until", "overdue", "flags"]
    return f"<section><h2>Model inventory</h2>{_table(headers, rows)}</section>"


def _timelines(data: dict[str, Any]) -> str:
    end = datetime.fromisoformat(data["generated"])
    blocks = []
    for model, lanes in data["stays"].items():
        versions = data["metrics"].get(model, {}).get("versions", [])
        chart = audit_svg.timeline(model, lanes, versions, end)
        rows = [[env, f"v{s['version']}", s["action"], s["since"], s["until"] or "serving",
                 s["who"], ", ".join(s["approvals"]), s["reason"]]
                for env, stays in lanes.items() for s in stays]
        blocks.append(f"<h3>{e(model)}</h3><figure>{chart}</figure>" + _table(
            ["environment", "version", "action", "since", "until", "who", "approvals", "reason"],
            rows))
    return ("<section><h2>Timeline per environment</h2>"
            + ("".join(blocks) or "<p>nothing was ever deployed</p>") + "</section>")


def _metrics(data: dict[str, Any]) -> str:
    blocks = []
    for model, series in data["metrics"].items():
        figures = [f"<figure><figcaption>{e(model)}: {e(name)}</figcaption>"
                   f"{audit_svg.metric(model, name, values, series['versions'])}</figure>"
                   for name, values in series["metrics"].items()]
        blocks.append(f"<h3>{e(model)}</h3><div class=\"grid\">{''.join(figures)}</div>")
    return ("<section><h2>Metrics across versions</h2>"
            + ("".join(blocks) or "<p>no promotions yet</p>") + "</section>")


def _production(data: dict[str, Any]) -> str:
    blocks = []
    for model, lanes in data.get("production", {}).items():
        for env, runs in lanes.items():
            figures = [f"<figure><figcaption>{e(caption)}</figcaption>{svg}</figure>"
                       for caption, svg in audit_production.charts(model, env, runs)]
            blocks.append(f"<h3>{e(model)} in {e(env)}: {len(runs)} monitoring runs</h3>"
                          f"<div class=\"grid\">{''.join(figures)}</div>")
    alerts = [[a["time"], f"#{a['seq']}", a["model"], a["environment"],
               f"v{a['version']}" if a["version"] else "-", ", ".join(a["causes"]) or "-",
               ", ".join(a["actions"]) or "none declared", _followed(a["followed_by"])]
              for a in data.get("alerts", [])]
    return ("<section><h2>Production: monitoring over time</h2>"
            + ("".join(blocks) or "<p>no monitoring records on the ledger</p>")
            + "<h3>Alerts and what was done</h3>"
            + _table(["time", "record", "model", "environment", "version", "cause", "route",
                      "then, on the ledger"], alerts) + "</section>")


def _followed(change: dict[str, Any] | None) -> str:
    if change is None:
        return "nothing on the ledger since"
    version = f" v{change['version']}" if change["version"] else ""
    return f"{change['action']}{version} at {change['time']} (#{change['seq']})"


def _evidence(d: dict[str, Any]) -> str:
    digests = d["artifact"]["digest"]
    ci = d["ci"] or {}
    facts = [
        ["commit", _Html(f"<code>{e(d['commit'])}</code>")],
        ["artifact", f"{d['artifact']['name']} sha256 {digests.get('sha256', '-')} "
                     f"md5 {digests.get('md5', '-')}"],
        ["dvc.lock md5", d["dvc_lock"]], ["tags", ", ".join(d["tags"]) or "-"],
        ["approved by", ", ".join(d["approvals"]) or "-"], ["by", d["who"]],
        ["reason", d["reason"]],
        ["policy", f"{d['policy'].get('path')} blob {d['policy'].get('blob')} at "
                   f"{d['policy'].get('ref')}"],
        ["CI run", " ".join(f"{k}={v}" for k, v in sorted(ci.items())) or "none (not in CI)"],
        ["record", _Html(f"<code>{e(d['record_digest'])}</code>")],
        ["previous", _Html(f"<code>{e(d['previous'] or 'none')}</code>")],
    ]
    gates = [[g.get("gate"), g.get("observed"), g.get("expected"),
              _verdict("pass" if g.get("passed") else "FAIL"), g.get("why")]
             for g in d["gates"]]
    version = f" v{d['version']}" if d["version"] else ""
    return (f"<details><summary>{e(d['label'])} &middot; {e(d['time'])} &middot; "
            f"{_verdict(d['verdict'])}</summary>"
            + _table(["", "evidence"], facts)
            + f"<h3>Gates{e(version)}</h3>"
            + _table(["gate", "observed", "expected", "verdict", "why"], gates)
            + "<h3>Params</h3>" + _table(["param", "value"], [[k, v] for k, v in
                                                              d["params"].items()])
            + "<h3>Data</h3>" + _table(["dependency", "md5"],
                                       [[x.get("path"), x.get("md5")] for x in d["data"]])
            + "<h3>Metrics</h3>" + _table(["metric", "value"],
                                          [[k, v] for k, v in d["metrics"].items()], (1,))
            + "</details>")


def render(data: dict[str, Any]) -> str:
    deployments = "".join(_evidence(d) for d in data["deployments"]) or "<p>no records</p>"
    body = (_header(data) + _verification(data) + _inventory(data) + _timelines(data)
            + _metrics(data) + _production(data)
            + f"<section><h2>Deployments and their evidence</h2>{deployments}</section>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
            f"<title>Audit report: {e(data['repository'])}</title><style>{CSS}</style></head>"
            f"<body><main>{body}</main></body></html>\n")

