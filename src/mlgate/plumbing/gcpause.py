"""Keeping the cyclic garbage collector away from what a command builds at once."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection inside, and none on what the command then holds: it is frozen
    on the way out (:func:`gc.freeze`). Reading 10,000 records builds a million dicts,
    lists and strings, none of them garbage, and the collector walked them again and again,
    then once more at the end (over a tenth of `mlgate history`'s time). Reference counting
    still frees what is dropped. :func:`mlgate.cli.main` unfreezes when the command
    returns, so that a caller that goes on (a test) is left as it was."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was:
            gc.enable()
