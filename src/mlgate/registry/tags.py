"""The registry's tag grammar, GTO-compatible: format and parse, pure.

| action     | tag                    | meaning                                      |
|------------|------------------------|----------------------------------------------|
| register   | `model@v1.2.0`         | version 1.2.0 of model is this commit        |
| deregister | `model@v1.2.0!`        | withdraws that version                       |
| assign     | `model#production#7`   | the version at this commit enters production |
| unassign   | `model#production!#8`  | production no longer serves model            |
| deprecate  | `model@deprecated`     | the whole model is retired                   |

An artifact of a dvc.yaml in a subdirectory is addressed `path/to/dir:name` (see
:func:`mlgate.config.artifacts.artifact_address`); its tags spell the `:` as `=`, as GTO's
do: `path/to/dir=name@v1.0.0`, `path/to/dir=name#production#3`.

The counter after `#` is per model: one more than the highest counter among the model's
tags, so that events on one commit still have an order. `gto show` reads the same tags.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from mlgate.config.artifacts import ADDRESS_SEPARATOR, TAG_SEPARATOR


class Action(Enum):
    REGISTER = "register"
    DEREGISTER = "deregister"
    ASSIGN = "assign"
    UNASSIGN = "unassign"
    DEPRECATE = "deprecate"


_NAME = r"[a-zA-Z0-9](?:[a-zA-Z0-9-/_]*[a-zA-Z0-9])?"
_ARTIFACT = rf"(?:[a-zA-Z0-9-_./]+=)?{_NAME}"
_NUM = r"(?:0|[1-9]\d*)"
_IDENT = r"(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)"
SEMVER = (rf"(?P<major>{_NUM})\.(?P<minor>{_NUM})\.(?P<patch>{_NUM})"
          rf"(?:-(?P<pre>{_IDENT}(?:\.{_IDENT})*))?(?:\+(?P<build>[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?")

_TAG = re.compile(
    rf"^(?P<model>{_ARTIFACT})(?:"
    rf"@v(?P<version>{SEMVER.replace('?P<', '?P<v_')})(?P<dereg>!)?"
    rf"|#(?P<env>{_NAME})(?P<unassign>!)?"
    rf"|@(?P<deprecated>deprecated))"
    rf"(?:#(?P<counter>[0-9]+))?$"
)
_SEMVER = re.compile(rf"^{SEMVER}$")


@dataclass(frozen=True)
class TagName:
    model: str
    action: Action
    version: str | None = None  # without the leading "v"
    env: str | None = None
    counter: int | None = None

    def __str__(self) -> str:
        return format_tag(self)


def in_tag(model: str) -> str:
    """A model's name (or artifact address) as its tags spell it: GTO's `=` for `:`."""
    return model.replace(ADDRESS_SEPARATOR, TAG_SEPARATOR)


def format_tag(tag: TagName) -> str:
    model = in_tag(tag.model)
    if tag.action in (Action.REGISTER, Action.DEREGISTER):
        text = f"{model}@v{tag.version}" + ("!" if tag.action is Action.DEREGISTER else "")
    elif tag.action in (Action.ASSIGN, Action.UNASSIGN):
        text = f"{model}#{tag.env}" + ("!" if tag.action is Action.UNASSIGN else "")
    else:
        text = f"{model}@deprecated"
    return text if tag.counter is None else f"{text}#{tag.counter}"


def parse_tag(name: str) -> TagName | None:
    """The inverse of :func:`format_tag`; None for tags that are not the registry's."""
    match = _TAG.match(name)
    if match is None:
        return None
    model, version, dereg, env, unassign, counter_text = match.group(*_GROUPS)
    model = model.replace(TAG_SEPARATOR, ADDRESS_SEPARATOR)
    counter = int(counter_text) if counter_text else None
    if version:
        action = Action.DEREGISTER if dereg else Action.REGISTER
        return TagName(model, action, version, None, counter)
    if env:
        return TagName(model, Action.UNASSIGN if unassign else Action.ASSIGN, None, env, counter)
    return TagName(model, Action.DEPRECATE, None, None, counter)


_GROUPS = ("model", "version", "dereg", "env", "unassign", "counter")


@dataclass(frozen=True, order=True)
class Version:
    major: int
    minor: int
    patch: int
    pre: str = ""  # pre-releases sort before the release only by this simple rule

    @classmethod
    def parse(cls, text: str) -> Version | None:
        match = _SEMVER.match(text.removeprefix("v"))
        if match is None:
            return None
        return cls(int(match["major"]), int(match["minor"]), int(match["patch"]),
                   match["pre"] or "")

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}" + (f"-{self.pre}" if self.pre else "")

    def sort_key(self) -> tuple[int, int, int, int, str]:
        return (self.major, self.minor, self.patch, 0 if self.pre else 1, self.pre)
