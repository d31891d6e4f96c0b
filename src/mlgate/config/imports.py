"""Where imported data comes from: the `.dvc` files that `dvc import` and `dvc import-url`
write, read as plain YAML at any revision.

`dvc import URL PATH -o data/x` writes `data/x.dvc` whose one dependency names the
source repository (`repo: {url, rev, rev_lock}`) and the path inside it; `dvc
import-url URL data/x` writes one whose dependency's path is the URL itself. A data
dependency of a model, or the directory holding it, that has such a file is an import;
anything else (a `dvc add`-ed file, a stage output, a file in git) is not. A `.dvc` file
comes with a pull request: one that is not shaped as DVC writes it names no source, and
its values are only ever shown (neutralised by the renderers), never followed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from mlgate.config.yamlio import load_bytes
from mlgate.errors import MlgateError

Reader = Callable[[str], bytes | None]


@dataclass(frozen=True)
class ImportSource:
    """The source of one imported data dependency."""

    path: str  # the dependency, as the model's stages name it
    dvc_file: str  # the `.dvc` file that records the import
    source_path: str  # the path in the source repository, or the URL (import-url)
    repo: str | None = None  # the source repository's URL; None for `dvc import-url`
    rev: str | None = None  # the revision asked for (a branch or tag), when one was
    rev_lock: str | None = None  # the commit it resolved to

    def as_record(self) -> dict[str, Any]:
        if self.repo is None:
            return {"url": self.source_path, "dvc_file": self.dvc_file}
        return {"repo": self.repo, "path": self.source_path, "rev": self.rev,
                "rev_lock": self.rev_lock, "dvc_file": self.dvc_file}


def _candidates(path: str) -> list[str]:
    """`data/raw/x.csv` -> data/raw/x.csv.dvc, data/raw.dvc, data.dvc: the file itself
    imported, or a directory above it."""
    parts = path.strip("/").split("/")
    return [f"{'/'.join(parts[:n])}.dvc" for n in range(len(parts), 0, -1)]


def _source(data: Any, path: str, dvc_file: str) -> ImportSource | None:
    deps = data.get("deps") if isinstance(data, dict) else None
    if not isinstance(deps, list) or len(deps) != 1 or not isinstance(deps[0], dict):
        return None  # `dvc add` writes no deps; an import writes exactly one
    dep = deps[0]
    source_path = dep.get("path")
    if not isinstance(source_path, str) or not source_path:
        return None
    repo = dep.get("repo")
    if repo is None:
        return ImportSource(path, dvc_file, source_path)
    if not isinstance(repo, dict) or not isinstance(repo.get("url"), str):
        return None

    def text(key: str) -> str | None:
        value = repo.get(key)
        return value if isinstance(value, str) else None

    return ImportSource(path, dvc_file, source_path, repo["url"], text("rev"),
                        text("rev_lock"))


def import_source(read: Reader, path: str) -> ImportSource | None:
    """The import that brings ``path``, when one does."""
    for dvc_file in _candidates(path):
        raw = read(dvc_file)
        if raw is None:
            continue
        try:
            data = load_bytes(raw, dvc_file).data
        except MlgateError:
            return None  # not YAML: not an import this report can describe
        return _source(data, path, dvc_file)
    return None


def import_sources(read: Reader, paths: Iterable[str]) -> list[ImportSource]:
    return [found for p in paths if (found := import_source(read, p)) is not None]
