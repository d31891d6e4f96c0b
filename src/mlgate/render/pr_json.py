"""A pull request's report as plain JSON data: everything, never cut; each environment's
gates, and the verdict of the one that decides (`decided_by`)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from mlgate.pullrequest.compare import ABSENT, Delta, MetricRow
from mlgate.render.pr import missing_note, verdict_text, warnings
from mlgate.render.pr_evaluation import evaluation_dict
from mlgate.render.text import to_json

if TYPE_CHECKING:
    from mlgate.pullrequest.collect import EnvironmentGates, Report
    from mlgate.pullrequest.datadeps import DepChange
    from mlgate.pullrequest.tables import Shape


def as_json(report: Report) -> str:
    return to_json(as_dict(report))


def as_dict(report: Report) -> dict[str, Any]:
    policy, inc = report.policy, report.incumbent
    return {
        "model": report.model,
        "environment": report.environment,
        "passed": report.passed,
        "decided_by": report.deciding.environment,
        "verdict": verdict_text(report),
        "base": {"ref": report.base.label, "commit": report.base.commit},
        "head": {"label": report.head.label, "commit": report.head.commit,
                 "uncommitted_changes": report.head_dirty},
        "new_model": report.new_model,
        "policy": {"path": policy.path, "ref": policy.ref, "commit": policy.commit,
                   "blob": policy.blob, "floor": policy.floor},
        "incumbent": None if inc is None else {
            "environment": inc.environment, "version": inc.version, "commit": inc.commit,
            "tag": inc.tag, "since": inc.since.isoformat(), "metrics_from": inc.metrics_from},
        "warnings": warnings(report),
        "notes": list(report.notes),
        "sensitive_paths": list(report.sensitive),
        "rewired_stages": [{"stage": r.stage, "paths": list(r.paths),
                            "changes": [c.render(_backticked) for c in r.changes]}
                           for r in report.rewired],
        "params": [{"name": c.name, "change": c.kind, "base": _plain(c.base),
                    "head": _plain(c.head)} for c in report.params],
        "data": [_dep(d, report.base.label) for d in report.deps if not d.code],
        "code": [_dep(d, report.base.label) for d in report.deps if d.code],
        "metrics_source": "independent" if report.evaluation else "candidate_pipeline",
        "evaluation": evaluation_dict(report.evaluation),
        "imports": [{"dependency": i.path, **i.as_record()} for i in report.imports],
        "metrics_error": report.metrics_error,
        "metrics": [_metric(r) for r in report.metrics],
        "moved_metrics": [_metric(r) for r in report.moved],
        "environments": [_environment(g) for g in report.gates],
    }


def _environment(gates: EnvironmentGates) -> dict[str, Any]:
    later = {id(r) for r in gates.at_promotion}
    return {"name": gates.environment, "decides": gates.decides, "passed": gates.passed,
            "gates": [{**r.to_dict(), "at_promotion": id(r) in later}
                      for r in gates.decision.results]}


def _plain(value: Any) -> Any:
    return None if value is ABSENT else value


def _dep(d: DepChange, base: str) -> dict[str, Any]:
    return {"path": d.path, "change": d.kind, "produced_by": d.produced_by,
            "base": {"md5": d.base_md5, "size": d.base_size, **_shape_or_empty(d.base_shape)},
            "head": {"md5": d.head_md5, "size": d.head_size, **_shape_or_empty(d.head_shape)},
            "files": [{"path": f.path, "change": f.kind,
                       "base": {"size": f.base_size, **_shape_or_empty(f.base_shape)},
                       "head": {"size": f.head_size, **_shape_or_empty(f.head_shape)},
                       "missing": list(f.missing), "note": missing_note(f.missing, base)}
                      for f in d.files],
            "more_files": d.more_files, "missing": list(d.missing),
            "note": missing_note(d.missing, base)}


def _shape_or_empty(shape: Shape | None) -> dict[str, Any]:
    return {} if shape is None else {"rows": shape.rows, "columns": list(shape.columns)}


def _metric(r: MetricRow) -> dict[str, Any]:
    def d(x: Delta | None) -> dict[str, Any] | None:
        return None if x is None else {"value": float(x.value), "movement": x.movement}

    def v(x: Any) -> Any:  # JSON has no NaN: a non-finite number is shown as text
        return str(x) if isinstance(x, float) and not math.isfinite(x) else x

    return {"name": r.name, "head": v(r.head), "base": v(r.base), "incumbent": v(r.incumbent),
            "direction": r.direction, "vs_base": d(r.vs_base), "vs_incumbent": d(r.vs_incumbent),
            "support": r.support, "support_base": r.support_base}


def _backticked(value: str) -> str:
    return f"`{value}`"
