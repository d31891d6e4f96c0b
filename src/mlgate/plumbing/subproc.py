"""Running git and DVC: one place that turns their failures into CommandFailed, which
carries the command, its exit code and its output (callers read those, not the message)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from mlgate.errors import CommandFailed

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
    inherit: bool = True,
) -> subprocess.CompletedProcess[bytes]:
    """Run a command. ``capture=False`` streams its output to our stderr (stdout stays
    for mlgate's own report, e.g. JSON) where that is a real file, else relays it after.
    ``env`` adds to mlgate's own environment, or with ``inherit=False`` is the whole of it."""
    target = None if capture else _stderr_fd()
    piped = capture or target is None
    try:
        proc = subprocess.run(
            list(argv),
            cwd=cwd,
            input=input_bytes,
            stdout=subprocess.PIPE if piped else target,
            stderr=subprocess.PIPE if piped else target,
            env=child_env(env) if inherit else dict(env or {}),
            check=False,
        )
    except FileNotFoundError:
        raise not_started(argv, hint=hint) from None
    if not capture and piped:
        for stream in (proc.stdout, proc.stderr):
            sys.stderr.write((stream or b"").decode("utf-8", "replace"))
    if check and proc.returncode != 0:
        raise failure(argv, proc.returncode, proc.stderr, proc.stdout, hint=hint)
    return proc


def failure(argv: Sequence[str], code: int, stderr: bytes | None, stdout: bytes | None, *,
            hint: str) -> CommandFailed:
    """What a failed command said (stderr, else stdout), as an error."""
    output = (stderr or b"").decode("utf-8", "replace").strip()
    output = output or (stdout or b"").decode("utf-8", "replace").strip()
    detail = f":\n{_indent(output)}" if output else ""
    return CommandFailed(f"`{' '.join(argv)}` failed (exit {code}){detail}", hint=hint,
                         argv=tuple(argv), exit_code=code, output=output)


def not_started(argv: Sequence[str], *, hint: str) -> CommandFailed:
    return CommandFailed(f"cannot run {argv[0]!r}: not found", hint=hint, argv=tuple(argv))


class Started:
    """A command started now and read later, while mlgate does other work. Its output goes
    to a temporary file, not a pipe: nobody reads a pipe meanwhile, and a full pipe would
    stop the command until somebody did."""

    def __init__(self, argv: Sequence[str], *, cwd: Path, hint: str,
                 env: Mapping[str, str] | None = None) -> None:
        self.argv, self.hint = list(argv), hint
        # closed by result() or close(): they outlive this call, so no `with`
        self._out = tempfile.TemporaryFile()  # noqa: SIM115
        self._err = tempfile.TemporaryFile()  # noqa: SIM115
        try:
            self._proc = subprocess.Popen(self.argv, cwd=cwd, stdout=self._out,
                                          stderr=self._err, env=child_env(env))
        except FileNotFoundError:
            self.close()
            raise not_started(argv, hint=hint) from None

    def chunks(self, size: int = 1 << 20) -> Iterator[bytes]:
        """The output in pieces, as the command writes it: each piece read is one that can
        be parsed while the command goes on. Ends when the command has ended and all is
        read; a failure then raises CommandFailed."""
        fd, at = self._out.fileno(), 0
        try:
            while True:
                ended = self._proc.poll() is not None  # before reading: nothing comes after
                piece = os.pread(fd, size, at)
                if piece:
                    at += len(piece)
                    yield piece
                elif ended:
                    break
                else:
                    time.sleep(0.001)
            if self._proc.returncode != 0:
                self._err.seek(0)
                raise failure(self.argv, self._proc.returncode, self._err.read(), b"",
                              hint=self.hint)
        finally:
            self.close()

    def finish(self) -> tuple[int, bytes, bytes]:
        """Waits for the command: (exit code, standard output, standard error)."""
        try:
            code = self._proc.wait()
            self._out.seek(0)
            self._err.seek(0)
            return code, self._out.read(), self._err.read()
        finally:
            self.close()

    def result(self, *, check: bool = True) -> tuple[int, bytes]:
        """(exit code, standard output); with ``check``, a failure raises CommandFailed."""
        code, out, err = self.finish()
        if check and code != 0:
            raise failure(self.argv, code, err, out, hint=self.hint)
        return code, out

    def cancel(self) -> None:
        """Stops the command if it still runs (the caller no longer needs it)."""
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self.close()

    def close(self) -> None:
        self._out.close()
        self._err.close()


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
