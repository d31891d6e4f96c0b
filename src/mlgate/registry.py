"""The registry as git tags: read in ONE `git for-each-ref` pass, folded into state.

Events are replayed per model in counter order (GTO's per-model counter; tags without
one, e.g. version registrations, sort by time). Tags made by GTO alone are read too;
they simply carry no record.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from operator import attrgetter
from pathlib import Path
from typing import Any

from mlgate import git, subproc
from mlgate.ledger import record_from_message
from mlgate.tags import Action, TagName, Version, parse_tag

_FIELDS = ("%(refname:strip=2)", "%(objecttype)", "%(objectname)", "%(*objectname)",
           "%(taggerdate:unix)", "%(creatordate:unix)", "%(taggername)", "%(taggeremail)",
           "%(contents)")


@dataclass(frozen=True)
class TagEvent:
    name: str
    tag: TagName
    commit: str  # what the tag points at (peeled)
    tag_object: str | None  # the annotated tag's own id; None for a lightweight tag
    stamp: int  # tagger time (creation time for a lightweight tag), in Unix seconds
    tagger: str
    message: str

    @cached_property
    def time(self) -> datetime:
        return datetime.fromtimestamp(self.stamp, UTC)

    @cached_property
    def record(self) -> dict[str, Any] | None:
        """The deployment record the tag message carries; parsed when first asked for
        (a registry of 10,000 tags is folded into state without decoding them all)."""
        return record_from_message(self.message) if self.tag_object else None

    # replay order: GTO's per-model counter, then time (registrations have no counter)
    order: tuple[int, int] = field(repr=False, compare=False)


_ORDER = attrgetter("order")


@dataclass(frozen=True)
class Deployment:
    """A version's stay in an environment, from one assignment tag."""

    model: str
    env: str
    version: str | None
    commit: str
    since: datetime
    event: TagEvent
    until: datetime | None = None

    @property
    def record(self) -> dict[str, Any] | None:
        return self.event.record


@dataclass
class ModelState:
    name: str
    events: list[TagEvent] = field(default_factory=list)

    def versions(self) -> dict[str, TagEvent]:
        """Registered versions (withdrawn ones removed), by version string."""
        found: dict[str, TagEvent] = {}
        for ev in sorted(self.events, key=_ORDER):
            if ev.tag.action is Action.REGISTER and ev.tag.version:
                found[ev.tag.version] = ev
            elif ev.tag.action is Action.DEREGISTER and ev.tag.version:
                found.pop(ev.tag.version, None)
        return found

    def version_of(self, commit: str) -> str | None:
        """The highest version registered on ``commit``."""
        candidates = [v for v, ev in self.versions().items() if ev.commit == commit]
        return max(candidates, key=_semver_key) if candidates else None

    def latest_version(self) -> str | None:
        versions = list(self.versions())
        return max(versions, key=_semver_key) if versions else None

    def next_counter(self) -> int:
        return max((ev.tag.counter or 0 for ev in self.events), default=0) + 1

    def timeline(self, env: str) -> list[Deployment]:
        """Every stay in ``env``, oldest first; a retirement ends a stay without a new one."""
        stays: list[Deployment] = []
        for ev in sorted(self.events, key=_ORDER):
            if ev.tag.env != env:
                continue
            if stays and stays[-1].until is None:
                stays[-1] = _ended(stays[-1], ev.time)
            if ev.tag.action is Action.ASSIGN:
                stays.append(Deployment(self.name, env, self._version_for(ev), ev.commit,
                                        ev.time, ev))
        return stays

    def current(self, env: str) -> Deployment | None:
        """The stay that has not ended: the last event in ``env``, when an assignment (the
        last of :meth:`timeline`, without making the others)."""
        last = None
        for ev in sorted(self.events, key=_ORDER):
            if ev.tag.env == env:
                last = ev
        if last is None or last.tag.action is not Action.ASSIGN:
            return None
        return Deployment(self.name, env, self._version_for(last), last.commit, last.time, last)

    def assigned_commits(self, env: str) -> list[str]:
        """Commits whose last event in ``env`` is an assignment: what GTO still counts as
        in that stage (GTO lets several versions share one; mlgate serves the newest)."""
        last: dict[str, Action] = {}
        for ev in sorted(self.events, key=_ORDER):
            if ev.tag.env == env and ev.tag.action in (Action.ASSIGN, Action.UNASSIGN):
                last[ev.commit] = ev.tag.action
        return [commit for commit, action in last.items() if action is Action.ASSIGN]

    def environments(self) -> list[str]:
        return sorted({ev.tag.env for ev in self.events if ev.tag.env})

    def _version_for(self, ev: TagEvent) -> str | None:
        if ev.record is not None:
            version = ev.record.get("predicate", {}).get("version")
            if isinstance(version, str):
                return version
        return self.version_of(ev.commit)


def _ended(stay: Deployment, when: datetime) -> Deployment:
    return Deployment(stay.model, stay.env, stay.version, stay.commit, stay.since, stay.event,
                      when)


def _semver_key(version: str) -> tuple[int, int, int, int, str]:
    parsed = Version.parse(version)
    return parsed.sort_key() if parsed else (-1, -1, -1, -1, version)


@dataclass
class Registry:
    models: dict[str, ModelState] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)  # every tag name, registry's or not

    def model(self, name: str) -> ModelState:
        return self.models.get(name) or ModelState(name)


class _Prefetch:
    """`git for-each-ref` started early, in the background, while the command's own
    modules load. Its output goes to an unnamed temporary file, not a pipe: git never
    waits for Python to drain it."""

    def __init__(self, where: Path, pattern: str) -> None:
        self.where, self.pattern = where, pattern
        self.file = tempfile.TemporaryFile(prefix="mlgate-refs-")  # noqa: SIM115 (closed by take)
        self.proc = subprocess.Popen(_for_each_ref_argv(pattern), cwd=where, stdout=self.file,
                                     stderr=subprocess.DEVNULL, env=subproc.child_env())

    def serves(self, cwd: Path, pattern: str) -> bool:
        """The same refs: ``cwd`` is where the read started or a directory above it (a
        command reads from its repository's root, found by walking up, so no other
        repository can lie between them)."""
        here = cwd.resolve()
        return pattern == self.pattern and (here == self.where or here in self.where.parents)

    def take(self) -> str | None:
        """The output, or None when git failed (the caller's own read reports why)."""
        with self.file:
            if self.proc.wait() != 0:
                return None
            self.file.seek(0)
            return self.file.read().decode("utf-8", "replace")

    def discard(self) -> None:
        with self.file:
            self.proc.kill()
            self.proc.wait()


_pending: _Prefetch | None = None


def prefetch(pattern: str = "refs/tags") -> None:
    """Start reading the registry from the current directory now; the next
    :func:`read_registry` of the same refs takes the result (read-only commands call this
    before importing their modules; a failure here is left for that call to report)."""
    global _pending
    forget_prefetch()
    if "GIT_DIR" not in os.environ:
        try:
            _pending = _Prefetch(Path.cwd().resolve(), pattern)
        except OSError:  # no git, no such directory: the real read says so
            _pending = None


def forget_prefetch() -> None:
    """Drop a read that no command took (it failed first): never served later, when the
    refs may have moved."""
    global _pending
    pending, _pending = _pending, None
    if pending is not None:
        pending.discard()


def _for_each_ref_argv(pattern: str) -> list[str]:
    return ["git", "for-each-ref", "--format=" + "%00".join(_FIELDS) + "%00", pattern]


def _for_each_ref(cwd: Path, pattern: str) -> str:
    global _pending
    pending, _pending = _pending, None  # taken once: a later read sees later refs
    if pending is not None and pending.serves(cwd, pattern):
        out = pending.take()
        if out is not None:
            return out
    elif pending is not None:
        pending.discard()
    return git.git(_for_each_ref_argv(pattern)[1:], cwd=cwd)


def read_registry(*, cwd: Path, pattern: str = "refs/tags") -> Registry:
    out = _for_each_ref(cwd, pattern)
    parts = out.split("\0")
    width = len(_FIELDS)
    registry = Registry()
    models: dict[str, ModelState] = defaultdict(lambda: ModelState(""))
    for i in range(0, len(parts) - width + 1, width):
        name, kind, oid, peeled, tagger_at, created_at, tagger, email, message = parts[i:i + width]
        name = name.lstrip("\n")
        registry.names.add(name)
        parsed = parse_tag(name)
        if parsed is None:
            continue
        annotated = kind == "tag"
        stamp = int(tagger_at or created_at or 0)
        event = TagEvent(name, parsed, peeled if annotated else oid, oid if annotated else None,
                         stamp, f"{tagger} {email}".strip(), message, (parsed.counter or 0, stamp))
        state = models[parsed.model]
        state.name = parsed.model
        state.events.append(event)
    registry.models = dict(models)
    return registry


def read_model(name: str, *, cwd: Path) -> ModelState:
    """One model's registry: only its own tags are read (its counter is per model), so the
    cost does not grow with the other models' history."""
    return read_registry(cwd=cwd, pattern=f"refs/tags/{name}[@#]*").model(name)
