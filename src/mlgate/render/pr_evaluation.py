"""The report's independent-evaluation section (markdown) and its JSON: the paired
comparisons first, then each model's metrics on the holdout beside the committed ones,
a disagreement flagged."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from mlgate.pullrequest.independent_view import DISAGREE, EvaluationView, sentence
from mlgate.render.text import fmt_value


def evaluation_section(found: EvaluationView | None, code: Callable[[str], str],
                       prose: Callable[..., str]) -> list[str]:
    if found is None:
        return []
    rec = found.record
    hold = rec["holdout"]
    lines = ["#### Independent evaluation", ""]
    lines += [f"- {code(c.paired['metric'])} {prose(sentence(c).split(' ', 1)[1], limit=None)}"
              for c in found.comparisons]
    if not found.comparisons:
        lines.append("- No paired comparison: nothing is deployed to compare with, or no "
                     "`no_regression` gate asks for one.")
    scorer = ", ".join(f"{code(p)} ({b[:10]})" for p, b in rec["code"].items()) or "-"
    lines += ["", f"Holdout {code(hold['path'])} (md5 {hold['md5'][:8]}, {rec['rows']:,} rows) "
              f"scored by {code(rec['command'])} as {code(rec['ref'])} "
              f"({rec['commit'][:7]}) has them; scorer files: {scorer}. The candidate cannot "
              "change either; the scorer saw no label.", ""]
    headers = ["metric", "candidate (holdout)",
               *([f"{found.incumbent} (holdout)"] if found.incumbent else []),
               "committed by the candidate's pipeline", ""]
    body = []
    for m in found.metrics:
        flag = f":warning: differs by more than {DISAGREE:g}" if m.disagrees else ""
        body.append("| " + " | ".join([code(m.name), _n(m.candidate),
                                       *([_n(m.incumbent)] if found.incumbent else []),
                                       _n(m.committed), flag]) + " |")
    lines += ["| " + " | ".join(headers) + " |", "|---|" + "--:|" * (len(headers) - 2) + "---|",
              *body, ""]
    return lines


def _n(value: Any) -> str:
    return "-" if value is None else fmt_value(value)


def evaluation_dict(found: EvaluationView | None) -> dict[str, Any] | None:
    if found is None:
        return None
    return {"record": found.record,
            "comparisons": [{**asdict(c), "sentence": sentence(c)} for c in found.comparisons],
            "incumbent": found.incumbent,
            "metrics": [asdict(m) for m in found.metrics]}
