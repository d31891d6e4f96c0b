"""What was recorded for the version deployed in an environment: its test metrics and
its reference profile.

The deployment record in the registry (the assignment tag's in-toto statement) holds the
metrics the version was promoted with; that is what production is compared against.
The reference profile is the one the deployed commit's dvc.lock records (by md5), read
from git or the DVC cache, never the working tree's: once main trains a version that
reaches staging only, production is still judged against production's own profile.
With nothing deployed yet (a new model, or a repository without a registry) the model's
metrics files committed at HEAD and the working tree's profile stand in, and the source
says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlgate.config.declarations import read_dvc_yaml, workspace_reader
from mlgate.config.metricsfile import parse_metrics
from mlgate.config.model import Model
from mlgate.errors import MlgateError, NotFound
from mlgate.plumbing import git
from mlgate.plumbing.dvccache import bytes_md5
from mlgate.registry.state import Deployment, read_model


@dataclass(frozen=True)
class DeployedMetrics:
    """``source`` says where the metrics were read, for every report that shows them."""

    source: str
    metrics: dict[str, Any]


def deployed_metrics(root: Path, model: Model, env: str) -> DeployedMetrics:
    """The recorded test metrics of ``model``'s version deployed in ``env``."""
    stay = read_model(model.address, cwd=root).current(env)
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


@dataclass(frozen=True)
class DeployedReference:
    """The reference profile's bytes and what they are: ``version`` and ``commit`` of the
    version served (None when nothing is deployed: the working tree's file), its ``md5``
    (as DVC names it) and ``source``, a sentence for the reports."""

    raw: bytes = field(repr=False)
    md5: str
    version: str | None
    commit: str | None
    source: str


def deployed_reference(root: Path, model: Model, env: str, path: str) -> DeployedReference:
    """The reference profile ``path`` of the version ``model`` serves in ``env``: the md5
    its commit's dvc.lock records, read from git or the DVC cache. Nothing deployed: the
    working tree's file. NotFound (with the command that brings it) when absent."""
    from mlgate.gates.candidate import Candidate, output_bytes, read_lock

    stay = read_model(model.address, cwd=root).current(env)
    if stay is None:
        file = root / path
        if not file.is_file():
            dvc_yaml = read_dvc_yaml(workspace_reader(root), model)
            stage = dvc_yaml.producer(path) if dvc_yaml else None
            make = f" (stage {stage.name!r})" if stage else ""
            raise NotFound("the reference profile is not in the workspace", path=path,
                           hint=f"run `mlgate run {model.name}`{make} to make it, or `dvc "
                                "pull` to fetch it from the DVC remote")
        raw = file.read_bytes()
        return DeployedReference(raw, bytes_md5(raw), None, None,
                                 f"{path} in the working tree: nothing is deployed in {env}")
    label = _label(stay)
    cand = Candidate(root, git.RevReader(stay.commit, cwd=root), stay.commit, label)
    try:
        found = output_bytes(cand, path, "the reference profile", model)
    except NotFound as error:
        raise NotFound(error.message, path=path,
                       hint=f"bring it from the DVC remote with `dvc fetch --all-tags {path}` "
                            "(the version's tag names its commit); then run this again"
                       ) from None
    if found is None:
        raise NotFound(f"the version served in {env} ({label}) records no reference profile "
                       f"{path}: its dvc.lock has no such output", path=path,
                       hint="monitor it against another profile with `mlgate monitor` from a "
                            "checkout of that commit, or promote a version whose pipeline "
                            "writes the profile")
    lock = read_lock(cand, model)
    entry = lock.out(path) if lock is not None else None
    md5 = bytes_md5(found)
    if entry is not None and entry.md5 is not None and entry.md5 != md5:
        raise MlgateError(f"the reference profile {path} of {label} read {md5}, not the md5 "
                          f"its dvc.lock records ({entry.md5}): the DVC cache's copy was "
                          "altered", path=path,
                          hint="remove that object from .dvc/cache and fetch it again "
                               f"(`dvc fetch --all-tags {path}`)")
    return DeployedReference(found, md5, stay.version, stay.commit,
                             f"{path} of {label}, served in {env}")


def _label(stay: Deployment) -> str:
    version = f"v{stay.version}" if stay.version else "an unversioned commit"
    return f"{version} ({stay.commit[:7]})"
