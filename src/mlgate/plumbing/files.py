"""Writing outputs whole or not at all: the one file writer of every command."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from mlgate.errors import MlgateError

WRITABLE_HINT = ("check that the directory exists or can be created, and that it is "
                 "writable")


def write_atomic(path: Path, text: str | bytes, *, hint: str = WRITABLE_HINT) -> None:
    """Write ``text`` (or bytes) to a temporary file next to ``path``, then rename it into
    place: a reader (or DVC) sees the old file or the new one, never half of one."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            with open(temp, "xb") as raw:  # honours the umask
                raw.write(text)
        else:
            with open(temp, "x", encoding="utf-8", newline="\n") as out:
                out.write(text)
        os.replace(temp, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise MlgateError(f"cannot write: {error.strerror or error}", path=str(path),
                          hint=hint) from error
