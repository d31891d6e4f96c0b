"""`mlgate evaluate` as text and JSON: what judged (ref, holdout, scorer and its blob ids),
each model's metrics side by side, and the paired comparisons, first."""

from __future__ import annotations

import json
from typing import Any

from mlgate.gates import paired_gate
from mlgate.gates.independent import Evaluated
from mlgate.render.text import fmt_value, table


def as_json(found: Evaluated) -> str:
    ind = found.independent
    data = {"model": ind.pinned.model.name, "against": found.against,
            "evaluation": ind.as_record(),
            "paired": [{"environment": env, **paired_gate.as_dict(p)}
                       for env, p in found.paired]}
    return json.dumps(data, indent=2, sort_keys=True, allow_nan=False, default=str) + "\n"


def as_text(found: Evaluated) -> str:
    ind = found.independent
    pinned = ind.pinned
    inc = ind.incumbents.get(found.against)
    who = f"{inc.who} in {found.against}" if inc else None
    lines = [f"{pinned.model.name}: independent evaluation ({ind.task}) read at {pinned.ref} "
             f"({pinned.commit[:12]})",
             f"holdout: {pinned.holdout_path} (md5 {pinned.holdout_md5[:8]}, {ind.rows:,} rows)",
             f"scorer: {pinned.evaluation.score}",
             *(f"  {path} (blob {blob[:12]})" for path, blob in sorted(pinned.code.items())),
             ""]
    if found.paired:
        for _env, p in found.paired:
            assert who is not None
            lines.append(f"{p.metric}: {paired_gate.sentence(p, who)}")
        lines.append("")
    elif inc is None:
        lines += [f"nothing serves {found.against}: no paired comparison", ""]
    names = [n for n in ind.candidate.metrics if n not in ("slices", "rows")]
    headers = ["metric", "candidate", *([who] if who else [])]
    rows = [[n, _num(ind.candidate.metrics.get(n)),
             *([_num(inc.metrics.get(n))] if inc else [])] for n in names]
    lines.append(table(headers, rows))
    return "\n".join(lines).rstrip("\n") + "\n"


def _num(value: Any) -> str:
    return fmt_value(value) if isinstance(value, float | int) else "-"
