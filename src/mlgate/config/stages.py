"""Which of `dvc.yaml`'s stages and outputs belong to a model: computed here, once.

A model declares its outputs (artifact, metrics files, predictions, reference profile);
the stages that make it are those outputs' producers with everything upstream of them.
`run` reproduces them, the gates check their status and bytes, the PR report diffs their
params and data, `reproduce` re-runs them, and the workflow matrix asks whether a change
touched them: all through these functions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlgate.config.dvcfiles import DvcYaml
from mlgate.config.model import Model
from mlgate.errors import MlgateError

# Dependencies with these endings are code, not data (freshness, data diffs, records)
CODE_SUFFIXES = (".py", ".r", ".R", ".sh", ".ipynb", ".jl", ".sql", ".yaml", ".yml", ".toml")


def gated_outputs(model: Model) -> list[str]:
    """The outputs the gates judge and a record names: artifact, metrics, predictions."""
    outs = [model.artifact, *model.metrics.files]
    if model.predictions:
        outs.append(model.predictions.path)
    return outs


def declared_outputs(model: Model) -> list[str]:
    """Every output the model declares: the gated ones and the reference profile that
    monitoring reads."""
    outs = gated_outputs(model)
    reference = (model.monitoring or {}).get("reference")
    if reference:
        outs.append(reference)
    return outs


def producers(model: Model, dvc_yaml: DvcYaml, outputs: list[str] | None = None
              ) -> list[str]:
    """The stages that write ``outputs`` (default: every declared output), in order; DVC
    brings in what is upstream of them when it reproduces them."""
    names: list[str] = []
    for path in declared_outputs(model) if outputs is None else outputs:
        stage = dvc_yaml.producer(path)
        if stage and stage.name not in names:
            names.append(stage.name)
    return names


def model_stages(model: Model, dvc_yaml: DvcYaml | None) -> list[str]:
    """The stages that make the model's gated outputs, with everything upstream of them."""
    if dvc_yaml is None:
        return []
    stages: list[str] = []
    for name in producers(model, dvc_yaml, gated_outputs(model)):
        for stage in dvc_yaml.upstream(name):
            if stage.name not in stages:
                stages.append(stage.name)
    return stages


def data_dependencies(model: Model, dvc_yaml: DvcYaml | None) -> list[str]:
    """External inputs of the stages that make the model: deps no stage produces, not code."""
    if dvc_yaml is None:
        return []
    producer = dvc_yaml.producer(model.artifact)
    if producer is None:
        return []
    deps: list[str] = []
    for stage in dvc_yaml.upstream(producer.name):
        for dep in stage.deps:
            if dvc_yaml.producer(dep) is None and not dep.endswith(CODE_SUFFIXES) \
                    and dep not in deps:
                deps.append(dep)
    return deps


def run_models(root: Path, names: list[str], *, force: bool) -> dict[str, dict[str, Any]]:
    """`mlgate run`: reproduce, with DVC, the stages that make each named model's declared
    outputs (every declared model when ``names`` is empty), then read their metrics
    (flattened, by model)."""
    from mlgate.config.declarations import (
        declaration_paths,
        load_model,
        read_dvc_yaml,
        workspace_reader,
    )
    from mlgate.config.metricsfile import flatten, parse_metrics
    from mlgate.plumbing import dvc, progress

    read = workspace_reader(root)
    names = names or [p.stem for p in declaration_paths(root)]
    if not names:
        raise MlgateError("no model declarations in pipelines/",
                          hint="write pipelines/<model>.yaml, or run `mlgate init`")
    models = [load_model(root, name, read) for name in names]
    targets: list[str] = []  # a monorepo's stages as DVC names them: models/a/dvc.yaml:train
    for model in models:
        dvc_yaml = read_dvc_yaml(read, model)
        assert dvc_yaml is not None  # load_model has checked it
        targets.extend(s for s in producers(model, dvc_yaml) if s not in targets)
    with progress.task(f"dvc repro of {len(targets)} stage(s) for {len(models)} model(s)",
                       unit="stages") as advance:
        advance(0, ", ".join(targets))  # DVC streams its own words to stderr as it runs
        dvc.repro(targets, cwd=root, force=force)
        advance(len(targets))

    results: dict[str, dict[str, Any]] = {}
    for model in models:
        metrics: dict[str, Any] = {}
        for path in model.metrics.files:
            raw = read(path)
            if raw is None:
                raise MlgateError("the pipeline ran but did not write this metrics file",
                                  path=path, hint="check the stage's command in dvc.yaml")
            metrics.update(flatten(parse_metrics(raw, path)))
        results[model.name] = metrics
    return results
