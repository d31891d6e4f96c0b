"""``evaluate(model, environment, evidence) -> Decision``: the policy applied, purely.

No I/O and no clock: everything a gate looks at is in :class:`Evidence`, gathered before,
including ``now``. Every gate yields one :class:`GateResult` saying what was observed,
what was expected and why it passed or failed; nothing raises for a failing gate.
The metric gates are judged in :mod:`mlgate.gates.kinds`; the process checks (reproducible,
freshness, the environment's ``requires`` and ``approval``) here.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from mlgate.config.model import (
    Approval,
    ConfidenceGate,
    FreshnessGate,
    Gate,
    Model,
    NoRegressionGate,
    ReproducibleGate,
    Requires,
    Review,
    SlicesGate,
    ThresholdGate,
)
from mlgate.errors import MlgateError
from mlgate.gates import kinds
from mlgate.gates.kinds import Incumbent, Observed, Predictions, Verdict

__all__ = [
    "Approvals",
    "Assignment",
    "Decision",
    "Evidence",
    "GateResult",
    "Incumbent",
    "Predictions",
    "RepoState",
    "evaluate",
]

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


def evaluate(model: Model, environment: str, evidence: Evidence, *, action: Action = "promote"
             ) -> Decision:
    """Judge the candidate described by ``evidence`` against ``environment``'s policy: its
    ``requires``, its gates (its rollback gates for a rollback), then its ``approval``."""
    env = model.environment(environment)
    if env is None:
        raise MlgateError(f"model {model.name} has no environment {environment!r}",
                          path=model.source or None,
                          hint=f"its environments: {', '.join(model.environment_names)}")
    results: list[GateResult] = []
    if action == "promote":
        results.append(validation(model.review, evidence.now))
    if action == "promote" and env.requires is not None:
        results.append(_requires(env.requires, evidence))
    for gate in env.gates if action == "promote" else env.rollback.gates:
        verdict = _judge(gate, model, environment, evidence)
        results.append(GateResult(gate.title, gate.kind, verdict.observed, verdict.expected,
                                  verdict.passed, verdict.why, verdict.details, gate.index))
    if env.approval is not None and (action == "promote" or env.rollback.approval):
        results.append(_approval(env.approval, evidence))
    return Decision(model.name, environment, tuple(results), all(r.passed for r in results),
                    action)


def _judge(gate: Gate, model: Model, environment: str, evidence: Evidence) -> Verdict:
    if isinstance(gate, ThresholdGate):
        return kinds.threshold(gate, evidence.metrics, evidence.metrics_error)
    if isinstance(gate, NoRegressionGate):
        against = gate.against or environment
        if evidence.independent is not None:
            from mlgate.gates import paired_gate

            return paired_gate.no_regression(gate, against, evidence.independent)
        return kinds.no_regression(gate, against, model.metrics.direction(gate.metric) == "lower",
                                   evidence.metrics, evidence.metrics_error,
                                   evidence.incumbents.get(against))
    if isinstance(gate, ConfidenceGate):
        return kinds.confidence(gate, evidence.predictions, evidence.predictions_error)
    if isinstance(gate, SlicesGate):
        lower = model.metrics.direction(gate.metric) == "lower"
        return kinds.slices(gate, lower, evidence.predictions, evidence.predictions_error)
    if isinstance(gate, ReproducibleGate):
        return _reproducible(evidence.repo)
    if isinstance(gate, FreshnessGate):
        return _freshness(gate, evidence)
    raise TypeError(f"no judge for gates of kind {gate.kind!r}")


def _reproducible(repo: RepoState | None) -> Verdict:
    expected = "clean git tree, clean dvc status, outputs as dvc.lock records them"
    if repo is None:
        return Verdict(None, expected, False, "the repository's state was not gathered")
    problems = []
    if not repo.clean:
        problems.append("uncommitted changes" + _colon(repo.dirty_paths))
    if not repo.dvc_clean:
        problems.append("dvc status is not clean" + _colon(repo.dvc_changes))
    if repo.lock_mismatches:
        problems.append("not as dvc.lock records" + _colon(repo.lock_mismatches))
    details = {"dirty_paths": repo.dirty_paths, "dvc_changes": repo.dvc_changes,
               "lock_mismatches": repo.lock_mismatches}
    if problems:
        return Verdict("not clean", expected, False, "; ".join(problems), details)
    return Verdict("clean", expected, True,
                   "git tree clean, dvc status clean, outputs match dvc.lock", details)


def _colon(items: Sequence[str]) -> str:
    return f": {kinds.listed(list(items))}" if items else ""


def duration(seconds: float) -> str:
    """90061 -> '1d 1h 1m 1s'; every unit shown, so that a boundary reads exactly."""
    sign, rest = ("-" if seconds < 0 else ""), abs(seconds)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{int(count)}{unit}")
    if rest or not parts:
        parts.append(f"{rest:.6g}s")
    return sign + " ".join(parts)


def _freshness(gate: FreshnessGate, evidence: Evidence) -> Verdict:
    changed = evidence.data_changed_at
    what = gate.dependency or "the newest data dependency"
    expected = f"{what} changed within {gate.max_age}"
    if gate.dependency is not None:
        if gate.dependency not in changed:
            return Verdict(None, expected, False,
                           f"no change time is known for {gate.dependency}")
        when = changed[gate.dependency]
    elif not changed:
        return Verdict(None, expected, False,
                       "no change time is known for any data dependency of the model")
    else:
        what, when = max(changed.items(), key=lambda item: item[1])
    age = (evidence.now - when).total_seconds()
    passed = age <= gate.max_age_seconds
    why = f"{what} last changed {when.isoformat()}, {duration(age)} before now"
    why += "" if passed else f"; more than {gate.max_age}"
    details = {"dependency": what, "changed_at": when, "age_seconds": age,
               "max_age_seconds": gate.max_age_seconds}
    return Verdict(duration(age), expected, passed, why, details)


def validation(review: Review, now: datetime) -> GateResult:
    """The "validation" row: a promotion to any environment needs the model's validation
    to hold on ``now``'s date (through the last day of ``review.ends()``). A rollback has
    no such row: it brings back a version judged when it was promoted, and refusing it
    would leave the version being rolled back serving."""
    expected = "model validation current (review.valid_until, last_validated + interval_days)"
    try:
        until = review.ends()
    except ValueError:  # the schema rejects 2026-02-30; a declaration built otherwise may not
        until = None
    if until is None:
        return GateResult("validation", "validation", None, expected, False,
                          "no end of validity is declared as a calendar date "
                          "(review.valid_until or interval_days)")
    today = now.date()
    left = (until - today).days
    details = {"last_validated": review.last_validated, "valid_until": until.isoformat(),
               "days_left": left}
    if left < 0:
        return GateResult("validation", "validation", f"lapsed {until.isoformat()}", expected,
                          False, f"the model's validation lapsed after {until.isoformat()} "
                                 f"(last validated {review.last_validated}); revalidate it "
                                 "and update review: in its declaration on the default branch",
                          details)
    return GateResult("validation", "validation", f"until {until.isoformat()}", expected, True,
                      f"validated {review.last_validated}, valid until {until.isoformat()} "
                      f"({left} days left)", details)


def _requires(requires: Requires, evidence: Evidence) -> GateResult:
    env, soak = requires.environment, requires.soak_seconds
    expected = f"in {env} for at least {requires.soak}" if soak else f"in {env} first"

    def result(observed: Observed, passed: bool, why: str) -> GateResult:
        return GateResult(f"requires {env}", "requires", observed, expected, passed, why)

    if evidence.environment_history is None:
        return result(None, False, f"the registry's history was not read, so it is not known "
                                   f"whether the candidate was in {env}")
    version, commit = evidence.candidate_version, evidence.candidate_commit
    if version is None and commit is None:
        return result(None, False, f"the candidate has no version or commit to look for in "
                                   f"{env}")
    who = version or f"commit {commit}"
    stays: list[tuple[datetime, datetime | None]] = []
    steps = sorted(evidence.environment_history.get(env, ()), key=lambda a: a.since)
    for i, step in enumerate(steps):
        ours = (version is not None and step.version == version) or (
            commit is not None and step.commit == commit)
        if not ours:
            continue
        end = step.until or (steps[i + 1].since if i + 1 < len(steps) else None)
        if stays and stays[-1][1] == step.since:  # assigned again without a gap: one stay
            stays[-1] = (stays[-1][0], end)
        else:
            stays.append((step.since, end))
    if not stays:
        return result(None, False, f"{who} was never in {env}")
    begin, end = max(stays, key=lambda s: (s[1] or evidence.now) - s[0])
    length = ((end or evidence.now) - begin).total_seconds()
    passed = length >= soak
    if end is None:
        why = f"{who} has been in {env} since {begin.isoformat()} ({duration(length)})"
    else:
        why = (f"{who} was in {env} from {begin.isoformat()} until {end.isoformat()} "
               f"({duration(length)})")
    if soak:
        why += f", at least {requires.soak} required" if passed else f"; {requires.soak} required"
    return result(duration(length), passed, why)


def _approval(approval: Approval, evidence: Evidence) -> GateResult:
    need = approval.min_approvers
    expected = f"at least {need} distinct approver{'s' if need != 1 else ''}"
    expected += ", not the candidate's author" if approval.exclude_author else ""

    def result(observed: Observed, passed: bool, why: str) -> GateResult:
        return GateResult("approval", "approval", observed, expected, passed, why)

    given = evidence.approvals
    if given is None:
        return result(None, False, "no approvals were given")
    distinct: dict[str, str] = {}
    for name in given.approvers:
        if name.strip():
            distinct.setdefault(name.strip().casefold(), name.strip())
    authors = {a.strip().casefold() for a in given.authors if a.strip()}
    if approval.exclude_author and distinct and not authors:
        # refused, not counted: any approver might be an author GitHub did not name
        return result(None, False, "the change's authors are not known, so their own "
                                   "approvals cannot be excluded")
    own = ([distinct.pop(a) for a in sorted(authors) if a in distinct]
           if approval.exclude_author else [])
    counted = list(distinct.values())
    passed = len(counted) >= need
    why = f"{len(counted)} distinct approver{'s' if len(counted) != 1 else ''}"
    why += f": {', '.join(counted)}" if counted else ""
    if len(own) == 1:
        why += f" ({own[0]}, the candidate's author, does not count)"
    elif own:
        why += f" ({', '.join(own)}, authors of the change, do not count)"
    why += "" if passed else f"; {need} needed"
    return result(len(counted), passed, why)
