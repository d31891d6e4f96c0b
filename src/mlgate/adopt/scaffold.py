"""The workflows and CODEOWNERS that `mlgate init` writes, rendered from templates shipped
with mlgate.

This repository's own `.github/` is rendered from the same templates with the settings
inferred here (a test keeps the two equal), so what mlgate dogfoods is what it hands out.
Templates name their few settings as `@@name@@`, which cannot be confused with GitHub's
`${{ ... }}` expressions.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

from mlgate import __version__
from mlgate.plumbing import git

TEMPLATES = "templates"
WORKFLOWS = ".github/workflows"
CODEOWNERS = ".github/CODEOWNERS"
DEFAULT_PYTHON = "3.11"
OWNER_PLACEHOLDER = "@OWNER"
_PLACEHOLDER = re.compile(r"@@([a-z_]+)@@")
_GITHUB_REMOTE = re.compile(r"github\.com[:/]([A-Za-z0-9][A-Za-z0-9-]*)/")
_PYTHON = re.compile(r"^(3\.\d+)")
_REQUIRES_PYTHON = re.compile(r">=\s*(3\.\d+)")
_MENTIONS_MLGATE = re.compile(r"^\s*mlgate\b", re.MULTILINE)


@dataclass(frozen=True)
class Settings:
    """What differs between repositories in the files rendered from the templates."""

    default_branch: str
    python_version: str
    install: str  # one shell line that installs mlgate and the pipeline's libraries
    owners: str  # CODEOWNERS owners of the paths that decide promotions


def template_files() -> dict[str, str]:
    """Target path in the repository -> template text."""
    base = resources.files("mlgate").joinpath(TEMPLATES)
    found = {f"{WORKFLOWS}/{item.name}": item.read_text("utf-8")
             for item in base.joinpath("workflows").iterdir() if item.name.endswith(".yml")}
    found[CODEOWNERS] = base.joinpath("CODEOWNERS").read_text("utf-8")
    return dict(sorted(found.items()))


def render(text: str, settings: Settings) -> str:
    values = asdict(settings)

    def value(match: re.Match[str]) -> str:
        return str(values[match.group(1)])  # a KeyError is a bug in a template

    return _PLACEHOLDER.sub(value, text)


def render_all(settings: Settings) -> dict[str, str]:
    return {path: render(text, settings) for path, text in template_files().items()}


def infer_settings(root: Path) -> Settings:
    return Settings(default_branch=default_branch(root), python_version=python_version(root),
                    install=install_command(root), owners=owners(root))


def default_branch(root: Path) -> str:
    """origin's HEAD when known, else main or master when they exist, else the current
    branch, else main."""
    remote_head = git.git(["symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD"],
                          cwd=root, check=False).strip()
    if remote_head.startswith("origin/"):
        return remote_head.removeprefix("origin/")
    for name in ("main", "master"):
        if git.git_ok(["rev-parse", "--verify", "--quiet", f"refs/heads/{name}"], cwd=root):
            return name
    current = git.git(["symbolic-ref", "--quiet", "--short", "HEAD"], cwd=root,
                      check=False).strip()
    return current or "main"


def _pyproject(root: Path) -> dict[str, object]:
    try:
        data = tomllib.loads((root / "pyproject.toml").read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    project = data.get("project")
    return project if isinstance(project, dict) else {}


def python_version(root: Path) -> str:
    """From `.python-version`, else pyproject's `requires-python` lower bound."""
    try:
        pinned = _PYTHON.match((root / ".python-version").read_text("utf-8").strip())
    except (OSError, UnicodeDecodeError):
        pinned = None
    if pinned:
        return pinned.group(1)
    requires = _pyproject(root).get("requires-python")
    lower = _REQUIRES_PYTHON.search(requires) if isinstance(requires, str) else None
    return lower.group(1) if lower else DEFAULT_PYTHON


def install_command(root: Path) -> str:
    """pip with the repository's own constraints, requirements and package, plus mlgate
    unless the repository already names it (or is mlgate)."""
    parts = ["python -m pip install"]
    mentions = False
    if (root / "constraints.txt").is_file():
        parts.append("-c constraints.txt")
    requirements = root / "requirements.txt"
    if requirements.is_file():
        parts.append("-r requirements.txt")
        mentions = bool(_MENTIONS_MLGATE.search(requirements.read_text("utf-8", "replace")))
    project = _pyproject(root)
    if project or (root / "setup.py").is_file():
        parts.append("-e .")
        deps = project.get("dependencies")
        named = [str(d) for d in deps] if isinstance(deps, list) else []
        mentions = (mentions or project.get("name") == "mlgate"
                    or any(_MENTIONS_MLGATE.search(d) for d in named))
    if not mentions:
        parts.append(f"mlgate=={__version__}")
    return " ".join(parts)


def owners(root: Path) -> str:
    """The owners already named for pipelines/ in CODEOWNERS, else the GitHub owner of
    origin, else a placeholder to replace."""
    for where in (root / CODEOWNERS, root / "CODEOWNERS", root / "docs" / "CODEOWNERS"):
        try:
            lines = where.read_text("utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        for line in lines:
            path, _, named = line.partition(" ")
            if path.strip("/") == "pipelines" and named.strip():
                return named.strip()
    url = git.git(["remote", "get-url", "origin"], cwd=root, check=False).strip()
    match = _GITHUB_REMOTE.search(url)
    return f"@{match.group(1)}" if match else OWNER_PLACEHOLDER
