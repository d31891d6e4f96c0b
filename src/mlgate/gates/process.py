"""The process checks: `reproducible` (clean git and DVC, outputs as dvc.lock records
them), `freshness` of the data, the model's validation date, and the environment's
`requires` (soak time in an earlier environment) and `approval` (who may approve, never the
change's own authors). Pure: the clock is ``evidence.now``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from mlgate.config.model import Approval, FreshnessGate, Requires, Review
from mlgate.gates import kinds
from mlgate.gates.kinds import Observed, Verdict
from mlgate.gates.policy_io import Evidence, GateResult, RepoState


def reproducible(repo: RepoState | None) -> Verdict:
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


def freshness(gate: FreshnessGate, evidence: Evidence) -> Verdict:
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


def requires(requires: Requires, evidence: Evidence) -> GateResult:
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


def approval(approval: Approval, evidence: Evidence) -> GateResult:
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
