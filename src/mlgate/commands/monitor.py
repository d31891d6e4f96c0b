"""`mlgate monitor MODEL --current PATH...`: drift, schema and the performance gap of
production batches; exit 1 on alert."""

from __future__ import annotations

import hashlib
from pathlib import Path

from mlgate.config.declarations import find_root, load_model, read_dvc_yaml, workspace_reader
from mlgate.config.dvcfiles import parse_dvc_lock
from mlgate.config.model import Model
from mlgate.config.schema import json_path
from mlgate.config.yamlio import load_file
from mlgate.errors import EXIT_FAILED, EXIT_OK, MlgateError
from mlgate.monitor.codec import read_profile
from mlgate.monitor.runner import MonitorResult, run_monitor
from mlgate.monitor.settings import InvalidSettings, MonitoringSettings, parse_settings
from mlgate.monitor.summaries import Profile
from mlgate.plumbing.files import write_atomic
from mlgate.render.monitor_html import report_html
from mlgate.render.monitor_json import dumps
from mlgate.render.monitor_md import summary_markdown
from mlgate.render.monitor_text import monitor_table

OUTPUTS = ("monitor.json", "summary.md", "report.html")


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
        dvc_yaml = read_dvc_yaml(workspace_reader(root))
        stage = dvc_yaml.producer(settings.reference) if dvc_yaml else None
        make = f" (stage {stage.name!r})" if stage else ""
        raise MlgateError("the reference profile is not in the workspace", path=settings.reference,
                          hint=f"run `mlgate run {model.name}`{make} to make it, or `dvc pull` "
                               "to fetch it from the DVC remote")
    return read_profile(path)


def _stale(root: Path, reference: str) -> list[str]:
    """A note when the reference file is not what dvc.lock records (edited, or stale)."""
    raw = workspace_reader(root)("dvc.lock")
    entry = parse_dvc_lock(raw).out(reference) if raw is not None else None
    if entry is None or entry.md5 is None:
        return []
    actual = hashlib.md5((root / reference).read_bytes(), usedforsecurity=False).hexdigest()
    if actual == entry.md5:
        return []
    return [f"{reference} differs from the version dvc.lock records: run `dvc checkout` "
            "(or reproduce the pipeline) so that the reference matches the deployed model"]


def _write(out: Path, result: MonitorResult) -> None:
    if out.exists() and not out.is_dir():
        raise MlgateError("--out must be a directory", path=str(out),
                          hint=f"it receives {', '.join(OUTPUTS)}")
    texts = (dumps(result) + "\n", summary_markdown(result), report_html(result))
    for name, text in zip(OUTPUTS, texts, strict=True):
        write_atomic(out / name, text)


def main(*, model: str, current: list[str], labels: list[str] | None, env: str | None,
         out: str | None, fmt: str) -> int:
    root = find_root()
    declared = load_model(root, model)
    settings = _settings(root, declared)
    environment = _environment(declared, env)
    reference = _reference(root, declared, settings)
    result = run_monitor(root, declared, environment, settings, reference, current,
                         labels or (), notes=_stale(root, settings.reference))
    if out is not None:
        _write(Path(out), result)
    if fmt == "json":
        print(dumps(result))
    elif fmt == "markdown":
        print(summary_markdown(result), end="")
    else:
        print(monitor_table(result))
    return EXIT_FAILED if result.verdict == "alert" else EXIT_OK
