"""`mlgate monitor`'s library call: a model's declared monitoring, its reference profile
and the batches it names, judged by :func:`mlgate.monitor.runner.run_monitor`."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from mlgate.config.declarations import (
    load_model,
    read_dvc_lock,
    read_dvc_yaml,
    workspace_reader,
)
from mlgate.config.model import Model
from mlgate.config.schema import json_path
from mlgate.config.yamlio import load_file
from mlgate.errors import MlgateError
from mlgate.monitor.codec import read_profile
from mlgate.monitor.runner import MonitorResult, run_monitor
from mlgate.monitor.settings import InvalidSettings, MonitoringSettings, parse_settings
from mlgate.monitor.summaries import Profile


def monitor_model(root: Path, name: str, env: str | None, current: Sequence[str],
                  labels: Sequence[str]) -> MonitorResult:
    """The model's batches ``current`` (and ``labels``) judged against its reference
    profile, for ``env`` (default: its last environment)."""
    declared = load_model(root, name)
    settings = _settings(root, declared)
    environment = _environment(declared, env)
    reference = _reference(root, declared, settings)
    return run_monitor(root, declared, environment, settings, reference, current,
                       labels, notes=_stale(root, settings.reference, declared))


def _settings(root: Path, model: Model) -> MonitoringSettings:
    if model.monitoring is None:
        raise MlgateError(f"model {model.name!r} declares no monitoring", path=model.source,
                          hint="add a `monitoring:` section with at least `reference:`, the "
                               "reference profile a pipeline stage writes (`mlgate profile`)")
    try:
        return parse_settings(model.monitoring)
    except InvalidSettings as error:
        line, column = load_file(str(root / model.source), model.source).locate(error.steps)
        raise MlgateError(f"{json_path(error.steps)}: {error.message}", path=model.source,
                          line=line, column=column, hint=error.hint) from None


def _environment(model: Model, env: str | None) -> str:
    if env is None:
        return model.environment_names[-1]
    if env not in model.environment_names:
        raise MlgateError(f"unknown environment {env!r} for model {model.name!r}",
                          path=model.source,
                          hint=f"declared: {', '.join(model.environment_names)}")
    return env


def _reference(root: Path, model: Model, settings: MonitoringSettings) -> Profile:
    path = root / settings.reference
    if not path.is_file():
        dvc_yaml = read_dvc_yaml(workspace_reader(root), model)
        stage = dvc_yaml.producer(settings.reference) if dvc_yaml else None
        make = f" (stage {stage.name!r})" if stage else ""
        raise MlgateError("the reference profile is not in the workspace", path=settings.reference,
                          hint=f"run `mlgate run {model.name}`{make} to make it, or `dvc pull` "
                               "to fetch it from the DVC remote")
    return read_profile(path)


def _stale(root: Path, reference: str, model: Model) -> list[str]:
    """A note when the reference file is not what dvc.lock records (edited, or stale)."""
    lock = read_dvc_lock(workspace_reader(root), model)
    entry = lock.out(reference) if lock is not None else None
    if entry is None or entry.md5 is None:
        return []
    actual = hashlib.md5((root / reference).read_bytes(), usedforsecurity=False).hexdigest()
    if actual == entry.md5:
        return []
    return [f"{reference} differs from the version dvc.lock records: run `dvc checkout` "
            "(or reproduce the pipeline) so that the reference matches the deployed model"]
