"""Load `pipelines/<model>.yaml`: schema validation, then cross-checks against dvc.yaml.

Every problem in every file is collected, so that one run of `mlgate validate`
shows them all: a file that is missing (NotFound) or does not pass (InvalidFile). A file
that cannot be read at all stops the run, as does git failing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlgate.config import schema
from mlgate.config.dvcfiles import DvcLock, DvcYaml, folder_of, parse_dvc_lock, parse_dvc_yaml
from mlgate.config.evaluation_checks import evaluation_problems, holdout_problems
from mlgate.config.floors import model_shortfalls
from mlgate.config.metricsfile import lookup, parse_metrics
from mlgate.config.model import Model, build_model
from mlgate.config.monitoring_checks import monitoring_problems, prediction_gate_problems
from mlgate.config.repo_policy import RepoPolicy, read_workspace
from mlgate.config.root import PIPELINES_DIR as PIPELINES_DIR
from mlgate.config.root import declaration_paths as declaration_paths
from mlgate.config.root import find_root as find_root  # re-exported, with the two above
from mlgate.config.yamlio import Document, load_bytes, load_file
from mlgate.errors import InvalidFile, MlgateError, NotFound, Problem

# Reads a file relative to the repo root: bytes, or None when it does not exist.
Reader = Callable[[str], bytes | None]


@dataclass(frozen=True)
class Declaration:
    model: Model
    doc: Document


def workspace_reader(root: Path) -> Reader:
    def read(relpath: str) -> bytes | None:
        try:
            return (root / relpath).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None
        except OSError as exc:  # there, but unreadable (a symlink loop, permissions, I/O)
            raise MlgateError(f"cannot read: {exc.strerror or exc}", path=relpath,
                              hint="check the file's permissions and where it links to"
                              ) from None

    return read


def parse_declaration(doc: Document, stem: str) -> tuple[Model | None, list[Problem]]:
    """Schema-validate one loaded file; the model when it is valid."""
    if doc.data is None:
        return None, [
            Problem("empty file, expected a model declaration (a mapping)", doc.path, 1, 1,
                    hint="start from `mlgate init` or pipelines/employment.yaml")
        ]
    if not isinstance(doc.data, dict):
        found = schema.describe(doc.data)
        return None, [
            Problem(f"expected a mapping at the top level, got {found}", doc.path, 1, 1,
                    hint="a model declaration is a mapping: `name: ...`, `owner: ...`, ...")
        ]
    problems = schema.validate(doc, "model")
    name = doc.data.get("name")
    if isinstance(name, str) and name != stem:
        line, col = doc.locate(["name"])
        problems.append(
            Problem(f"name {name!r} differs from the file name {stem!r}", doc.path, line, col,
                    "name", hint=f"rename the file to {name}.yaml or set name: {stem}")
        )
    if problems:
        return None, problems
    model = build_model(doc.data, doc.path)
    return model, (_internal_checks(model, doc) + evaluation_problems(model, doc)
                   + monitoring_problems(model, doc) + prediction_gate_problems(model, doc))


def _internal_checks(model: Model, doc: Document) -> list[Problem]:
    problems: list[Problem] = []
    seen: list[str] = []
    for i, env in enumerate(model.environments):
        base: list[str | int] = ["promotion", "environments", i]
        if env.name in seen:
            problems.append(_p(doc, [*base, "name"], f"environment {env.name!r} is declared twice",
                               "each environment appears once in the ordered list"))
        if env.requires and env.requires.environment not in seen:
            problems.append(_p(
                doc, [*base, "requires", "environment"],
                f"requires environment {env.requires.environment!r}, which is not declared "
                "before it",
                f"environments declared before {env.name!r}: {', '.join(seen) or 'none'}"))
        for section, gates in (("gates", env.gates), ("rollback.gates", env.rollback.gates)):
            for gate in gates:
                steps: list[str | int] = [*base, *section.split("."), gate.index]
                against = getattr(gate, "against", None)
                if against is not None and against not in model.environment_names:
                    problems.append(_p(doc, [*steps, "against"],
                                       f"unknown environment {against!r}",
                                       f"declared: {', '.join(model.environment_names)}"))
                low, high = getattr(gate, "min", None), getattr(gate, "max", None)
                if low is not None and high is not None and low > high:
                    problems.append(_p(doc, [*steps, "min"],
                                       f"min {low} is greater than max {high}",
                                       "no value could pass this gate"))
        seen.append(env.name)
    return problems


def cross_check(model: Model, doc: Document, dvc: DvcYaml | None, read: Reader, *,
                metric_names: bool = True) -> list[Problem]:
    """Checks against dvc.yaml and, with ``metric_names``, that the metrics files as they
    are in ``read`` hold every metric a gate names."""
    problems: list[Problem] = []
    if dvc is None:
        if model.pipeline != "dvc.yaml":
            return [_p(doc, ["pipeline"], f"there is no {model.pipeline}",
                       "name a dvc.yaml that exists, relative to the repository root")]
        return [_p(doc, ["artifact"], "no dvc.yaml in the repository root",
                   "mlgate works on a DVC pipeline: create dvc.yaml (`dvc stage add`)")]
    named = dvc.path
    outs = sorted({o for s in dvc.stages for o in s.outs})
    declared_metrics = sorted({m for s in dvc.stages for m in s.metrics} | set(dvc.metrics))
    if dvc.producer(model.artifact) is None:
        problems.append(_p(doc, ["artifact"], f"{model.artifact!r} is not an out of any stage "
                           f"in {named}", _outs_hint(f"outs in {named}", outs, named)))
    for i, path in enumerate(model.metrics.files):
        if dvc.metrics_stage(path) is None and path not in dvc.metrics:  # nor top-level
            problems.append(_p(doc, ["metrics", "files", i], f"{path!r} is not declared under "
                               f"`metrics:` of any stage in {named}",
                               _outs_hint(f"metrics in {named}", declared_metrics, named)))
    if model.predictions and dvc.producer(model.predictions.path) is None:
        problems.append(_p(doc, ["predictions", "path"], f"{model.predictions.path!r} is not an "
                           f"out of any stage in {named}",
                           _outs_hint(f"outs in {named}", outs, named)))
    reference = (model.monitoring or {}).get("reference")
    if reference and dvc.producer(reference) is None:
        problems.append(_p(doc, ["monitoring", "reference"], f"{reference!r} is not an out of "
                           f"any stage in {named}", _outs_hint(f"outs in {named}", outs, named)))
    problems.extend(holdout_problems(model, doc, dvc, read))
    problems.extend(_check_dvc_artifact(model, doc, dvc, read))
    if not problems and metric_names:  # judged only in files that are metrics files
        problems.extend(_check_metric_names(model, doc, read))
    return problems


def _check_dvc_artifact(model: Model, doc: Document, dvc: DvcYaml, read: Reader
                        ) -> list[Problem]:
    """The declaration's artifact against dvc.yaml's `artifacts:` entry when both name it:
    by `dvc_artifact`, or an entry of its pipeline's dvc.yaml keyed by the model's name. A
    `dvc_artifact` in another directory than a declared `pipeline:` is a problem: the
    artifact would not be the one that pipeline makes."""
    from mlgate.config.artifacts import artifact_address, dvc_artifacts, dvc_yaml_of, split_address

    address = model.dvc_artifact or artifact_address(folder_of(model.pipeline), model.name)
    where = dvc_yaml_of(address)
    steps: list[str | int] = ["dvc_artifact"] if model.dvc_artifact else ["artifact"]
    if model.dvc_artifact and model.pipeline != "dvc.yaml" and where != model.pipeline:
        return [_p(doc, steps, f"{address!r} is an artifact of {where}, but the model's "
                   f"pipeline is {model.pipeline}",
                   f"name the artifact as `{folder_of(model.pipeline)}:NAME`, in the "
                   "`artifacts:` of the pipeline that makes it, or correct `pipeline:`")]
    try:
        holder = dvc if where == dvc.path else read_dvc_yaml(read, path=where)
    except InvalidFile as exc:
        return exc.problems
    entries = {a.address: a for a in dvc_artifacts(holder.artifacts if holder else {},
                                                   split_address(address)[0])}
    entry = entries.get(address)
    if entry is None:
        if model.dvc_artifact is None:
            return []  # dvc.yaml does not name this model: nothing to agree with
        return [_p(doc, steps, f"{address!r} is not an artifact in {where}'s `artifacts:`",
                   _choices(f"artifacts in {where}", sorted(entries)))]
    problems = []
    if entry.path != model.artifact:
        problems.append(_p(doc, ["artifact"], f"{model.artifact!r} differs from the path of "
                           f"artifact {address!r} in {where}: {entry.path!r}",
                           "the declaration and dvc.yaml's `artifacts:` must name the same "
                           "file: correct one of them"))
    if entry.type is not None and not entry.is_model:
        problems.append(_p(doc, steps, f"artifact {address!r} in {where} has type "
                           f"{entry.type!r}, not 'model'",
                           "declare models only; set `type: model` in dvc.yaml if it is one"))
    return problems


def _check_metric_names(model: Model, doc: Document, read: Reader) -> list[Problem]:
    files: dict[str, dict[str, Any]] = {}
    for path in model.metrics.files:
        raw = read(path)
        if raw is not None:
            files[path] = parse_metrics(raw, path)
    if not files or len(files) < len(model.metrics.files):
        return []  # judged once the pipeline has written every metrics file
    problems: list[Problem] = []
    for i, env in enumerate(model.environments):
        for section, gates in (("gates", env.gates), ("rollback.gates", env.rollback.gates)):
            for gate in gates:
                metric = getattr(gate, "metric", None)
                if gate.kind not in ("threshold", "no_regression") or metric is None:
                    continue
                if all(lookup(m, metric) is None for m in files.values()):
                    steps: list[str | int] = ["promotion", "environments", i,
                                              *section.split("."), gate.index, "metric"]
                    problems.append(_p(doc, steps, f"metric {metric!r} is not in "
                                       f"{', '.join(files)}",
                                       _choices("metrics there", _leaf_names(files))))
    return problems


def _leaf_names(files: dict[str, dict[str, Any]]) -> list[str]:
    from mlgate.config.metricsfile import flatten

    names = {k for m in files.values() for k in flatten(m)}
    top = sorted(n for n in names if "." not in n)
    return top or sorted(names)[:20]


def _outs_hint(what: str, options: Sequence[str], pipeline: str) -> str:
    choices = _choices(what, options)
    if pipeline == "dvc.yaml":
        return choices
    return (f"{choices} (paths here are relative to the repository root, as "
            "`dvc metrics show` prints them)")


def _choices(what: str, options: Sequence[str]) -> str:
    if not options:
        return f"there are no {what}"
    shown = ", ".join(options[:12]) + (", ..." if len(options) > 12 else "")
    return f"{what}: {shown}"


def _p(doc: Document, steps: Sequence[str | int], message: str, hint: str | None) -> Problem:
    line, col = doc.locate(steps)
    return Problem(message, doc.path, line, col, schema.json_path(steps), hint)


def read_dvc_yaml(read: Reader, model: Model | None = None, *, path: str | None = None
                  ) -> DvcYaml | None:
    """The pipeline that makes ``model`` (its `pipeline:`), else the one at ``path``, else
    the root's dvc.yaml; its `foreach`/`matrix` stages expanded in the context DVC gives
    them: the params.yaml and `vars:` beside the file."""
    if path is None:
        path = model.pipeline if model is not None else "dvc.yaml"
    raw = read(path)
    if raw is None:
        return None
    doc = load_bytes(raw, path)
    return parse_dvc_yaml(doc, _template_context(doc, read))


def _template_context(doc: Document, read: Reader) -> dict[str, Any]:
    from mlgate.config.dvctemplate import context_files, inline_vars, parse_values

    data = doc.data if isinstance(doc.data, dict) else {}
    stages = data.get("stages")
    if not isinstance(stages, dict) or not any(
            isinstance(s, dict) and ("foreach" in s or "matrix" in s) for s in stages.values()):
        return {}  # nothing to interpolate: read no params file
    base = folder_of(doc.path)
    context: dict[str, Any] = {}
    for file, keys in context_files(data):
        raw = read(f"{base}/{file}" if base else file)
        values = parse_values(raw, file) if raw is not None else None
        if isinstance(values, dict):
            context.update(values if keys is None else {k: values[k] for k in keys
                                                        if k in values})
    context.update(inline_vars(data))
    return context


def read_dvc_lock(read: Reader, model: Model | None = None, *, at: str | None = None
                  ) -> DvcLock | None:
    """The dvc.lock beside the pipeline that makes ``model`` (else the root's)."""
    path = model.lock_file if model is not None else "dvc.lock"
    raw = read(path)
    return None if raw is None else parse_dvc_lock(raw, path, at=f"{at}:{path}" if at else None)


def check_files(paths: Sequence[Path], root: Path, display: Callable[[Path], str]
                ) -> tuple[list[Declaration], list[Problem]]:
    """Load and fully check each file, and each model against its floor in the repository
    policy (`pipelines/_policy.yaml`); every problem of every file."""
    read = workspace_reader(root)
    pipelines: dict[str, DvcYaml | list[Problem] | None] = {}  # each read once, even if bad
    decls: list[Declaration] = []
    problems: list[Problem] = []

    def pipeline(model: Model | None) -> DvcYaml | list[Problem] | None:
        key = model.pipeline if model is not None else "dvc.yaml"
        if key not in pipelines:
            try:
                pipelines[key] = read_dvc_yaml(read, model)
            except InvalidFile as exc:
                pipelines[key] = exc.problems
                problems.extend(exc.problems)
        return pipelines[key]

    claimed: dict[str, str] = {}  # a subdirectory artifact's address -> its declaration
    pipeline(None)  # the root's dvc.yaml is checked even when no model names it
    repo: RepoPolicy | None = None
    try:
        repo = read_workspace(root)
    except InvalidFile as exc:
        problems.extend(exc.problems)
    for path in paths:
        if path.name.startswith("_"):  # the repository policy, checked above
            continue
        shown = display(path)
        try:
            doc = load_file(str(path), shown)
            model, found = parse_declaration(doc, path.stem)
            if model is not None and not found:
                dvc = pipeline(model)
                if not isinstance(dvc, list):
                    found = cross_check(model, doc, dvc, read)
        except (InvalidFile, NotFound) as exc:
            problems.extend(exc.problems)
            continue
        if model is not None and not found and repo is not None:
            found = floor_problems(model, doc, repo)
        if model is not None and not found and model.address != model.name:
            other = claimed.setdefault(model.address, shown)
            if other != shown:  # both would write, and read, the same tags
                found = [_p(doc, ["dvc_artifact"], f"{model.address!r} is already the "
                            f"artifact of {other}: two models would share its tags",
                            "declare each artifact once; remove one of the declarations")]
        problems.extend(found)
        if model is not None and not found:
            decls.append(Declaration(model, doc))
    return decls, problems


def floor_problems(model: Model, doc: Document, repo: RepoPolicy) -> list[Problem]:
    """Each environment of ``model`` weaker than its tier's floor, at the environment."""
    problems = []
    for env, lacking in model_shortfalls(model, repo).items():
        index = model.environment_names.index(env)
        for line in lacking:
            problems.append(_p(
                doc, ["promotion", "environments", index],
                f"environment {env!r} is weaker than the floor for risk tier "
                f"{model.risk_tier} in {repo.source}: it lacks {line}",
                f"a {model.risk_tier}-risk model's policy must contain its floor: add what "
                "is missing, or change the floor in a reviewed change"))
    return problems


def load_model(root: Path, name: str, read: Reader | None = None) -> Model:
    """One model's declaration, fully checked: NotFound when there is none, else
    InvalidFile listing every problem."""
    read = read or workspace_reader(root)
    relpath = f"{PIPELINES_DIR}/{name}.yaml"
    raw = read(relpath)
    if raw is None:
        known = [p.stem for p in declaration_paths(root)]
        raise NotFound(f"no model named {name!r}", path=relpath,
                       hint=_choices("declared models", known))
    doc = load_bytes(raw, relpath)
    model, problems = parse_declaration(doc, name)
    if model is not None and not problems:
        problems = cross_check(model, doc, read_dvc_yaml(read, model), read)
    if problems or model is None:
        raise InvalidFile.from_problems(problems)
    return model
