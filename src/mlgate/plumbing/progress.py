"""How far a long operation has got, told to whoever listens: the library reports, never
prints.

A command that wants progress shown installs a :class:`Sink` (see
:mod:`mlgate.render.progress`, which installs one only when stderr is a terminal) with
:func:`shown`; the library opens a :func:`task` and advances it. With no sink installed,
as in tests, pipes and every library caller, a task costs one context-variable lookup
and nothing is written anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol


class Bar(Protocol):
    def advance(self, amount: float = 1, note: str | None = None) -> None: ...

    def close(self) -> None: ...


class Sink(Protocol):
    def open(self, what: str, total: float | None, unit: str) -> Bar: ...


_SINK: ContextVar[Sink | None] = ContextVar("mlgate_progress_sink", default=None)

Advance = Callable[..., None]  # advance(amount=1, note=None)


def _nothing(amount: float = 1, note: str | None = None) -> None:
    return None


@contextmanager
def task(what: str, total: float | None = None, unit: str = "steps") -> Iterator[Advance]:
    """A unit of work of ``total`` ``unit``s (None: not known in advance); yields the
    function that says how much more is done (and, optionally, what it is doing now)."""
    sink = _SINK.get()
    if sink is None:
        yield _nothing
        return
    bar = sink.open(what, total, unit)
    try:
        yield bar.advance
    finally:
        bar.close()


@contextmanager
def shown(sink: Sink | None) -> Iterator[None]:
    """Tasks opened inside go to ``sink`` (None: nowhere)."""
    token = _SINK.set(sink)
    try:
        yield
    finally:
        _SINK.reset(token)
