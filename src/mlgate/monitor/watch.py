"""`mlgate monitor`'s library call: a model's declared monitoring, the reference profile
of the version the environment serves (:mod:`mlgate.monitor.deployed`) and the batches it
names, judged by :func:`mlgate.monitor.runner.run_monitor`."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from mlgate.config.declarations import load_model, read_dvc_lock, workspace_reader
from mlgate.config.model import Model
from mlgate.config.schema import json_path
from mlgate.config.yamlio import load_file
from mlgate.errors import MlgateError
from mlgate.monitor.codec import loads
from mlgate.monitor.deployed import deployed_reference
from mlgate.monitor.runner import MonitorResult, Scanner, run_monitor
from mlgate.monitor.settings import InvalidSettings, MonitoringSettings, parse_settings


def monitor_model(root: Path, name: str, env: str | None, current: Sequence[str],
                  labels: Sequence[str], *, now: datetime,
                  scanner: Scanner | None = None) -> MonitorResult:
    """The model's batches ``current`` (and ``labels``) judged against the reference
    profile of the version ``env`` serves (default env: the model's last environment);
    with nothing deployed there, against the working tree's, and a note says so.
    ``scanner`` reads the batches (default: streamed in this process)."""
    declared = load_model(root, name)
    settings = _settings(root, declared)
    environment = _environment(declared, env)
    basis = deployed_reference(root, declared, environment, settings.reference)
    reference = loads(basis.raw, source=settings.reference)
    notes = [] if basis.commit is not None else _stale(root, settings.reference, declared)
    if scanner is None:
        return run_monitor(root, declared, environment, settings, reference, current,
                           labels, notes=notes, basis=basis, now=now)
    return run_monitor(root, declared, environment, settings, reference, current,
                       labels, notes=notes, basis=basis, now=now, scanner=scanner)


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
