"""Progress bars on stderr, and only when stderr is a terminal: piped or redirected
output, `--format json` included, is byte for byte what it is without them.

The bars are tqdm's, which DVC already brings (no dependency of mlgate's own); imported
only when a terminal will show them, so that start-up does not pay for it otherwise.
`MLGATE_PROGRESS=0` (or `TERM=dumb`) turns them off on a terminal too.
"""

from __future__ import annotations

import os
import sys
from typing import Any, TextIO

from mlgate.plumbing.progress import Bar, Sink


class _TqdmBar:
    def __init__(self, bar: Any) -> None:
        self._bar = bar

    def advance(self, amount: float = 1, note: str | None = None) -> None:
        if note is not None:
            self._bar.set_postfix_str(note, refresh=False)
        self._bar.update(amount)

    def close(self) -> None:
        self._bar.close()


class TerminalSink:
    """Each task a tqdm bar on ``stream``; it disappears when the task ends."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def open(self, what: str, total: float | None, unit: str) -> Bar:
        from tqdm import tqdm  # type: ignore[import-untyped]

        bar = tqdm(total=total, desc=what, unit=f" {unit}", file=self.stream, leave=False,
                   dynamic_ncols=True, mininterval=0.2, unit_scale=unit == "rows")
        bar.refresh()  # shown at once, not at the first update
        return _TqdmBar(bar)


def for_terminal(stream: TextIO | None = None) -> Sink | None:
    """A sink for ``stream`` (stderr) when it is a terminal and progress is not turned
    off; else None, and nothing is shown."""
    stream = stream or sys.stderr
    if os.environ.get("MLGATE_PROGRESS", "").strip() == "0" \
            or os.environ.get("TERM") == "dumb":
        return None
    try:
        if not stream.isatty():
            return None
    except (AttributeError, ValueError):  # closed, or no file behind it
        return None
    return TerminalSink(stream)
