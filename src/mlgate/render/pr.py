"""A pull request's report as a GitHub comment (markdown; JSON is in `pr_json`).

The comment leads with the verdict, then what a reviewer must not miss (changes to what
decides promotions), the key metrics and the gates; the rest sits in collapsible
sections. It stays within GitHub's comment limit: long tables are cut, saying so.

Every name and value that came from the change or its data (paths, stage, param, metric
and column names, values, the reasons that quote them) goes through
:func:`mlgate.render.text.neutral`: no mention, link, image or HTML of theirs is live.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from mlgate.pullrequest.compare import ABSENT, MetricRow
from mlgate.pullrequest.independent_view import OWN_PIPELINE
from mlgate.render import pr_cells as table
from mlgate.render.pr_evaluation import evaluation_section

if TYPE_CHECKING:
    from mlgate.gates.policy import GateResult
    from mlgate.pullrequest.collect import EnvironmentGates, Report
    from mlgate.pullrequest.datadeps import DepChange, FileChange

LIMIT = 65_536  # GitHub's limit on a comment's body, in characters
OPEN_ROWS = 10  # sections this short are shown expanded
CAPS = (None, 200, 100, 50, 20, 10, 5, 2, 0)  # rows per table, tried in turn until it fits
HEAD = "this change"
JSON_HINT = "`mlgate report --format json` has everything"
MOVED_ORDER = ("Largest move first: the change itself for a metric between 0 and 1, else the "
               "change relative to the larger value; counts last.")


def verdict_text(report: Report) -> str:
    """The verdict in a few words, each environment's (the deciding one first): which
    gates would fail, and why."""
    return " · ".join(_verdict(g, g.environment, str) for g in report.gates)


def _verdict(gates: EnvironmentGates, env: str, reason: Callable[[str], str]) -> str:
    if gates.passed:
        return f"would pass {env}"
    reasons = list(dict.fromkeys(reason(_first_clause(r.why or r.gate)) for r in gates.failed))
    shown = "; ".join(reasons[:3]) + (f"; and {len(reasons) - 3} more" if len(reasons) > 3
                                      else "")
    return f"would fail {env}: {shown}"


def _first_clause(text: str, limit: int = 120) -> str:
    clause = text.split("; ")[0]
    return clause if len(clause) <= limit else clause[:limit - 1] + "…"


def warnings(report: Report, code: Callable[[str], str] = lambda s: f"`{s}`") -> list[str]:
    """What a reviewer must not miss, in markdown; ``code`` shows a name or a path."""
    out = []
    base = code(report.base.label)
    if report.rewired:
        stages = "; ".join(r.sentence(code) for r in report.rewired)
        out.append("**This change alters the stages that write what the gates judge:** "
                   f"{stages}. The gates judge the numbers these stages compute as this "
                   "change defines them: review them before merging.")
    if report.sensitive:
        kinds = ", ".join(f"{code(p)} ({_what(p)})" for p in report.sensitive)
        applied = ("The gates below apply the policy at " + base + ", not this change's"
                   if not report.new_model else "This model is new")
        out.append(f"**This change touches what decides promotions:** {kinds}. {applied}; "
                   "have the code owners review these files before merging.")
    if report.new_model:
        out.append(f"**{code(report.model)} is new:** there is no "
                   f"{code('pipelines/' + report.model + '.yaml')} at {base} (a new or renamed "
                   f"model), so it is judged by the floor for risk tier "
                   f"{code(str(report.policy.model.risk_tier))} in {code(report.policy.path)} "
                   f"at {base}, not by its own policy, which nobody has reviewed yet.")
    return out


def _what(path: str) -> str:
    if path.startswith(".github/workflows/"):
        return "a workflow"
    return "code owners" if path.endswith("CODEOWNERS") else "a model's policy"


# --- markdown ---


def as_markdown(report: Report, limit: int = LIMIT) -> str:
    """The comment; within ``limit`` characters, long tables cut with a notice."""
    text = ""
    for cap in CAPS:
        text = _markdown(report, cap)
        if len(text) <= limit:
            return text
    return _hard_cut(text, limit)


def _hard_cut(text: str, limit: int) -> str:
    """The last resort (say, a huge number of warnings): cut at a line, close what is open."""
    notice = (f"\n\n> [!NOTE]\n> Cut here to fit GitHub's {LIMIT:,}-character comment limit; "
              f"{JSON_HINT}.\n")
    room = max(limit - len(notice) - 200, 0)
    cut = text[:room]
    cut = cut[:cut.rfind("\n")] if "\n" in cut else cut
    opened = cut.count("<details") - cut.count("</details>")
    return cut + "\n" + "\n</details>\n" * max(opened, 0) + notice


class _Budget:
    """Rows each table may show; counts what it leaves out."""

    def __init__(self, cap: int | None) -> None:
        self.cap = cap
        self.left_out = 0

    def take(self, rows: Sequence[str], more: str = "| … {n} more rows: " + JSON_HINT + " |"
             ) -> list[str]:
        if self.cap is None or len(rows) <= self.cap:
            return list(rows)
        self.left_out += len(rows) - self.cap
        return [*rows[:self.cap], more.format(n=len(rows) - self.cap)]


def _markdown(report: Report, cap: int | None) -> str:
    budget = _Budget(cap)
    icon = ":white_check_mark:" if report.passed else ":x:"
    verdict = " · ".join(_verdict(g, f"`{g.environment}`", table.prose) for g in report.gates)
    lines = [f"### {icon} `{report.model}` {verdict}", ""]
    lines += _context(report)
    for warning in warnings(report, table.code):
        lines += ["> [!CAUTION]", f"> {warning}", ""]
    if report.notes:
        lines += ["> [!IMPORTANT]", *(f"> - {table.prose(n, limit=None)}" for n in report.notes),
                  ""]
    lines += evaluation_section(report.evaluation, table.code, table.prose)
    lines += _metrics_section(report, budget)
    lines += _gates_section(report, budget)
    lines += _params_section(report, budget)
    lines += _data_section(report, budget)
    lines += _imports_section(report)
    lines += _code_section(report, budget)
    lines += _moved_section(report, budget)
    lines += [_footer(report)]
    if budget.left_out:
        notice = ["> [!NOTE]", f"> Shortened to fit GitHub's {LIMIT:,}-character comment "
                  f"limit: {budget.left_out:,} table rows are not shown; {JSON_HINT}.", ""]
        lines[2:2] = notice
    return "\n".join(lines) + "\n"


def _context(report: Report) -> list[str]:
    base = f"`{report.base.label}` ({_short(report.base.commit)})"
    head = f"{HEAD} ({_short(report.head.commit)}"
    head += ", with uncommitted changes)" if report.head_dirty else ")"
    inc = report.incumbent
    if inc is None:
        against = f"nothing is deployed in `{report.environment}` yet"
    else:
        against = (f"with {_version(report)}, now in `{report.environment}` (tag "
                   f"`{inc.tag}`, {_short(inc.commit)})")
    return [f"Compares {head} with {base}; {against}.", ""]


def _version(report: Report) -> str:
    inc = report.incumbent
    if inc is None:
        return "-"
    return f"v{inc.version}" if inc.version else _short(inc.commit)


def _short(commit: str | None) -> str:
    return f"`{commit[:7]}`" if commit else "no commit"


def _details(summary: str, body: list[str], *, rows: int) -> list[str]:
    opening = "<details open>" if rows <= OPEN_ROWS else "<details>"
    return [opening, f"<summary>{summary}</summary>", "", *body, "", "</details>", ""]


def _metric_table(report: Report, rows: Iterable[MetricRow], budget: _Budget,
                  *, sizes: bool = False) -> list[str]:
    """Metrics, this change against the base and the incumbent. With ``sizes``, a slice's
    size is a column of its own (base → this change when it differs); else it follows the
    name."""
    base = f"`{report.base.label}`"
    headers = ["metric", *(["slice size"] if sizes else []), HEAD, base, f"Δ vs {base}"]
    if report.incumbent is not None:
        version = _version(report)
        headers += [f"{version} in `{report.environment}`", f"Δ vs {version}"]
    body = []
    for row in rows:
        name = table.code(row.name)
        if not sizes and row.support is not None:
            name += f" (n={row.support:,})"
        cells = [name, *([_support(row)] if sizes else []), table.number(row.head),
                 table.number(row.base), table.delta(row.vs_base, row.head, row.base)]
        if report.incumbent is not None:
            cells += [table.number(row.incumbent),
                      table.delta(row.vs_incumbent, row.head, row.incumbent)]
        body.append(table.row(cells))
    return [table.row(headers), "|---|" + "--:|" * (len(headers) - 1), *budget.take(body)]


def _support(row: MetricRow) -> str:
    old, new = row.support_base, row.support_head
    if old is None and new is None:
        return ""
    if old == new or old is None or new is None:
        return f"{row.support:,}"
    return f"{old:,} → {new:,} ({new - old:+,})"


def _metrics_section(report: Report, budget: _Budget) -> list[str]:
    lines = ["#### Metrics", ""]
    if report.evaluation is None:
        lines += [OWN_PIPELINE, ""]
    else:
        lines += ["As the pipelines committed them (the gates judged the independent "
                  "evaluation's numbers above):", ""]
    if report.metrics_error:
        lines += [f"**No metrics in the working tree:** {table.prose(report.metrics_error)}; "
                  "then commit the metrics file and dvc.lock.", ""]
    if report.metrics:
        lines += _metric_table(report, report.metrics, budget)
        lines += ["", f"{table.MARKERS['better']} better, {table.MARKERS['worse']} worse, by each "
                  "metric's direction (declared in the model, or the default).", ""]
    elif not report.metrics_error:
        lines += ["The model names no key metrics (`metrics.key`) and its metrics files hold "
                  "none at the top level.", ""]
    return lines


def _gates_section(report: Report, budget: _Budget) -> list[str]:
    """Each environment's gates, the one that decides the check first."""
    return [line for gates in report.gates for line in _environment_gates(report, gates,
                                                                          budget)]


def _environment_gates(report: Report, gates: EnvironmentGates, budget: _Budget) -> list[str]:
    judged, later = gates.judged, gates.at_promotion
    passed = sum(r.passed for r in judged)
    policy = report.policy
    where = f"<code>{policy.path}</code> at <code>{table.html(policy.ref)}</code>"
    decides = (" (decides this check: a merge promotes into it)"
               if gates.decides and len(report.gates) > 1 else "")
    summary = (f"<b>Gates for <code>{table.html(gates.environment)}</code></b>{decides}: {passed} "
               f"of {len(judged)} pass (policy {where})")
    if not judged and not later:
        return [f"**Gates for `{gates.environment}`:**{decides.rstrip()} none declared.", ""]
    body = [table.row(["", "gate", "observed", "expected", "why"]), "|---|---|---|---|---|"]
    rows = [_gate_row(r, ":white_check_mark:" if r.passed else ":x:", table.prose(r.why))
            for r in judged]
    rows += [_gate_row(r, ":hourglass:", "checked at promotion: " + table.prose(r.why))
             for r in later]
    body += budget.take(rows)
    return _details(summary, body, rows=len(rows))


def _gate_row(r: GateResult, mark: str, why: str) -> str:
    return table.row([mark, table.prose(r.gate), table.number(r.observed),
                      table.prose(r.expected), why])


def _params_section(report: Report, budget: _Budget) -> list[str]:
    if not report.params:
        return [f"**Params:** none of the model's params changed against "
                f"`{report.base.label}`.", ""]
    base = f"`{report.base.label}`"
    rows = [table.row([table.code(c.name), _param(c.base), _param(c.head)]) for c in report.params]
    body = [table.row(["param", base, HEAD]), "|---|---|---|", *budget.take(rows)]
    count = len(report.params)
    return _details(f"<b>Params</b>: {count} changed", body, rows=count)


def _param(value: Any) -> str:
    if value is ABSENT:
        return "(absent)"
    return table.code(value if isinstance(value, str) else json.dumps(value, default=str))


def _data_section(report: Report, budget: _Budget) -> list[str]:
    deps = [d for d in report.deps if not d.code]
    if not deps:
        return [f"**Data:** no data dependency changed against `{report.base.label}`.", ""]
    base = f"`{report.base.label}`"
    rows = []
    for dep in deps:
        where = table.code(dep.path) + (f" (from {table.code(dep.produced_by)})" if dep.produced_by
                                   else "")
        shown = _dir_files(dep) or table.columns(dep.base_shape, dep.head_shape)
        rows.append(table.row([where, dep.kind, table.sizes(dep.base_size, dep.head_size),
                          table.rows(dep.base_shape, dep.head_shape),
                          _with_note(shown, dep.missing, report.base.label)]))
        rows += [_file_row(f, report.base.label) for f in dep.files]
        if dep.more_files:
            rows.append(table.row([f"↳ and {dep.more_files} more files", "", "", "", ""]))
    body = [table.row(["dependency", "change", f"size {base} → {HEAD}", "rows", "columns"]),
            "|---|---|--:|--:|---|", *budget.take(rows)]
    count = len(deps)
    return _details(f"<b>Data</b>: {_dependencies(count)} changed", body, rows=len(rows))


def _imports_section(report: Report) -> list[str]:
    """Where imported data comes from, one line per import (few: each is a `.dvc` file)."""
    lines = []
    for found in report.imports:
        if found.repo is None:
            origin = f"imported from URL {table.code(found.source_path)}"
        else:
            rev = f" at {table.code(found.rev)}" if found.rev else ""
            lock = f" (commit {table.code(found.rev_lock)})" if found.rev_lock else ""
            origin = (f"imported from {table.code(found.source_path)} of repository "
                      f"{table.code(found.repo)}{rev}{lock}")
        lines.append(f"- {table.code(found.path)}: {origin}, recorded in "
                     f"{table.code(found.dvc_file)}")
    return ["**Imported data:**", *lines, ""] if lines else []


def missing_note(missing: Sequence[str], base: str) -> str | None:
    """What to run when one side's data is not here to be read."""
    fetch = "`dvc fetch --all-commits` brings it from the DVC remote"
    if list(missing) == ["base"]:
        return f"`{base}`'s copy is not in the local DVC cache: {fetch}"
    if list(missing) == ["head"]:
        return ("this change's copy is in neither the working tree nor the local DVC cache: "
                "`dvc pull`")
    if missing:
        return (f"neither copy is in the local DVC cache: `dvc pull` brings this change's, "
                f"`dvc fetch --all-commits` `{base}`'s")
    return None


def _with_note(text: str, missing: Sequence[str], base: str) -> str:
    note = missing_note(missing, base)
    if note is None:
        return text or "—"
    return note if text in ("", "—") else f"{text}; {note}"


def _dir_files(dep: DepChange) -> str:
    count = len(dep.files) + dep.more_files
    return table.plural(count, "file") + " changed inside" if count else ""




def _file_row(f: FileChange, base: str) -> str:
    return table.row([f"↳ {table.code(f.path)}", f.kind, table.sizes(f.base_size, f.head_size),
                 table.rows(f.base_shape, f.head_shape),
                 _with_note(table.columns(f.base_shape, f.head_shape), f.missing, base)])


def _code_section(report: Report, budget: _Budget) -> list[str]:
    code = [d for d in report.deps if d.code]
    if not code:
        return []
    rows = [f"- {table.code(d.path)} ({d.kind})" for d in code]
    shown = budget.take(rows, "- … {n} more: " + JSON_HINT)
    return _details(f"<b>Code</b>: {_dependencies(len(code))} changed", shown, rows=len(rows))


def _dependencies(count: int) -> str:
    return f"{count} dependenc{'y' if count == 1 else 'ies'}"


def _moved_section(report: Report, budget: _Budget) -> list[str]:
    if not report.moved:
        return []
    sizes = any(r.support is not None for r in report.moved)
    body = _metric_table(report, report.moved, budget, sizes=sizes)
    body += ["", MOVED_ORDER]
    return _details(f"<b>Slice and other metrics that moved</b>: {len(report.moved)}, "
                    "largest first", body, rows=OPEN_ROWS + 1)


def _footer(report: Report) -> str:
    policy = report.policy
    blob = (policy.blob or "-")[:10]
    return (f"<sub>mlgate report · `{report.model}` · base `{report.base.label}` "
            f"{_short(report.base.commit)} · policy `{policy.path}` at `{policy.ref}` "
            f"(blob `{blob}`)</sub>")
