"""One monitoring run: current batches against the reference profile, and the
production metric against the deployed version's record. Returns data; prints nothing.

The dataset verdict is the worst of: schema issues (as the core grades them), feature
drift folded by the declared rule (``alert_when``), prediction drift, and the
performance gap. Prediction drift and the gap alert on their own: either means the
model's output, not just its input, has moved. A batch with no rows is an alert too: no
data is no evidence that nothing moved (a broken logger looks like this).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from mlgate.config.metricsfile import lookup
from mlgate.config.model import Model
from mlgate.errors import MlgateError
from mlgate.evaluation import metrics
from mlgate.monitor import expectations
from mlgate.monitor.batch import Labels, Scan, label_rows, read_labels, scan_batches
from mlgate.monitor.deployed import DeployedReference, deployed_metrics
from mlgate.monitor.distance import Level, worst
from mlgate.monitor.drift import (
    DriftReport,
    FeatureDrift,
    SchemaIssue,
    column_drift,
    compare,
    verdict,
)
from mlgate.monitor.expectations import (
    Signal,
    SliceCheck,
    judge_slices,
    measured_slices,
    tallied_slices,
)
from mlgate.monitor.performance import PerformanceCheck, check_performance
from mlgate.monitor.settings import ACTIONS, CAUSES, MonitoringSettings
from mlgate.monitor.summaries import Profile

NO_ROWS = ("the batch has no rows: nothing could be compared, and an empty batch is an "
           "alert: is production still logging?")


@dataclass(frozen=True)
class MonitorResult:
    model: str
    address: str  # what the model's tags name (Model.address)
    environment: str
    settings: MonitoringSettings
    reference_path: str
    reference: Profile
    current: Profile
    files: tuple[str, ...]
    drift: DriftReport  # features as watched; score judged with the score thresholds
    feature_verdict: Level
    performance: PerformanceCheck | None
    verdict: Level
    notes: tuple[str, ...]
    file_rows: tuple[int, ...] = ()  # rows of each of ``files``
    basis: DeployedReference | None = None  # the profile judged against: version, md5
    findings: tuple[Signal, ...] = ()  # what warns or alerts, by cause
    slices: tuple[SliceCheck, ...] = ()  # production performance per slice
    newest: datetime | None = None  # the newest row's time (monitoring.time_column)

    @property
    def causes(self) -> tuple[str, ...]:
        """Why the run alerts: each alerting cause once, in the order of settings.CAUSES."""
        alerting = {f.cause for f in self.findings if f.level == "alert"}
        return tuple(c for c in CAUSES if c in alerting)

    @property
    def route(self) -> dict[str, tuple[str, ...]]:
        """Each alerting cause and the actions ``on_alert`` routes it to."""
        return {cause: self.settings.on_alert[cause] for cause in self.causes}

    @property
    def actions(self) -> tuple[str, ...]:
        """What the workflows should do now: every alerting cause's route, each action
        once (in the order of settings.ACTIONS); nothing unless the verdict is alert."""
        if self.verdict != "alert":
            return ()
        wanted = {a for actions in self.route.values() for a in actions}
        return tuple(a for a in ACTIONS if a in wanted)

    @property
    def judged_against(self) -> str:
        """Which profile the batches were compared with: the version served and the md5."""
        if self.basis is None:
            return self.reference_path
        return f"{self.basis.source}, md5 {self.basis.md5}"

    @property
    def score_drift(self) -> tuple[FeatureDrift, ...]:
        return (self.drift.score,) if self.drift.score else ()


def _watched(settings: MonitoringSettings, reference: Profile) -> list[str]:
    names = [n for n, _ in reference.schema if n != reference.score_column]
    if settings.features is None:
        return [n for n in names if n not in settings.ignored_columns]
    unknown = [f for f in settings.features if f not in reference.columns]
    if unknown:
        raise MlgateError(f"monitoring.features names {unknown[0]!r}, which the reference "
                          "profile does not have", path=settings.reference,
                          hint=f"the profile has: {', '.join(names)}")
    return list(settings.features)


def _schema(issues: Sequence[SchemaIssue], watched: list[str], score: str | None,
            features_declared: bool) -> tuple[SchemaIssue, ...]:
    """Issues about watched columns; new columns only when every column is watched.
    A batch without the score column is no schema problem (see the notes)."""
    kept = []
    for issue in issues:
        if issue.column == score and issue.kind == "missing_column":
            continue
        if issue.kind == "new_column" and features_declared:
            continue
        if issue.kind != "new_column" and issue.column not in watched and issue.column != score:
            continue
        kept.append(issue)
    return tuple(kept)


@dataclass(frozen=True)
class Labelled:
    """The production performance found: overall, per slice, and how many rows had a
    label (for the `missing` cause)."""

    check: PerformanceCheck | None = None
    slices: tuple[SliceCheck, ...] = ()
    rows: int = 0


def _labelled_in_batch(scan: Scan) -> int:
    if scan.labelled is not None:
        return scan.labelled
    return 0 if scan.label is None else int(np.count_nonzero(~np.isnan(scan.label)))


def labels_as(model: Model, settings: MonitoringSettings) -> Labels:
    """How the monitor reads labels and scores: the task ``evaluation:`` declares (binary
    without one); a multiclass model's scores are one column per declared class."""
    task = model.evaluation.task if model.evaluation is not None else "binary"
    perf = settings.performance
    if perf is not None and perf.metric not in metrics.METRICS[task]:
        raise MlgateError(f"monitoring.performance.metric {perf.metric!r} is no {task} metric",
                          path=model.source, hint=f"{task} metrics: "
                          f"{', '.join(metrics.METRICS[task])}" + (
                              "" if model.evaluation else
                              " (declare evaluation.task for another task)"))
    if task != "multiclass":
        return Labels(task)
    assert model.evaluation is not None
    classes = tuple(str(c) for c in model.evaluation.classes)
    if not classes and perf is not None:
        raise MlgateError("monitoring.performance of a multiclass model needs "
                          "evaluation.classes: production logs one score column per class, "
                          "named as the class", path=model.source,
                          hint="declare evaluation.classes, in the order of the scorer's columns")
    return Labels(task, classes, classes)


def _performance(root: Path, model: Model, env: str, settings: MonitoringSettings,
                 scan: Scan, score_name: str | None, labels: Sequence[str], notes: list[str],
                 how: Labels) -> Labelled:
    perf = settings.performance
    if how.score_columns is not None:
        score_name = ", ".join(how.score_columns)
    if perf is None:
        if scan.label is not None:
            notes.append("labels present, but no monitoring.performance is declared: "
                         "performance gap not checked")
        return Labelled(rows=_labelled_in_batch(scan))
    if not labels and scan.label is None:
        notes.append("no labels (pass --labels, or include the label column "
                     f"{settings.label or '(monitoring.label)'!r}): performance gap not checked")
        return Labelled()
    if not scan.has_score:
        if labels and score_name is None:
            raise MlgateError("the reference profile names no score column; the performance "
                              "gap needs the model's scores", path=settings.reference,
                              hint="profile the training data with `mlgate profile "
                                   "--score-column COL`, and log that column in production")
        if labels:
            raise MlgateError(f"the batch has no score column {score_name!r}; the performance "
                              "gap needs the model's scores",
                              hint="log the model's score with each production row")
        notes.append("labels present but no score column: performance gap not checked")
        return Labelled(rows=_labelled_in_batch(scan))
    known: npt.NDArray[np.bool_] | None = None
    label = score = np.zeros(0)
    tallied = scan.tallied  # an engine that joined the labels itself (Spark)
    if tallied is not None:
        unlabelled = tallied.unlabelled
    elif labels:
        assert settings.id_column is not None and settings.label is not None
        assert scan.ids is not None
        label_ids, values = read_labels(labels, id_column=settings.id_column,
                                        label=settings.label, labels_as=how)
        known, label = label_rows(scan.ids, label_ids, values)
        unlabelled = int(scan.ids.size - np.count_nonzero(known)) + scan.without_id
    else:
        assert scan.label is not None
        known = ~np.isnan(scan.label)
        label = scan.label[known]
        unlabelled = int(scan.label.size - np.count_nonzero(known))
    if known is not None:
        score = scan.score[known]
    record = deployed_metrics(root, model, env)
    recorded = lookup(record.metrics, perf.metric)
    if not isinstance(recorded, int | float) or isinstance(recorded, bool):
        raise MlgateError(f"the recorded metrics have no number {perf.metric!r}",
                          path=model.metrics.files[0], hint=f"read from {record.source}")
    direction = model.metrics.direction(perf.metric)
    check = check_performance(perf.metric, label, score, recorded=float(recorded),
                              recorded_source=record.source, max_gap=perf.max_gap,
                              min_rows=perf.min_rows, unlabelled=unlabelled,
                              direction=direction, task=how.task,
                              tally=tallied.overall if tallied is not None else None)
    slices: list[SliceCheck] = []
    if settings.slices is not None:
        from mlgate.gates.predictions import slice_columns

        columns = ({c: v[known] for c, v in (scan.slices or {}).items()}
                   if known is not None else {})
        present = set(columns) if tallied is None else set(tallied.slices)
        for column in slice_columns(model):
            if column not in present:
                notes.append(f"the batch has no slice column {column!r}: its slices not "
                             "checked")
        measured = (tallied_slices(tallied, perf.metric) if tallied is not None
                    else measured_slices(perf.metric, label, score, columns, task=how.task))
        slices = judge_slices(perf.metric, direction, measured, record.metrics,
                              settings.slices)
    return Labelled(check, tuple(slices), check.rows)


class Scanner(Protocol):
    """How an engine reads the batches: :func:`mlgate.monitor.batch.scan_batches`'s
    arguments; ``labels`` and ``metric`` are for an engine that joins labels itself and
    returns :class:`mlgate.monitor.batch.Tallied` (the local engine joins them
    afterwards); ``time_column``: the column whose newest and oldest time the scan
    returns (``Scan.times``)."""

    def __call__(self, current: Sequence[str], *, reference: Profile, ignore: Collection[str],
                 label: str | None, id_column: str | None, labels: Sequence[str],
                 metric: str | None, labels_as: Labels, slices: Collection[str],
                 time_column: str | None) -> Scan: ...


def _local_scan(current: Sequence[str], *, reference: Profile, ignore: Collection[str],
                label: str | None, id_column: str | None, labels: Sequence[str],
                metric: str | None, labels_as: Labels, slices: Collection[str],
                time_column: str | None) -> Scan:
    scan = scan_batches(current, reference=reference, ignore=ignore, label=label,
                        id_column=id_column, labels_as=labels_as, slices=slices)
    if time_column is None:
        return scan
    files = [f for f in scan.files if isinstance(f, Path)]
    return replace(scan, times=expectations.time_range(files, time_column))


def run_monitor(root: Path, model: Model, env: str, settings: MonitoringSettings,
                reference: Profile, current: Sequence[str], labels: Sequence[str] = (),
                notes: Sequence[str] = (), basis: DeployedReference | None = None, *,
                now: datetime, scanner: Scanner = _local_scan) -> MonitorResult:
    """Monitor ``current`` batches (paths, globs, directories); ``labels`` are label files
    joined on ``monitoring.id``; ``notes`` are the caller's remarks, kept in the result;
    ``basis`` says which version's profile ``reference`` is; ``now`` is the time the
    batch's age and the validation date are judged at; ``scanner`` reads the batches
    (default: this process, streamed)."""
    if labels and (settings.id_column is None or settings.label is None):
        missing = "id" if settings.id_column is None else "label"
        raise MlgateError(f"--labels needs monitoring.{missing}: the column to join on",
                          path=model.source,
                          hint="declare monitoring.id (row id) and monitoring.label (0/1 label)")
    from mlgate.gates.predictions import slice_columns

    watched = _watched(settings, reference)
    how = labels_as(model, settings)
    scan = scanner(current, reference=reference, ignore=settings.ignored_columns,
                   label=settings.label, id_column=settings.id_column if labels else None,
                   labels=labels,
                   metric=settings.performance.metric if settings.performance else None,
                   labels_as=how, slices=slice_columns(model) if settings.slices else (),
                   time_column=settings.expect.time_column)
    remarks = list(notes)
    empty = scan.profile.rows == 0
    if empty:
        remarks.append(NO_ROWS)
    score_name = reference.score_column
    report = compare(reference, scan.profile, settings.drift)
    features = tuple(f for f in report.features if f.column in watched)
    score = None
    if score_name is not None and score_name in scan.profile.columns:
        score = column_drift(score_name, reference.columns[score_name],
                             scan.profile.columns[score_name], settings.score)
    elif score_name is not None:
        remarks.append(f"the batch has no score column {score_name!r}: prediction drift "
                     "not checked")
    drift = DriftReport(_schema(report.schema, watched, score_name, settings.features is not None),
                        features, score, report.reference_rows, report.current_rows)
    labelled = _performance(root, model, env, settings, scan, score_name, labels, remarks,
                            how)
    performance = labelled.check
    feature_level = verdict(features, settings.rule)
    expect = settings.expect
    times = scan.times
    unlabelled, due = expectations.labels_due(labelled.rows, scan.score.size or scan.profile.rows,
                                           times, expect, now)
    remarks += due
    findings = [
        *(Signal("schema", i.level, f"{i.kind.replace('_', ' ')} {i.column}")
          for i in drift.schema),
        *([Signal("drift", feature_level, "feature drift: " + ", ".join(
            f.column for f in features if f.level != "ok"))] if feature_level != "ok" else []),
        *([Signal("drift", score.level, f"prediction drift ({score.column})")]
          if score and score.level != "ok" else []),
        *([Signal("performance", performance.level,
                   performance.note or f"{performance.metric} gap")]
          if performance and performance.level != "ok" else []),
        *(expectations.slice_findings(labelled.slices, settings.performance.metric,
                                      settings.slices.max_gap)
          if settings.performance and settings.slices else []),
        *([Signal("empty", "alert", "the batch has no rows")] if empty else []),
        *expectations.volume(scan.profile.rows, expect),
        *expectations.lateness(times, scan.profile.rows, expect, now),
        *unlabelled,
        *expectations.validation(model.review, now,
                                 serving=basis is not None and basis.commit is not None),
    ]
    overall = worst([feature_level, *(f.level for f in findings)])
    return MonitorResult(
        model=model.name, environment=env, settings=settings,
        reference_path=settings.reference, reference=reference, current=scan.profile,
        files=tuple(str(f) for f in scan.files), drift=drift, feature_verdict=feature_level,
        performance=performance, verdict=overall, notes=tuple(remarks), basis=basis,
        findings=tuple(findings), slices=labelled.slices,
        newest=times[1] if times else None, file_rows=scan.file_rows, address=model.address,
    )
