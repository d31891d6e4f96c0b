"""Checks of a model's `monitoring.performance` against its task, each a Problem at its line.

The production gap is computed for the model's task (`evaluation.task`, binary without
`evaluation:`), so its metric must be one of that task's, and a multiclass model's
production scores are the columns named by `evaluation.classes`, which must be declared:
`validate` says so, rather than the first `mlgate monitor` run with labels. Likewise a
`confidence` or `slices` gate's metric must be one of the task's.
"""

from __future__ import annotations

from mlgate.config import schema
from mlgate.config.model import TASK_METRICS, ConfidenceGate, Model, SlicesGate
from mlgate.config.yamlio import Document
from mlgate.errors import Problem


def monitoring_problems(model: Model, doc: Document) -> list[Problem]:
    performance = (model.monitoring or {}).get("performance")
    if not isinstance(performance, dict):
        return []
    ev = model.evaluation
    task = ev.task if ev is not None else "binary"
    problems = []
    metric = performance.get("metric")
    if metric not in TASK_METRICS[task]:
        problems.append(_p(doc, ["monitoring", "performance", "metric"],
                           f"{metric!r} is no {task} metric",
                           f"{task} metrics: {', '.join(TASK_METRICS[task])}" + (
                               "" if ev is not None else
                               " (a model without `evaluation:` is binary; declare "
                               "evaluation.task for another task)")))
    if ev is not None and ev.task == "multiclass" and not ev.classes:
        problems.append(_p(doc, ["evaluation", "task"], "monitoring.performance of a "
                           "multiclass model needs evaluation.classes: production logs one "
                           "score column per class, named as the class",
                           "declare evaluation.classes, in the order of the scorer's columns"))
    return problems


def _p(doc: Document, steps: list[str | int], message: str, hint: str) -> Problem:
    line, col = doc.locate(steps)
    return Problem(message, doc.path, line, col, schema.json_path(steps), hint)


def prediction_gate_problems(model: Model, doc: Document) -> list[Problem]:
    """A `confidence` or `slices` gate judges a metric of the model's task: the
    independent evaluation's (`evaluation.task`), else the predictions file's, binary."""
    ev = model.evaluation
    task = ev.task if ev is not None else "binary"
    problems = []
    for i, env in enumerate(model.environments):
        for section, gates in (("gates", env.gates), ("rollback.gates", env.rollback.gates)):
            for gate in gates:
                if not isinstance(gate, ConfidenceGate | SlicesGate):
                    continue
                if gate.metric in TASK_METRICS[task]:
                    continue
                steps: list[str | int] = ["promotion", "environments", i,
                                          *section.split("."), gate.index, "metric"]
                kind = "confidence" if isinstance(gate, ConfidenceGate) else "slices"
                problems.append(_p(doc, steps, f"{gate.metric!r} is no {task} metric; this "
                                   f"{kind} gate judges the model's task",
                                   f"{task} metrics: {', '.join(TASK_METRICS[task])}" + (
                                       "" if ev is not None else
                                       " (without `evaluation:` the gate reads the binary "
                                       "predictions file; declare evaluation.task for "
                                       "another task)")))
    return problems
