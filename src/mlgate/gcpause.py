"""Keeping the cyclic garbage collector away from what a command builds at once."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection inside, and none on what the process then holds: it is frozen
    on the way out (:func:`gc.freeze`). Reading 10,000 records builds a million dicts,
    lists and strings, none of them garbage, and the collector walked them again and again,
    then once more at the end (over a tenth of `mlgate history`'s time). Reference counting
    still frees what is dropped; only cycles among frozen objects are never collected. That
    suits a command's process, which ends next; one that goes on (a test calling
    :func:`mlgate.cli.main`) calls :func:`gc.unfreeze` after."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was:
            gc.enable()
