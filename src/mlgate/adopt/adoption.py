"""Adopting mlgate in an existing DVC repository (`mlgate init`): the model's declaration
inferred from dvc.yaml (:mod:`mlgate.adopt.infer`), the workflows and CODEOWNERS
(:mod:`mlgate.adopt.scaffold`), and DVC's analytics and update checks turned off.
Running it again changes nothing."""

from __future__ import annotations

import configparser
import posixpath
from pathlib import Path

from mlgate.adopt import scaffold
from mlgate.adopt.infer import infer, model_choices
from mlgate.config.declarations import (
    PIPELINES_DIR,
    cross_check,
    parse_declaration,
    read_dvc_yaml,
    workspace_reader,
)
from mlgate.config.yamlio import load_text
from mlgate.errors import MlgateError, Problem
from mlgate.plumbing import dvc
from mlgate.plumbing.files import write_atomic

DVC_SETTINGS = (("core", "analytics", "false"), ("core", "check_update", "false"))


def adopt(root: Path, model: str | None, *, force: bool, pipeline: str = "dvc.yaml"
          ) -> tuple[list[str], list[tuple[str, str]]]:
    """`mlgate init`: the models' names (one per `type: model` artifact of the pipeline's
    `artifacts:` unless ``model`` names one), and each file written with what became of
    it ("created", "overwritten", "unchanged"). Checks everything first and writes
    nothing when a file exists with other content, unless ``force``. ``pipeline`` is the
    dvc.yaml to adopt (a monorepo's `models/a/dvc.yaml`: one `mlgate init` per pipeline)."""
    if not (root / ".dvc").is_dir() or not (root / ".git").exists():
        raise MlgateError("not a git repository with DVC initialised", path=str(root),
                          hint="mlgate works on DVC pipelines in git: `git init`, `dvc init`")
    read = workspace_reader(root)
    pipeline = _pipeline_path(pipeline)
    dvc_yaml = read_dvc_yaml(read, path=pipeline)
    if dvc_yaml is None or not dvc_yaml.stages:
        raise MlgateError(f"no pipeline to adopt: {pipeline} is missing or has no stages",
                          path=pipeline, hint="describe the pipeline first (`dvc stage add`)")
    declarations: dict[str, str] = {}
    for choice in model_choices(dvc_yaml, model):
        inferred = infer(dvc_yaml, read, root, choice)
        relpath = f"{PIPELINES_DIR}/{inferred.name}.yaml"
        if relpath in declarations:
            raise MlgateError(f"two artifacts make the model name {inferred.name!r}",
                              path=pipeline, hint="rename one in `artifacts:`, or choose "
                              "one with --model")
        doc = load_text(inferred.text, relpath)
        declared, problems = parse_declaration(doc, inferred.name)
        if declared is not None and not problems:
            problems = cross_check(declared, doc, dvc_yaml, read)
        if problems:  # what dvc.yaml says does not make a valid declaration
            raise MlgateError.from_problems(problems)
        declarations[relpath] = inferred.text

    wanted = {**declarations, **scaffold.render_all(scaffold.infer_settings(root))}
    states = {path: _state(root / path, text) for path, text in wanted.items()}
    conflicts = [p for p, s in states.items() if s == "differs"]
    if conflicts and not force:
        raise MlgateError.from_problems([
            Problem("exists with other content; not overwritten", path=p,
                    hint="re-run with --force to overwrite these files (nothing was written)")
            for p in conflicts])
    rows = []
    for path, text in wanted.items():
        state = states[path]
        if state != "same":
            write_atomic(root / path, text)
        rows.append((path, {"new": "created", "differs": "overwritten",
                            "same": "unchanged"}[state]))
    for section, key, value in DVC_SETTINGS:
        if _dvc_config(root, section, key) != value:
            dvc.dvc(["config", f"{section}.{key}", value], cwd=root,
                    hint="check .dvc/config; `dvc config` could not write it")
    return [Path(p).stem for p in declarations], rows


def _pipeline_path(given: str) -> str:
    """--pipeline as the declaration's `pipeline:` writes it: a dvc.yaml (or its folder)
    inside the repository, relative to its root."""
    path = posixpath.normpath(given.replace("\\", "/")).removeprefix("./")
    if not path.endswith("dvc.yaml") or path.rpartition("/")[2] != "dvc.yaml":
        path = posixpath.join(path, "dvc.yaml") if path != "." else "dvc.yaml"
    if path.startswith(("/", "../")) or ":" in path:
        raise MlgateError(f"--pipeline {given!r} is not a dvc.yaml inside the repository",
                          hint="give its path relative to the repository root, e.g. "
                               "--pipeline models/a/dvc.yaml")
    return path


def _state(path: Path, text: str) -> str:
    try:
        current = path.read_text("utf-8")
    except FileNotFoundError:
        return "new"
    except (OSError, UnicodeDecodeError):
        return "differs"
    return "same" if current == text else "differs"


def _dvc_config(root: Path, section: str, key: str) -> str | None:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    try:
        parser.read(root / ".dvc" / "config")
    except configparser.Error:
        return None
    return parser.get(section, key, fallback=None)
