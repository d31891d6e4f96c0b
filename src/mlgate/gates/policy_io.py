"""What the pure policy reads and what it answers: :class:`Evidence` (everything a gate
may look at, gathered before), :class:`GateResult` per gate and the :class:`Decision`."""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from mlgate.gates import kinds
from mlgate.gates.kinds import Incumbent, Observed, Predictions

Action = Literal["promote", "rollback"]


@dataclass(frozen=True)
class RepoState:
    clean: bool  # git working tree
    dirty_paths: tuple[str, ...] = ()
    dvc_clean: bool = True  # `dvc status` of the model's stages
    dvc_changes: tuple[str, ...] = ()
    lock_mismatches: tuple[str, ...] = ()  # outputs whose bytes differ from dvc.lock


@dataclass(frozen=True)
class Assignment:
    """From the registry: ``version`` (built from ``commit``) entered an environment at
    ``since``; it stays there until ``until`` (a retirement) or the next assignment."""

    version: str
    since: datetime
    commit: str | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class Approvals:
    """Who approved the promotion, and every author and committer of the change, as
    identities of one kind (GitHub logins); compared ignoring case. No authors means they
    are not known: never a guess from another kind of identity."""

    approvers: tuple[str, ...]
    authors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Evidence:
    """Everything a gate may look at, gathered read-only before evaluation."""

    now: datetime
    metrics: dict[str, Any] = field(default_factory=dict)  # merged metrics files, nested
    metrics_error: str | None = None  # why there are no metrics, when there are none
    incumbents: Mapping[str, Incumbent | None] = field(default_factory=dict)  # no key: none
    predictions: Predictions | None = None
    predictions_error: str | None = None  # why predictions is None
    repo: RepoState | None = None  # None: not gathered
    data_changed_at: Mapping[str, datetime] = field(default_factory=dict)  # per data dep
    candidate_version: str | None = None
    candidate_commit: str | None = None
    environment_history: Mapping[str, Sequence[Assignment]] | None = None  # None: not read
    approvals: Approvals | None = None
    # the independent evaluation (gates.independent.Independent): no_regression is paired
    independent: Any = None


@dataclass(frozen=True)
class GateResult:
    gate: str  # the gate's title
    kind: str
    observed: Observed
    expected: str
    passed: bool
    why: str
    details: dict[str, Any] = field(default_factory=dict)
    index: int | None = None  # position in the environment's gate list, for the YAML

    def to_dict(self) -> dict[str, Any]:
        return {"gate": self.gate, "kind": self.kind, "index": self.index,
                "observed": _plain(self.observed), "expected": self.expected,
                "passed": self.passed, "why": self.why, "details": _plain(self.details)}


@dataclass(frozen=True)
class Decision:
    model: str
    environment: str
    results: tuple[GateResult, ...]
    passed: bool
    action: Action = "promote"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data: NaN and infinities become the strings "NaN", "inf", "-inf"."""
        return {"model": self.model, "environment": self.environment, "action": self.action,
                "passed": self.passed, "results": [r.to_dict() for r in self.results]}


def _plain(value: Any) -> Any:
    np = sys.modules.get("numpy")  # no numpy values exist unless a gate imported it
    if np is not None and isinstance(value, np.generic | np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return kinds.lit(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
