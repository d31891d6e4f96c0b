"""A computed attribute, worked out on first read and kept: for objects made by thousands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

T = TypeVar("T")


class once(Generic[T]):  # lower case: a decorator, like cached_property
    """:func:`functools.cached_property` without its lock: Python 3.11 takes one on each
    first read, which showed in the profile of `history` at 10,000 records. It writes the
    instance's ``__dict__`` itself, so frozen dataclasses may use it too."""

    def __init__(self, func: Callable[[Any], T]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> once[T]: ...
    @overload
    def __get__(self, obj: object, owner: type | None = None) -> T: ...

    def __get__(self, obj: object | None, owner: type | None = None) -> T | once[T]:
        if obj is None:
            return self
        value = self.func(obj)
        obj.__dict__[self.name] = value  # read from there from now on (no __set__ here)
        return value
