"""The independent evaluation: candidate and incumbents scored by the policy ref's scorer
on the policy ref's holdout, and the metrics computed by mlgate.

What judges comes from :func:`mlgate.evaluation.pinned.pin` (one commit of the policy's
ref, blob ids and the holdout's md5); what is judged is the candidate's artifact as its
dvc.lock records it, and each incumbent's as its deployment record names it (else its
commit's dvc.lock), both read from the local DVC cache. Nothing the candidate wrote is
believed: its metrics files are shown beside these numbers, never instead of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgate.config.dvcfiles import parse_dvc_lock
from mlgate.config.model import Model, NoRegressionGate
from mlgate.errors import MlgateError, NotFound
from mlgate.evaluation.pinned import Pinned, pin, policy_ref

__all__ = ["Independent", "Pinned", "Scored", "find", "pin", "run", "score_models"]
from mlgate.plumbing import git
from mlgate.plumbing.dvccache import cached_file, file_md5, object_intact
from mlgate.registry.state import ModelState

if TYPE_CHECKING:
    from mlgate.evaluation.scoring import Scorable
    from mlgate.gates.candidate import Candidate

CANDIDATE = "candidate"


@dataclass(frozen=True)
class Scored:
    """One model's scores on the holdout and the metrics mlgate computed from them."""

    who: str  # "candidate", or the version in an environment
    artifact_md5: str
    scores: Any  # numpy array aligned with the holdout's rows
    metrics: dict[str, Any]  # name -> value, with "slices": {column: {value: {...}}}


@dataclass(frozen=True, eq=False)
class Independent:
    """Everything the independent evaluation found: the paired gates read it."""

    pinned: Pinned
    rows: int
    labels: Any  # numpy array (class codes for multiclass)
    classes: tuple[Any, ...]
    candidate: Scored
    incumbents: dict[str, Scored | None] = field(default_factory=dict)  # by environment
    slices: dict[str, list[Any]] = field(default_factory=dict)  # slice column -> values
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def task(self) -> str:
        return self.pinned.evaluation.task

    def as_record(self) -> dict[str, Any]:
        return {**self.pinned.as_record(), "rows": self.rows,
                "classes": [c if isinstance(c, int) else str(c) for c in self.classes],
                "candidate": {"artifact_md5": self.candidate.artifact_md5,
                              "metrics": self.candidate.metrics},
                "incumbents": {env: None if s is None else {
                    "version": s.who, "artifact_md5": s.artifact_md5, "metrics": s.metrics}
                    for env, s in self.incumbents.items()}}


def find(root: Path, name: str, given_ref: str | None, *, required: bool = False
         ) -> Pinned | None:
    """The pinned evaluation of model ``name`` at ``given_ref`` (else the default branch);
    None when that ref declares none, or when there is no default branch and none was
    asked for (``required``: an error instead)."""
    try:
        ref = policy_ref(root, given_ref)
    except NotFound:
        if given_ref is not None or required:
            raise
        return None
    found = pin(root, name, ref)
    if found is None and required:
        raise MlgateError(f"model {name!r} declares no evaluation: at {ref.name}",
                          hint="declare `evaluation:` in its pipelines file on the default "
                               "branch (README: \"Independent evaluation\")")
    return found


def run(cand: Candidate, pinned: Pinned, state: ModelState, envs: Sequence[str]) -> Independent:
    """Score the candidate and the incumbent of each of ``envs`` (each artifact once)."""
    artifact = pinned.model.artifact
    cand_md5, cand_path = candidate_artifact(cand, artifact, pinned.model)
    incumbents = {env: incumbent_artifact(cand.root, state, env, artifact,
                                          pinned.model.lock_file) for env in envs}
    return score_models(cand.root, pinned, (cand_md5, cand_path, f"the candidate "
                                            f"({cand.label})"), incumbents)


def score_models(root: Path, pinned: Pinned, candidate: tuple[str, Path, str],
                 incumbents: dict[str, tuple[str, str, Path] | None]) -> Independent:
    """Score ``candidate`` (md5, file, label) and each environment's incumbent (version,
    md5, file; None: nothing serves it) on the pinned holdout; each artifact once."""
    import time

    from mlgate.evaluation import holdout as holdout_mod
    from mlgate.evaluation import metrics as metrics_mod
    from mlgate.evaluation.scoring import Scorable, score_all

    started = time.perf_counter()
    ev = pinned.evaluation
    table = holdout_mod.load(root, pinned)
    labels, classes = _labels(ev.task, table.labels, ev.classes, pinned)
    cand_md5, cand_path, cand_label = candidate
    wanted: dict[str, Scorable] = {cand_md5: Scorable(CANDIDATE, cand_label, cand_path)}
    owners: dict[str, tuple[str, str] | None] = {}
    for env, found in incumbents.items():
        if found is None:
            owners[env] = None
            continue
        version, md5, path = found
        owners[env] = (version, md5)
        wanted.setdefault(md5, Scorable(md5, f"{version} in {env}", path))
    for md5, scorable in wanted.items():
        _check_intact(scorable, md5)
    prepared = time.perf_counter()
    scores = score_all(root, pinned, table, list(wanted.values()), classes)
    scored_at = time.perf_counter()
    by_md5 = {md5: scores[s.name] for md5, s in wanted.items()}
    slices = {c: _groups(table.features.column(c)) for c in ev.slices}

    def measured(who: str, md5: str) -> Scored:
        values = by_md5[md5]
        if ev.task == "multiclass":  # rows written to 6 decimals: sum to 1 exactly again
            values = values / values.sum(axis=1, keepdims=True)
        data = metrics_mod.prepare(ev.task, labels, values)  # sorted once, slices reuse it
        result: dict[str, Any] = {**metrics_mod.computed(ev.task, data), "rows": len(labels)}
        if slices:
            result["slices"] = {column: {name: {**metrics_mod.computed(
                ev.task, data.subset(rows)), "rows": len(rows)}
                for name, rows in groups} for column, groups in slices.items()}
        return Scored(who, md5, values, result)

    served = {env: None if o is None else measured(o[0], o[1]) for env, o in owners.items()}
    mine = measured(CANDIDATE, cand_md5)
    done = time.perf_counter()
    return Independent(pinned, len(labels), labels, classes, mine,
                       served, {c: table.column(c) for c in ev.slices},
                       {"prepare": prepared - started, "score": scored_at - prepared,
                        "metrics": done - scored_at})


def _check_intact(model: Scorable, md5: str) -> None:
    """The artifact's bytes are those its md5 names. The incumbent's md5 comes from the
    registry's record, but the file is the local DVC cache's, which the change's own stages
    (run before the gates, in the same job) or a `.dvc/config` of its own can rewrite: a
    poor model under the incumbent's md5 would pass no_regression, and a good one under the
    candidate's md5 would put a number beside an artifact that never earned it."""
    if not object_intact(model.artifact, md5):
        raise MlgateError(f"the artifact of {model.label} ({model.artifact}) does not match "
                          f"the md5 it is stored under ({md5}): its bytes were changed",
                          hint=f"delete {model.artifact} and bring it again with `dvc fetch` "
                               "from a remote you trust, then run this again")


def _groups(column: Any) -> list[tuple[str, Any]]:
    """(value as text, its row indices) of each slice of ``column`` (a pyarrow column),
    ordered by value; a missing value is the slice "null"."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pc.fill_null(pc.cast(column, pa.string()), "null").combine_chunks()
    encoded = pc.dictionary_encode(text)  # one hash pass; only distinct values reach Python
    distinct = np.array(encoded.dictionary.to_pylist(), dtype=object).astype(str)
    names, rank = np.unique(distinct, return_inverse=True)
    inverse = rank.reshape(-1)[encoded.indices.to_numpy()]
    order = np.argsort(inverse, kind="stable")
    bounds = np.cumsum(np.bincount(inverse, minlength=len(names)))[:-1]
    return [(str(n), rows) for n, rows in zip(names, np.split(order, bounds), strict=True)]


def _labels(task: str, raw: list[Any], declared: Sequence[Any], pinned: Pinned
            ) -> tuple[Any, tuple[Any, ...]]:
    import numpy as np

    from mlgate.evaluation.metrics import check_labels

    shown = f"the holdout {pinned.holdout_path} at {pinned.ref}"
    if task != "multiclass":
        try:
            labels = np.asarray(raw, dtype=np.float64)
        except (TypeError, ValueError):
            raise MlgateError(f"{shown}: labels are not numbers",
                              hint=f"{task} labels are " + ("0 or 1" if task == "binary"
                                                            else "numbers")) from None
        try:
            check_labels(task, labels)  # type: ignore[arg-type]
        except MlgateError as exc:
            raise MlgateError(f"{shown}: {exc.message}", hint=exc.hint) from None
        return labels, ()
    classes = tuple(declared) or tuple(sorted(set(raw), key=lambda v: (str(type(v)), v)))
    code = {str(c): i for i, c in enumerate(classes)}
    unknown = sorted({str(v) for v in raw if str(v) not in code})
    if unknown:
        raise MlgateError(f"{shown}: labels {', '.join(unknown[:5])} are not among the "
                          f"declared classes {', '.join(map(str, classes))}",
                          hint="list every class under evaluation.classes")
    return np.asarray([code[str(v)] for v in raw], dtype=np.int64), classes


def candidate_artifact(cand: Candidate, artifact: str, model: Model | None = None
                       ) -> tuple[str, Path]:
    """(md5, file) of the candidate's artifact as its dvc.lock (the one beside ``model``'s
    pipeline) records it."""
    from mlgate.gates.candidate import read_lock

    lock = read_lock(cand, model)
    entry = lock.out(artifact) if lock else None
    if entry is None or not entry.md5:
        raise MlgateError(f"{artifact} is not recorded in dvc.lock at {cand.label}",
                          hint="run the pipeline (`dvc repro`) and commit dvc.lock")
    path = cached_file(cand.root, entry.md5)
    if not path.is_file() and cand.rev is None and file_md5(cand.root / artifact) == entry.md5:
        path = cand.root / artifact
    if not path.is_file():
        raise NotFound(f"the candidate's {artifact} (md5 {entry.md5[:8]}) is not in the local "
                       "DVC cache", hint=f"bring it with `dvc pull {artifact}`" + (
                           "" if cand.rev is None else " with that revision checked out, or "
                           "`dvc fetch --all-commits`"))
    return entry.md5, path


def incumbent_artifact(root: Path, state: ModelState, env: str, artifact: str,
                       lock_file: str = "dvc.lock") -> tuple[str, str, Path] | None:
    """(version, md5, file) of what serves ``env`` now; None when nothing does."""
    current = state.current(env)
    if current is None:
        return None
    version = f"v{current.version}" if current.version else current.commit[:12]
    record = current.record or {}
    subject = (record.get("subject") or [{}])[0]
    md5 = (subject.get("digest") or {}).get("md5")
    name = subject.get("name") or artifact
    if not md5:  # a tag without mlgate's record: its commit's dvc.lock
        raw = git.cat_files([f"{current.commit}:{lock_file}"], cwd=root)[0]
        entry = parse_dvc_lock(raw.data, lock_file).out(artifact) if raw else None
        md5 = entry.md5 if entry else None
    if not md5:
        raise MlgateError(f"cannot tell which artifact {version} in {env} is: its record "
                          f"names no md5 and dvc.lock at {current.commit[:12]} has no "
                          f"{artifact}", hint="the incumbent must be a DVC output to be scored")
    path = cached_file(root, md5)
    if not path.is_file():
        raise NotFound(f"the incumbent's {name} ({version} in {env}, md5 {md5[:8]}) is not "
                       "in the local DVC cache",
                       hint=f"bring it with `dvc fetch --all-tags` (it is {name} at "
                            f"{current.commit[:12]}), then run this again")
    return version, md5, path


@dataclass(frozen=True, eq=False)
class Evaluated:
    """`mlgate evaluate`'s answer: the evaluation, and each paired comparison made, as
    (environment, the PairedDifference)."""

    independent: Independent
    paired: tuple[tuple[str, Any], ...]
    against: str


def evaluate(root: Path, name: str, *, rev: str | None, against: str | None,
             policy_ref: str | None) -> Evaluated:
    """The candidate (the working tree, or ``rev``) and what ``against`` serves (default:
    the model's last environment) scored by the evaluation the policy's ref declares, and
    compared on the same rows by that environment's `no_regression` gates (else on the
    task's first metric, with a 1,000-resample paired bootstrap)."""
    from mlgate.evaluation.metrics import METRICS
    from mlgate.gates import paired_gate
    from mlgate.gates.candidate import open_candidate
    from mlgate.gates.policy_source import check_environment
    from mlgate.registry.state import read_model

    cand = open_candidate(root, rev)
    pinned = find(root, name, policy_ref, required=True)
    assert pinned is not None
    model = pinned.model
    env = against or model.environment_names[-1]
    check_environment(model, env)
    found = independent_run = run(cand, pinned, read_model(model.address, cwd=root), [env])
    gates = [g for g in (model.environment(env) or model.environments[0]).gates
             if isinstance(g, NoRegressionGate)]
    paired = []
    if independent_run.incumbents.get(env) is not None:
        specs = [(g.metric, g.method, g.level, g.resamples, g.seed) for g in gates
                 if g.metric in METRICS[pinned.evaluation.task]]
        specs = specs or [(METRICS[pinned.evaluation.task][0], "bootstrap", 0.95, 1000, 0)]
        for metric, method, level, resamples, seed in specs:
            paired.append((env, paired_gate.compare(found, env, metric, method=method,
                                                    level=level, resamples=resamples,
                                                    seed=seed)))
    return Evaluated(found, tuple(paired), env)
