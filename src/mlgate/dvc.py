"""Every DVC call. DVC runs as a child process of the same interpreter, never imported
at start-up (importing it takes a second; `mlgate --help` must not)."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

from mlgate import subproc


def _env() -> dict[str, str]:
    # Stage commands say `python ...`: make that the interpreter mlgate runs on, whose
    # environment has the pipeline's libraries, whatever PATH the caller had.
    bindir = os.path.dirname(sys.executable)
    return {"PATH": bindir + os.pathsep + os.environ.get("PATH", "")}


def dvc(args: Sequence[str], *, cwd: Path, hint: str, capture: bool = True, check: bool = True
        ) -> str:
    proc = subproc.run([sys.executable, "-m", "dvc", *args], cwd=cwd, hint=hint,
                       capture=capture, check=check, env=_env())
    return (proc.stdout or b"").decode("utf-8", "replace")


def repro(targets: Sequence[str], *, cwd: Path, force: bool = False) -> None:
    args = ["repro", *(["--force"] if force else []), *targets]
    dvc(args, cwd=cwd, capture=False,
        hint="fix the stage named above and re-run; `dvc repro -v` shows more")
