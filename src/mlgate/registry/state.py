"""The registry as git tags: read in ONE `git for-each-ref` pass, folded into state.

Events are replayed per model in counter order (GTO's per-model counter; tags without
one, e.g. version registrations, sort by time). Tags made by GTO alone are read too;
they simply carry no record.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import attrgetter
from pathlib import Path
from typing import Any

from mlgate.errors import MlgateError, suggest
from mlgate.plumbing import git
from mlgate.plumbing.once import once
from mlgate.registry.ledger import record_from_message
from mlgate.registry.tags import Action, TagName, Version, in_tag, parse_tag

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
    # replay order: GTO's per-model counter, then time (registrations have no counter)
    order: tuple[int, int] = field(repr=False, compare=False)
    # the annotated tag's message ("" for a lightweight tag); None until it is read
    loaded_message: str | None = field(default=None, repr=False, compare=False)

    @once
    def time(self) -> datetime:
        return datetime.fromtimestamp(self.stamp, UTC)

    @property
    def message(self) -> str:
        if self.loaded_message is None:
            raise RuntimeError(f"the message of {self.name} was not read "
                               "(Registry.load_messages)")
        return self.loaded_message

    @once
    def record(self) -> dict[str, Any] | None:
        """The deployment record the tag message carries; parsed when first asked for
        (a registry of 10,000 tags is folded into state without decoding them all)."""
        return record_from_message(self.message) if self.tag_object else None


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

    # the registered versions, and the highest per commit, made once per list of events:
    # history asks for a version per tag, and a GTO-only registry has thousands of them
    _made: tuple[int, int, dict[str, TagEvent], dict[str, str]] | None = field(
        default=None, init=False, repr=False, compare=False)

    def _versions(self) -> tuple[dict[str, TagEvent], dict[str, str]]:
        key = (id(self.events), len(self.events))
        if self._made is None or self._made[:2] != key:
            found: dict[str, TagEvent] = {}
            for ev in sorted(self.events, key=_ORDER):
                if ev.tag.action is Action.REGISTER and ev.tag.version:
                    found[ev.tag.version] = ev
                elif ev.tag.action is Action.DEREGISTER and ev.tag.version:
                    found.pop(ev.tag.version, None)
            highest: dict[str, str] = {}
            for version, ev in found.items():
                known = highest.get(ev.commit)
                if known is None or _semver_key(version) > _semver_key(known):
                    highest[ev.commit] = version
            self._made = (*key, found, highest)
        return self._made[2], self._made[3]

    def versions(self) -> dict[str, TagEvent]:
        """Registered versions (withdrawn ones removed), by version string."""
        return dict(self._versions()[0])

    def version_of(self, commit: str) -> str | None:
        """The highest version registered on ``commit``."""
        return self._versions()[1].get(commit)

    def commit_versions(self) -> dict[str, str]:
        """:meth:`version_of` of every commit that has a version."""
        return dict(self._versions()[1])

    def latest_version(self) -> str | None:
        versions = list(self._versions()[0])
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

    def last_event(self, env: str) -> TagEvent | None:
        last = None
        for ev in sorted(self.events, key=_ORDER):
            if ev.tag.env == env:
                last = ev
        return last

    def current(self, env: str) -> Deployment | None:
        """The stay that has not ended: the last event in ``env``, when an assignment (the
        last of :meth:`timeline`, without making the others)."""
        last = self.last_event(env)
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
    root: Path | None = None  # the repository read (None: an empty registry)
    models: dict[str, ModelState] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)  # every tag name, registry's or not
    # a subdirectory artifact's address -> the declared model its tags are (models are
    # kept under the declaration's name; see mlgate.registry.addresses)
    aliases: dict[str, str] = field(default_factory=dict)

    def model(self, name: str) -> ModelState:
        """The model declared as ``name``, or tagged by that name or address."""
        return (self.models.get(name) or self.models.get(self.aliases.get(name, ""))
                or ModelState(self.aliases.get(name, name)))

    def declared_as(self, tagged: str) -> str:
        """The name mlgate knows a tagged model (or address) by."""
        return self.aliases.get(tagged, tagged)

    def use_declarations(self, aliases: dict[str, str]) -> None:
        """Key the models tagged by a subdirectory artifact's address by the name of the
        declaration that claims that address."""
        self.aliases = aliases
        for address, name in aliases.items():
            state = self.models.pop(address, None)
            if state is not None and name not in self.models:
                state.name = name
                self.models[name] = state
            elif state is not None:  # tags under both: keep them apart, as tagged
                self.models[address] = state

    def load_messages(self, events: Iterable[TagEvent]) -> None:
        """Read the messages of ``events`` that were left out, in one `git cat-file`."""
        wanted = [ev for ev in events if ev.loaded_message is None]
        if not wanted or self.root is None:
            return
        found = git.cat_objects([ev.tag_object or ev.commit for ev in wanted], cwd=self.root)
        for ev, (_, _, data) in zip(wanted, found, strict=True):
            _, _, message = data.partition(b"\n\n")
            object.__setattr__(ev, "loaded_message", message.decode("utf-8", "replace"))


TAG_NAMES = ["for-each-ref", "--format=%(refname:strip=2)", "refs/tags"]


def registry_tag_names(listed: bytes, besides: Container[str] = ()) -> set[str]:
    """Names of the tags in the registry's grammar, from the output of `git` :data:`TAG_NAMES`
    (refs only: no tag object is read), leaving out those ``besides`` holds."""
    names = listed.decode("utf-8", "replace").splitlines()
    return {name for name in names if name not in besides and parse_tag(name) is not None}


def model_names(registry: Registry, declared: set[str] | list[str], model: str | None
                ) -> list[str]:
    """The models to list: every declared one and every one the registry knows (sorted),
    or only ``model``, refused with the closest name when it is neither."""
    names = sorted(set(declared) | set(registry.models))
    if model is None:
        return names
    model = registry.declared_as(model)  # `models/a:churn`: the model declared so
    if model not in names:
        close = suggest(model, names)
        tip = f"did you mean {close!r}? " if close else ""
        raise MlgateError(f"no model named {model!r} in pipelines/ or in the registry",
                          hint=f"{tip}known: {', '.join(names) or 'none'}")
    return [model]


def read_registry(*, cwd: Path, pattern: str = "refs/tags", messages: bool = True) -> Registry:
    """Every tag matching ``pattern``, in one `git for-each-ref`. Without ``messages`` the
    tag messages (the records, nearly all of the bytes) are left out and read later, in
    one batch, for the events a command asks for (:meth:`Registry.load_messages`)."""
    return RegistryReading(cwd, pattern, messages=messages).result()


class RegistryReading:
    """:func:`read_registry`, started: git lists the tags while mlgate does other work."""

    def __init__(self, cwd: Path, pattern: str = "refs/tags", *, messages: bool = True) -> None:
        self.cwd, self.messages = cwd, messages
        fields = _FIELDS if messages else _FIELDS[:-1]
        self._listing = git.start(["for-each-ref", "--format=" + "%00".join(fields) + "%00",
                                   pattern], cwd=cwd)

    def result(self, each: Callable[[list[TagEvent]], None] | None = None, *,
               names: Callable[[list[str]], None] | None = None) -> Registry:
        """The registry, folded as git writes the listing. ``each`` is given each piece's
        events (the registry's tags), in the listing's order, meanwhile; ``names``, every
        tag's name and object id (a list of both, in turn), registry's tags or not."""
        width = len(_FIELDS) if self.messages else len(_FIELDS) - 1
        registry = Registry(self.cwd)
        models: dict[str, ModelState] = {}
        for fields in listed_fields(self._listing.chunks(), width):
            if names is not None:  # the fields are name, type, object id, ...
                names([x for pair in zip(fields[::width], fields[2::width], strict=True)
                       for x in pair])
            events = _fold(registry, models, fields, width)
            if each is not None and events:
                each(events)
        registry.models = models
        if any(":" in name for name in registry.models):  # a subdirectory artifact's tags
            from mlgate.registry.addresses import declared_addresses

            registry.use_declarations(declared_addresses(self.cwd))
        return registry


def listed_fields(pieces: Iterable[bytes], width: int) -> Iterator[list[str]]:
    """The fields of a `for-each-ref` listing (each ends in NUL, ``width`` to a tag), those
    of whole tags only, as the pieces of git's output come: each piece is cut at its last
    NUL (a field's end, so never inside a UTF-8 character) and the rest waits."""
    fields: list[str] = []  # of a tag whose fields have not all come yet
    rest = b""
    for piece in pieces:
        data = rest + piece if rest else piece
        cut = data.rfind(b"\0") + 1
        if not cut:
            rest = data
            continue
        fields += data[:cut - 1].decode("utf-8", "replace").split("\0")
        rest = data[cut:]
        whole = len(fields) - len(fields) % width
        if whole:
            yield fields[:whole]
            del fields[:whole]


def _fold(registry: Registry, models: dict[str, ModelState], parts: list[str],
          width: int) -> list[TagEvent]:
    """The tags of ``parts`` (``width`` fields each, :data:`_FIELDS` in order, the message
    last when there is one) added to ``registry`` and ``models``; the events made."""
    made: list[TagEvent] = []
    names = registry.names
    messages = width == len(_FIELDS)
    new = object.__new__
    for i in range(0, len(parts), width):
        name, kind, oid, peeled, tagger_at, created_at, tagger, email = parts[i:i + 8]
        name = name.lstrip("\n")
        names.add(name)
        parsed = parse_tag(name)
        if parsed is None:
            continue
        annotated = kind == "tag"
        stamp = int(tagger_at or created_at or 0)
        # made without the frozen dataclass's __init__ (one object.__setattr__ a field):
        # ten thousand are made per listing
        event = new(TagEvent)
        event.__dict__.update(
            name=name, tag=parsed, commit=peeled if annotated else oid,
            tag_object=oid if annotated else None, stamp=stamp,
            tagger=f"{tagger} {email}".strip(), order=(parsed.counter or 0, stamp),
            loaded_message=(parts[i + 8] if messages else None) if annotated else "")
        state = models.get(parsed.model)
        if state is None:
            state = models[parsed.model] = ModelState(parsed.model)
        state.events.append(event)
        made.append(event)
    return made


def read_model(address: str, *, cwd: Path) -> ModelState:
    """One model's registry: only its own tags are read (its counter is per model), so the
    cost does not grow with the other models' history. ``address``: what its tags name
    (:attr:`mlgate.config.model.Model.address`, from the declaration that judges; never
    guessed here from the working tree's, which a pull request controls)."""
    return read_registry(cwd=cwd, pattern=f"refs/tags/{in_tag(address)}[@#]*").model(address)
