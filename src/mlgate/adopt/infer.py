"""Infer a model declaration, `pipelines/<model>.yaml`, from a DVC pipeline.

The artifact comes from dvc.yaml's `artifacts:` section when it names one (DVC's own
model registry; its description, labels and name are copied, the name as
`dvc_artifact`), else from the stage outputs that look like a model; metrics are the
`metrics:` of the stages that make or evaluate it; predictions, when such an output is
found with a label and a score column. Everything a person must decide (owner, risk
tier, intended use, the date of the last validation, thresholds) is written as a
placeholder marked TODO, with gates that hold without one: reproducibility and no
regression.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from mlgate.config.artifacts import DvcArtifact, dvc_artifacts, split_address
from mlgate.config.declarations import Reader
from mlgate.config.dvcfiles import DvcYaml, Stage, folder_of
from mlgate.config.metricsfile import flatten, parse_metrics
from mlgate.config.model import default_direction
from mlgate.errors import MlgateError
from mlgate.plumbing import git

MODEL_SUFFIXES = (".joblib", ".pkl", ".pickle", ".pt", ".pth", ".onnx", ".h5", ".keras",
                  ".cbm", ".ubj", ".safetensors", ".model", ".bin", ".lgb", ".xgb")
TABLE_SUFFIXES = (".csv", ".parquet", ".pq")
LABEL_COLUMNS = ("label", "y_true", "target", "actual", "truth", "y")
SCORE_COLUMNS = ("score", "y_score", "proba", "probability", "prediction", "y_pred", "pred")
KEY_METRICS = 3
_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
# the schema's `dvc_artifact` pattern: an address that is not GTO's is not written
_ADDRESS = re.compile(r"^(?:[a-zA-Z0-9-_./]+:)?[a-zA-Z0-9](?:[a-zA-Z0-9-/_]*[a-zA-Z0-9])?$")
ARTIFACTS_HINT = ("name it in dvc.yaml's `artifacts:` section (`dvc stage add` outputs, then "
                  "`artifacts: {NAME: {path: ..., type: model}}`), or choose with --model")


@dataclass(frozen=True)
class Inferred:
    name: str
    artifact: str
    stage: str
    text: str  # the declaration, YAML with comments


def infer(dvc: DvcYaml, read: Reader, root: Path, model: str | None) -> Inferred:
    name, artifact, entry = _choose_artifact(dvc, model)
    producer = dvc.producer(artifact)
    if producer is None:
        raise MlgateError(f"{artifact!r} is not an output of any stage", path=dvc.path,
                          hint="the model artifact must be written by a stage (`outs:`)")
    stages = [producer, *_downstream(dvc, producer)]
    metrics_files = _metrics_files(dvc, stages)
    values = _metric_values(metrics_files, read)
    predictions = _predictions(stages, root)
    params = sorted({p for s in dvc.upstream(producer.name) for p in s.params})
    text = _render(name=name, entry=entry, artifact=artifact, stage=producer.name,
                   metrics_files=metrics_files, values=values, predictions=predictions,
                   params=params, owner=_owner(root), validated=_last_change(root),
                   pipeline=dvc.path)
    return Inferred(name, artifact, producer.name, text)


def model_choices(dvc: DvcYaml, model: str | None) -> list[str | None]:
    """What `init` infers a declaration for: ``model`` alone when given or when dvc.yaml's
    `artifacts:` names at most one model, else each `type: model` artifact in turn."""
    models = [a.address for a in _artifacts(dvc) if a.is_model]
    return [model] if model is not None or len(models) < 2 else list(models)


def _choose_artifact(dvc: DvcYaml, model: str | None
                     ) -> tuple[str, str, DvcArtifact | None]:
    """(name, artifact path, its `artifacts:` entry) from `artifacts:`, else from the
    stage outputs."""
    declared = {a.address: a for a in _artifacts(dvc)}
    models = {k: v for k, v in declared.items() if v.is_model} or declared
    if model is not None and model not in declared:  # a bare name in a subdirectory's
        model = next((k for k in declared if split_address(k)[1] == model), model)
    if model is not None and model in declared:
        return _name(split_address(model)[1]), declared[model].path, declared[model]
    if model is None and len(models) == 1:
        ((key, chosen),) = models.items()
        return _name(split_address(key)[1]), chosen.path, chosen
    if model is None and len(models) > 1:
        raise MlgateError("dvc.yaml declares several artifacts: choose one with --model",
                          path=dvc.path, hint=f"artifacts: {', '.join(sorted(models))}")
    outs = [o for s in dvc.stages for o in s.outs if o not in s.metrics and o not in s.plots]
    folder = folder_of(dvc.path)  # a monorepo's models/a/: what is below it counts
    looks = [o for o in outs if o.endswith(MODEL_SUFFIXES)
             or _in_model_dir(o.removeprefix(f"{folder}/") if folder else o)]
    if model is not None:
        named = [o for o in looks if Path(o).stem == model] or looks
        looks = named
    if len(looks) != 1:
        found = f"found {', '.join(looks)}" if looks else "no output looks like a model"
        raise MlgateError(f"cannot tell which output of dvc.yaml is the model: {found}",
                          path=dvc.path, hint=ARTIFACTS_HINT)
    return _name(model or Path(looks[0]).stem), looks[0], None


def _artifacts(dvc: DvcYaml) -> list[DvcArtifact]:
    """dvc.yaml's `artifacts:`, paths made relative to the repository root and named as
    GTO addresses them (`models/a:name` in a monorepo's models/a/dvc.yaml)."""
    return dvc_artifacts(dvc.artifacts, folder_of(dvc.path))


def _in_model_dir(path: str) -> bool:
    return any(part in ("model", "models") for part in Path(path).parts[:-1])


def _name(text: str) -> str:
    name = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")[:63].strip("-")
    if not _NAME.match(name):
        raise MlgateError(f"cannot make a model name from {text!r}",
                          hint="name the model with --model, e.g. --model churn")
    return name


def _downstream(dvc: DvcYaml, producer: Stage) -> list[Stage]:
    return [s for s in dvc.stages if s.name != producer.name
            and any(u.name == producer.name for u in dvc.upstream(s.name))]


def _metrics_files(dvc: DvcYaml, stages: list[Stage]) -> list[str]:
    files = [m for s in stages for m in s.metrics]
    # top-level `metrics:` (DVC 3, DVCLive), those the model's stages write first
    ours = [m for m in dvc.metrics if (p := dvc.producer(m)) is not None and p in stages]
    files = files or ours or list(dvc.metrics) or [m for s in dvc.stages for m in s.metrics]
    if not files:
        raise MlgateError("dvc.yaml declares no metrics file", path=dvc.path,
                          hint="gates judge metrics: declare the evaluation's output under "
                               "`metrics:`, at the top of dvc.yaml or of its stage (JSON, "
                               "YAML or TOML)")
    return list(dict.fromkeys(files))


def _metric_values(files: list[str], read: Reader) -> dict[str, float]:
    """Numeric metrics (top-level first) of the files the pipeline has written so far."""
    values: dict[str, float] = {}
    for path in files:
        raw = read(path)
        if raw is None:
            continue
        for key, value in flatten(parse_metrics(raw, path)).items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                values.setdefault(key, float(value))
    return dict(sorted(values.items(), key=lambda kv: "." in kv[0]))


def _predictions(stages: list[Stage], root: Path) -> tuple[str, str, str] | None:
    """(path, label column, score column) of an evaluation's per-row predictions."""
    from mlgate.monitor.batch import column_names

    for stage in stages:
        for out in stage.outs:
            if not (out.endswith(TABLE_SUFFIXES) and "pred" in Path(out).name.lower()):
                continue
            try:
                columns = column_names(root / out)
            except (OSError, StopIteration, MlgateError, ValueError):
                continue
            label = next((c for c in LABEL_COLUMNS if c in columns), None)
            score = next((c for c in SCORE_COLUMNS if c in columns), None)
            if label and score:
                return out, label, score
    return None


def _owner(root: Path) -> tuple[str, str]:
    name = git.git(["config", "user.name"], cwd=root, check=False).strip()
    email = git.git(["config", "user.email"], cwd=root, check=False).strip()
    return name or "TODO: person or team", email if "@" in email else "todo@example.com"


def _last_change(root: Path) -> str:
    """A fixed placeholder date (so that init is idempotent): when dvc.yaml last changed."""
    found = git.git(["log", "-1", "--format=%cs", "--", "dvc.yaml"], cwd=root,
                    check=False).strip()
    return found or "1970-01-01"


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML scalar


def _render(*, name: str, entry: DvcArtifact | None, artifact: str, stage: str,
            metrics_files: list[str], values: dict[str, float],
            predictions: tuple[str, str, str] | None, params: list[str],
            owner: tuple[str, str], validated: str, pipeline: str = "dvc.yaml") -> str:
    desc = entry.desc if entry else None
    top = [m for m in values if "." not in m][:20] or list(values)[:20]
    key = top[:KEY_METRICS]
    lines = [
        f"# {name}: inferred by `mlgate init` from dvc.yaml. Review every TODO, then add",
        "# thresholds to the gates (README.md, \"YAML reference\"); `mlgate validate` checks it.",
        f"name: {name}",
        f"description: {_q(desc or f'TODO: what {name} predicts (the output of stage {stage})')}",
        "owner:",
        f"  name: {_q(owner[0])}  # TODO: who answers for the model",
        f"  email: {_q(owner[1])}",
        "risk_tier: medium  # TODO: low, medium or high, as the model inventory records it",
        f"intended_use: {_q('TODO: what the model may be used for, and what not')}",
        "review:",
        f"  last_validated: {_q(validated)}  # TODO: date of the last independent validation",
        "  interval_days: 365",
    ]
    if pipeline != "dvc.yaml":
        lines.append(f"pipeline: {_q(pipeline)}  # its stages; paths here are from the root")
    lines += [
        f"artifact: {_q(artifact)}  # an output of stage {stage!r}",
    ]
    if entry is not None and _ADDRESS.match(entry.address):
        lines.append(f"dvc_artifact: {_q(entry.address)}  # its name in dvc.yaml's `artifacts:`")
    if entry is not None and entry.labels:
        lines.append(f"labels: [{', '.join(_q(label) for label in entry.labels)}]")
    if params:
        shown = ", ".join(params[:8]) + (", ..." if len(params) > 8 else "")
        lines.append(f"# Parameters that make it (recorded with every deployment): {shown}")
    lines += ["metrics:", f"  files: [{', '.join(_q(f) for f in metrics_files)}]"]
    if values:
        lines.append("  directions:")
        lines += [f"    {_q(m)}: {default_direction(m)}" for m in top]
        lines.append(f"  key: [{', '.join(_q(m) for m in key)}]")
    if predictions:
        path, label, score = predictions
        lines += ["predictions:", f"  path: {_q(path)}", f"  label: {_q(label)}",
                  f"  score: {_q(score)}"]
    gates = ["        - kind: reproducible"]
    if key:
        gates += ["        - kind: no_regression", f"          metric: {_q(key[0])}",
                  "          tolerance: 0"]
    else:
        gates.append("        # TODO: gates on the metrics, once the pipeline has written them")
    lines += [
        "promotion:",
        "  environments:",
        "    - name: staging",
        "      gates:", *gates,
        "    - name: production",
        "      requires:",
        "        environment: staging",
        "      approval:",
        "        min_approvers: 1",
        "      gates:", *gates,
        "      rollback:",
        "        gates:",
        "          - kind: reproducible",
        "# deploy:  # run by the deploy workflow once the artifact is verified",
        "#   command: ./deploy.sh \"$MLGATE_ARTIFACT\" \"$MLGATE_ENV\" \"$MLGATE_VERSION\"",
        "# retrain:  # run by the retrain workflow before `dvc repro`, to refresh the data",
        "#   command: ./fetch-training-data.sh",
    ]
    return "\n".join(lines) + "\n"
