"""Running git and DVC: one place that turns their failures into MlgateError."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from mlgate.errors import MlgateError

# No code path of mlgate reaches the internet: DVC's and GTO's telemetry stay off.
QUIET_ENV = {
    "DVC_NO_ANALYTICS": "1",
    "DVC_NO_UPDATE_CHECK": "1",
    "ITERATIVE_DO_NOT_TRACK": "1",
    "GIT_TERMINAL_PROMPT": "0",
}


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(QUIET_ENV)
    if extra:
        env.update(extra)
    return env


def run(
    argv: Sequence[str],
    *,
    cwd: Path,
    hint: str,
    check: bool = True,
    input_bytes: bytes | None = None,
    env: Mapping[str, str] | None = None,
    capture: bool = True,
) -> subprocess.CompletedProcess[bytes]:
    """Run a command. ``capture=False`` streams its output to our stderr (stdout stays
    for mlgate's own report, e.g. JSON) where that is a real file, else relays it after."""
    target = None if capture else _stderr_fd()
    piped = capture or target is None
    try:
        proc = subprocess.run(
            list(argv),
            cwd=cwd,
            input=input_bytes,
            stdout=subprocess.PIPE if piped else target,
            stderr=subprocess.PIPE if piped else target,
            env=child_env(env),
            check=False,
        )
    except FileNotFoundError:
        raise MlgateError(f"cannot run {argv[0]!r}: not found", hint=hint) from None
    if not capture and piped:
        for stream in (proc.stdout, proc.stderr):
            sys.stderr.write((stream or b"").decode("utf-8", "replace"))
    if check and proc.returncode != 0:
        output = (proc.stderr or b"").decode("utf-8", "replace").strip()
        output = output or (proc.stdout or b"").decode("utf-8", "replace").strip()
        shown = " ".join(argv)
        detail = f":\n{_indent(output)}" if output else ""
        raise MlgateError(f"`{shown}` failed (exit {proc.returncode}){detail}", hint=hint)
    return proc


def _stderr_fd() -> int | None:
    try:
        return sys.stderr.fileno()
    except (AttributeError, OSError, io.UnsupportedOperation):
        return None


def _indent(text: str, limit: int = 40) -> str:
    lines = text.splitlines()
    if len(lines) > limit:
        lines = [*lines[:limit], f"... ({len(lines) - limit} more lines)"]
    return "\n".join("    " + line for line in lines)
