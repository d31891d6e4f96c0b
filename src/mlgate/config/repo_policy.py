"""The repository's own policy, `pipelines/_policy.yaml`: what binds every model (the floor
of gates per risk tier and environment) and every record (signatures).

Invariant: the file that judges a change is read at a ref (the default branch), never from
the change itself; :func:`read_at` is that read. A file that is not there is ``None``, a
file that is there but wrong is an InvalidFile with file:line. The file is not a model:
`config.root.declaration_paths` skips names that start with an underscore.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlgate.config import schema
from mlgate.config.model import Environment, build_environment
from mlgate.config.root import PIPELINES_DIR
from mlgate.config.yamlio import load_bytes
from mlgate.errors import InvalidFile, MlgateError, Problem
from mlgate.plumbing import git

POLICY_FILE = f"{PIPELINES_DIR}/_policy.yaml"
TIERS = ("low", "medium", "high")


@dataclass(frozen=True)
class Records:
    """What a deployment record must carry."""

    signed: bool = False
    allowed_signers: str | None = None  # a path in the repository, read at the same ref


@dataclass(frozen=True)
class TierFloor:
    """The floor of one risk tier: per environment name, and for every environment."""

    environments: dict[str, Environment] = field(default_factory=dict)
    every_environment: Environment | None = None

    def binding(self, environment: str) -> tuple[Environment, ...]:
        """The floors that bind a model's environment called ``environment``."""
        found = [] if self.every_environment is None else [self.every_environment]
        if environment in self.environments:
            found.append(self.environments[environment])
        return tuple(found)


@dataclass(frozen=True)
class RepoPolicy:
    """A validated `pipelines/_policy.yaml` and where it was read."""

    floors: dict[str, TierFloor] = field(default_factory=dict)
    records: Records = field(default_factory=Records)
    source: str = POLICY_FILE  # "pipelines/_policy.yaml" or "<ref>:pipelines/_policy.yaml"
    ref: str | None = None  # the fully qualified ref it was read at; None: the working tree
    blob: str | None = None  # git blob id of the file, for the records that cite it

    def floor(self, tier: str) -> TierFloor | None:
        return self.floors.get(tier)


def parse(raw: bytes, shown: str, ref: str | None = None) -> RepoPolicy:
    """The repository policy in ``raw``, schema-checked; InvalidFile listing every problem."""
    doc = load_bytes(raw, shown)
    data = {} if doc.data is None else doc.data
    if not isinstance(data, dict):
        raise InvalidFile.from_problems([Problem(
            f"expected a mapping at the top level, got {schema.describe(data)}", shown, 1, 1,
            hint="the repository policy is a mapping: `floors: ...`, `records: ...`")])
    problems = schema.validate(doc, "repo_policy") if doc.data is not None else []
    if problems:
        raise InvalidFile.from_problems(problems)
    return _build(data, shown, ref, git.blob_id(raw))


def _build(data: dict[str, Any], shown: str, ref: str | None, blob: str) -> RepoPolicy:
    floors = {}
    for tier, raw in data.get("floors", {}).items():
        every = raw.get("every_environment")
        floors[tier] = TierFloor(
            environments={name: build_environment({**env, "name": name})
                          for name, env in raw.get("environments", {}).items()},
            every_environment=None if every is None else build_environment(
                {**every, "name": "every_environment"}))
    records = data.get("records", {})
    return RepoPolicy(floors, Records(records.get("signed", False),
                                      records.get("allowed_signers")), shown, ref, blob)


def read_workspace(root: Path) -> RepoPolicy | None:
    """The repository policy in the working tree (what `validate` checks), or None."""
    path = root / POLICY_FILE
    try:
        raw = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise MlgateError(f"cannot read: {exc.strerror or exc}", path=POLICY_FILE,
                          hint="check the file's permissions and where it links to") from None
    return parse(raw, POLICY_FILE)


def read_at(root: Path, ref: str) -> RepoPolicy | None:
    """The repository policy as it is at ``ref`` (resolved fully qualified; an ambiguous
    name is refused), or None when the file is not there."""
    resolved = git.resolve_ref(ref, cwd=root)
    return read_commit(root, resolved.commit, resolved.name)


def read_commit(root: Path, commit: str, ref: str) -> RepoPolicy | None:
    """The repository policy at ``commit``, which the caller resolved from ``ref``."""
    raw = git.RevReader(commit, cwd=root)(POLICY_FILE)
    return None if raw is None else parse(raw, f"{ref}:{POLICY_FILE}", ref)
