"""Where the repository is and where its declarations are: what commands ask first, kept
apart from the declarations' parser (and YAML) so that asking costs no import."""

from __future__ import annotations

import os
from pathlib import Path

from mlgate.errors import MlgateError


def find_root(start: str | None = None) -> Path:
    """The repository root: the nearest directory holding `.dvc` or `.git`."""
    here = Path(start or os.getcwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / ".dvc").is_dir() or (candidate / ".git").exists():
            return candidate
    raise MlgateError(
        "not inside a git or DVC repository",
        path=str(here),
        hint="run mlgate from the repository that holds dvc.yaml and pipelines/",
    )


PIPELINES_DIR = "pipelines"


def declaration_paths(root: Path) -> list[Path]:
    """pipelines/*.yaml (and .yml): one file per declared model. A name that starts with an
    underscore is the repository's (`_policy.yaml`), never a model's: no model name can."""
    folder = root / PIPELINES_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()
                  and not p.name.startswith("_"))
