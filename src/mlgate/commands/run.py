"""`mlgate run [MODEL]`: reproduce what produces a model with DVC, then show its metrics."""

from __future__ import annotations

from mlgate.config.declarations import (
    declaration_paths,
    find_root,
    load_model,
    read_dvc_yaml,
    workspace_reader,
)
from mlgate.config.metricsfile import flatten, parse_metrics
from mlgate.config.model import Model
from mlgate.errors import EXIT_OK, MlgateError
from mlgate.plumbing import dvc
from mlgate.render.text import table, to_json


def model_outputs(model: Model) -> list[str]:
    """The artifact, metrics, predictions and reference profile a model declares."""
    wanted = [model.artifact, *model.metrics.files]
    if model.predictions:
        wanted.append(model.predictions.path)
    reference = (model.monitoring or {}).get("reference")
    if reference:
        wanted.append(reference)
    return wanted


def producing_stages(model: Model, stages_of: dict[str, str]) -> list[str]:
    """Stages that write the model's declared outputs (DVC adds what is upstream)."""
    names: list[str] = []
    for path in model_outputs(model):
        stage = stages_of.get(path)
        if stage and stage not in names:
            names.append(stage)
    return names


def main(*, model: str | None, force: bool, fmt: str) -> int:
    root = find_root()
    read = workspace_reader(root)
    names = [model] if model else [p.stem for p in declaration_paths(root)]
    if not names:
        raise MlgateError("no model declarations in pipelines/",
                          hint="write pipelines/<model>.yaml, or run `mlgate init`")
    models = [load_model(root, name, read) for name in names]
    dvc_yaml = read_dvc_yaml(read)
    assert dvc_yaml is not None  # load_model has checked it
    stages_of = {}
    for m in models:
        for path in model_outputs(m):
            stage = dvc_yaml.producer(path)
            if stage:
                stages_of[path] = stage.name
    targets: list[str] = []
    for m in models:
        targets.extend(s for s in producing_stages(m, stages_of) if s not in targets)
    dvc.repro(targets, cwd=root, force=force)

    results = {}
    for m in models:
        metrics: dict[str, object] = {}
        for path in m.metrics.files:
            raw = read(path)
            if raw is None:
                raise MlgateError("the pipeline ran but did not write this metrics file",
                                  path=path, hint="check the stage's command in dvc.yaml")
            metrics.update(flatten(parse_metrics(raw, path)))
        results[m.name] = metrics
    if fmt == "json":
        print(to_json(results))
    else:
        for name, metrics in results.items():
            shown = {k: v for k, v in metrics.items() if not k.startswith("slices.")}
            print(f"\n{name}")
            print(table(["metric", "value"], sorted(shown.items())))
    return EXIT_OK
