"""Checks of a model's `evaluation:` section beyond its schema, each a Problem at its line.

The scoring command is a template: every placeholder of SCORE_PLACEHOLDERS must appear and
no other may, so that a typo fails `validate` and not a promotion. The holdout must be a
DVC-tracked file (a `.dvc` file beside it, or the `.dvc` file itself) that no stage of
dvc.yaml reads: a model trained on its holdout would be judged on its own training data.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Sequence

from mlgate.config import schema
from mlgate.config.dvcfiles import DvcYaml
from mlgate.config.model import SCORE_PLACEHOLDERS, Evaluation, Model
from mlgate.config.yamlio import Document
from mlgate.errors import Problem

Reader = Callable[[str], bytes | None]

_EXAMPLE = "python stages/score.py --model {artifact} --data {features} --out {scores}"


def template_fields(command: str) -> list[str]:
    """The placeholders of ``command``, in order; ValueError when it is not a template
    (an unmatched brace, a conversion or a format spec)."""
    found: list[str] = []
    for _literal, field, spec, conversion in string.Formatter().parse(command):
        if field is None:
            continue
        if spec or conversion:
            raise ValueError(f"placeholder {{{field}}} has a conversion or format spec; "
                             "write it bare")
        found.append(field)
    return found


def fill(command: str, values: dict[str, str]) -> str:
    """The command with each placeholder replaced by its (already quoted) value."""
    return command.format(**values)


def evaluation_problems(model: Model, doc: Document) -> list[Problem]:
    """Checks that need the declaration only."""
    ev = model.evaluation
    if ev is None:
        return []
    problems: list[Problem] = []
    try:
        fields = template_fields(ev.score)
    except ValueError as exc:
        problems.append(_p(doc, ["evaluation", "score"], f"the scoring command is not a "
                           f"template: {exc}", f"write `{{{{` for a literal brace; e.g. "
                           f"{_EXAMPLE}"))
        fields = list(SCORE_PLACEHOLDERS)
    unknown = sorted({f for f in fields if f not in SCORE_PLACEHOLDERS})
    missing = [f for f in SCORE_PLACEHOLDERS if f not in fields]
    if unknown:
        problems.append(_p(doc, ["evaluation", "score"], "unknown placeholder "
                           + ", ".join(f"{{{f}}}" for f in unknown),
                           "placeholders: " + ", ".join(f"{{{f}}}" for f in SCORE_PLACEHOLDERS)))
    if missing:
        problems.append(_p(doc, ["evaluation", "score"], "the scoring command lacks "
                           + ", ".join(f"{{{f}}}" for f in missing),
                           f"mlgate passes the model, the features and where to write the "
                           f"scores through them; e.g. {_EXAMPLE}"))
    problems.extend(_column_problems(ev, doc))
    problems.extend(_gate_problems(model, doc))
    return problems


def _column_problems(ev: Evaluation, doc: Document) -> list[Problem]:
    problems: list[Problem] = []
    if ev.label == ev.id:
        problems.append(_p(doc, ["evaluation", "id"], f"the id column is the label column "
                           f"{ev.label!r}", "name the holdout's row id column"))
    for i, column in enumerate(ev.slices):
        if column in (ev.label, ev.id):
            problems.append(_p(doc, ["evaluation", "slices", i], f"slice column {column!r} is "
                               "the label or the id", "slice on a feature column"))
    if ev.classes and ev.task != "multiclass":
        problems.append(_p(doc, ["evaluation", "classes"], f"classes are for a multiclass "
                           f"task, this one is {ev.task}", "remove `classes`"))
    return problems


def _gate_problems(model: Model, doc: Document) -> list[Problem]:
    ev = model.evaluation
    assert ev is not None
    problems: list[Problem] = []
    for i, env in enumerate(model.environments):
        for section, gates in (("gates", env.gates), ("rollback.gates", env.rollback.gates)):
            for gate in gates:
                if getattr(gate, "method", None) != "delong":
                    continue
                steps: list[str | int] = ["promotion", "environments", i,
                                          *section.split("."), gate.index, "method"]
                if getattr(gate, "metric", None) != "roc_auc" or ev.task != "binary":
                    problems.append(_p(doc, steps, "DeLong's test compares roc_auc of a "
                                       f"binary task; this gate judges "
                                       f"{getattr(gate, 'metric', '?')} of a {ev.task} task",
                                       "use `method: bootstrap`"))
    return problems


def holdout_problems(model: Model, doc: Document, dvc: DvcYaml, read: Reader) -> list[Problem]:
    """Checks against the repository: the holdout is DVC-tracked and no stage reads it."""
    ev = model.evaluation
    if ev is None:
        return []
    problems: list[Problem] = []
    data = ev.holdout.removesuffix(".dvc")
    if read(data + ".dvc") is None:
        problems.append(_p(doc, ["evaluation", "holdout"], f"{ev.holdout!r} is not tracked by "
                           f"DVC: there is no {data + '.dvc'}",
                           f"track it with `dvc add {data}` (or `dvc import`) and commit "
                           "the .dvc file"))
    for stage in dvc.stages:
        for dep in stage.deps:
            if _overlaps(dep, data):
                problems.append(_p(doc, ["evaluation", "holdout"], f"stage {stage.name!r} reads "
                                   f"{dep!r}, which holds the holdout {data!r}",
                                   "a holdout no stage reads: keep it outside what the "
                                   "pipeline trains and evaluates on"))
    return problems


def _overlaps(a: str, b: str) -> bool:
    a, b = a.rstrip("/"), b.rstrip("/")
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def _p(doc: Document, steps: Sequence[str | int], message: str, hint: str | None) -> Problem:
    line, col = doc.locate(steps)
    return Problem(message, doc.path, line, col, schema.json_path(steps), hint)
