"""Loading workflow files as GitHub reads them, and the actions they may use (PINS), for
the tests of their properties and for the act runs that stub those actions."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from mlgate.adopt import scaffold
from tests.support.project import REPO_ROOT

WORKFLOWS = REPO_ROOT / ".github" / "workflows"
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$")

# The only actions the workflows use, pinned to these commits (the tag in the comment);
# the security tests check the files against it, and the act tests stub each one.
PINS = {
    "actions/checkout": ("34e114876b0b11c390a56381ad16ebd13914f8d5", "v4.3.1"),
    "actions/setup-python": ("a26af69be951a213d495a4c3e4e4022e16d87065", "v5.6.0"),
    "actions/upload-artifact": ("ea165f8d65b6e75b540449e92b4886f43607fa02", "v4.6.2"),
    "actions/download-artifact": ("d3f86a106a0bac45b974a628896c90dbdf5c8093", "v4.3.0"),
}


def load(text: str) -> dict[str, Any]:
    """YAML with every scalar a string: `on:` stays the key "on" (PyYAML's default loader
    would read it as the boolean true), and nothing is coerced."""
    data = yaml.load(text, Loader=yaml.BaseLoader)  # builds only str, list and dict
    assert isinstance(data, dict)
    return data


def repo_workflows() -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(WORKFLOWS.glob("*.yml"))}


def other_settings() -> scaffold.Settings:
    """Settings unlike this repository's, for what `mlgate init` writes elsewhere."""
    return scaffold.Settings(default_branch="trunk", python_version="3.12",
                             install="python -m pip install -r requirements.txt mlgate==0.1.0",
                             owners="@acme/model-risk")


def rendered_elsewhere() -> dict[str, str]:
    return {Path(p).name: t for p, t in scaffold.render_all(other_settings()).items()
            if p.startswith(scaffold.WORKFLOWS)}


def steps(workflow: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(job_id, step) for job_id, job in workflow["jobs"].items()
            for step in job.get("steps", [])]


def rerender() -> None:
    """Write this repository's .github/ from the templates (after editing a template)."""
    for relpath, text in scaffold.render_all(scaffold.infer_settings(REPO_ROOT)).items():
        (REPO_ROOT / relpath).write_text(text)
