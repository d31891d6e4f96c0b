"""Which test metrics were recorded for the version deployed in an environment.

The deployment record in the registry (the assignment tag's in-toto statement) holds the
metrics the version was promoted with; that is what production is compared against.
With nothing deployed yet (a new model, or a repository without a registry) the model's
metrics files committed at HEAD stand in, and the source says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlgate.config.metricsfile import parse_metrics
from mlgate.config.model import Model
from mlgate.errors import MlgateError
from mlgate.plumbing import git
from mlgate.registry.state import read_model


@dataclass(frozen=True)
class DeployedMetrics:
    """``source`` says where the metrics were read, for every report that shows them."""

    source: str
    metrics: dict[str, Any]


def deployed_metrics(root: Path, model: Model, env: str) -> DeployedMetrics:
    """The recorded test metrics of ``model``'s version deployed in ``env``."""
    stay = read_model(model.name, cwd=root).current(env)
    if stay is not None:
        record = stay.record or {}
        metrics = record.get("predicate", {}).get("metrics")
        version = f"v{stay.version}" if stay.version else stay.commit[:7]
        if isinstance(metrics, dict) and metrics:
            return DeployedMetrics(f"the deployment record of {version} in {env} "
                                   f"({stay.event.name})", metrics)
        return _at_commit(root, model, stay.commit,
                          f"at {version} ({stay.commit[:7]}), deployed in {env} by a tag "
                          "without a record")
    commit = git.head_commit(cwd=root)
    if commit is None:
        raise MlgateError("no commit to read the recorded metrics from", path=str(root),
                          hint="commit the pipeline's metrics file (`git commit`)")
    return _at_commit(root, model, commit,
                      f"at HEAD ({commit[:7]}); nothing is deployed in {env} yet")


def _at_commit(root: Path, model: Model, commit: str, where: str) -> DeployedMetrics:
    read = git.RevReader(commit, cwd=root)
    metrics: dict[str, Any] = {}
    for path in model.metrics.files:
        raw = read(path)
        if raw is None:
            raise MlgateError(f"{path} is not in git at {commit[:7]}", path=path,
                              hint="commit the metrics file the pipeline writes "
                                   "(`mlgate run`, then `git add`)")
        metrics.update(parse_metrics(raw, path))
    return DeployedMetrics(f"{', '.join(model.metrics.files)} {where}", metrics)
