"""`mlgate validate`: every problem in every declaration, located."""

from __future__ import annotations

import os
from pathlib import Path

from mlgate.config.declarations import PIPELINES_DIR, check_files, declaration_paths, find_root
from mlgate.errors import EXIT_OK, MlgateError
from mlgate.render.text import to_json


def main(*, files: list[str], fmt: str) -> int:
    root = find_root()
    if files:
        paths = [Path(f).resolve() for f in files]
        for given, path in zip(files, paths, strict=True):
            if not path.is_relative_to(root):
                raise MlgateError("file is outside the repository", path=given,
                                  hint=f"declarations live under {root / PIPELINES_DIR}")
    else:
        paths = declaration_paths(root)
        if not paths:
            raise MlgateError(f"no model declarations in {PIPELINES_DIR}/", path=str(root),
                              hint="write pipelines/<model>.yaml, or run `mlgate init`")
    cwd = Path(os.getcwd()).resolve()

    def display(path: Path) -> str:
        return os.path.relpath(path, cwd) if path.is_relative_to(root) else str(path)

    decls, problems = check_files(paths, root, display)
    if problems:
        raise MlgateError.from_problems(problems)
    if fmt == "json":
        print(to_json({"valid": True, "files": [d.doc.path for d in decls],
                       "models": [d.model.name for d in decls], "problems": []}))
    else:
        for decl in decls:
            envs = " -> ".join(decl.model.environment_names)
            print(f"{decl.doc.path}: ok ({decl.model.name}; {envs})")
    return EXIT_OK
