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
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from mlgate.config.metricsfile import lookup
from mlgate.config.model import Model
from mlgate.errors import MlgateError
from mlgate.monitor.batch import Scan, join_labels, read_labels, scan_batches
from mlgate.monitor.deployed import deployed_metrics
from mlgate.monitor.distance import Level, worst
from mlgate.monitor.drift import (
    DriftReport,
    FeatureDrift,
    SchemaIssue,
    column_drift,
    compare,
    verdict,
)
from mlgate.monitor.performance import PerformanceCheck, check_performance
from mlgate.monitor.settings import MonitoringSettings
from mlgate.monitor.summaries import Profile

NO_ROWS = ("the batch has no rows: nothing could be compared, and an empty batch is an "
           "alert: is production still logging?")


@dataclass(frozen=True)
class MonitorResult:
    model: str
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

    @property
    def actions(self) -> tuple[str, ...]:
        """What the workflows should do now: the declared ``on_alert``, on alert only."""
        return self.settings.on_alert if self.verdict == "alert" else ()

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


def _performance(root: Path, model: Model, env: str, settings: MonitoringSettings,
                 scan: Scan, score_name: str | None, labels: Sequence[str], notes: list[str]
                 ) -> PerformanceCheck | None:
    perf = settings.performance
    if perf is None:
        if scan.label is not None:
            notes.append("labels present, but no monitoring.performance is declared: "
                         "performance gap not checked")
        return None
    if not labels and scan.label is None:
        notes.append("no labels (pass --labels, or include the label column "
                     f"{settings.label or '(monitoring.label)'!r}): performance gap not checked")
        return None
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
        return None
    weight = None
    if scan.pairs is not None:
        label, score, weight = scan.pairs.label, scan.pairs.score, scan.pairs.weight
        unlabelled = scan.pairs.unlabelled
    elif labels:
        assert settings.id_column is not None and settings.label is not None
        assert scan.ids is not None
        label_ids, values = read_labels(labels, id_column=settings.id_column,
                                        label=settings.label)
        label, score, unlabelled = join_labels(scan.ids, scan.score, label_ids, values)
        unlabelled += scan.without_id
    else:
        assert scan.label is not None
        known = ~np.isnan(scan.label)
        label, score = scan.label[known], scan.score[known]
        unlabelled = int(scan.label.size - np.count_nonzero(known))
    record = deployed_metrics(root, model, env)
    recorded = lookup(record.metrics, perf.metric)
    if not isinstance(recorded, int | float) or isinstance(recorded, bool):
        raise MlgateError(f"the recorded metrics have no number {perf.metric!r}",
                          path=model.metrics.files[0], hint=f"read from {record.source}")
    return check_performance(perf.metric, label, score, recorded=float(recorded),
                             recorded_source=record.source, max_gap=perf.max_gap,
                             min_rows=perf.min_rows, unlabelled=unlabelled,
                             direction=model.metrics.direction(perf.metric), weight=weight)


class Scanner(Protocol):
    """How an engine reads the batches: :func:`mlgate.monitor.batch.scan_batches`'s
    arguments; ``labels`` and ``metric`` are for an engine that joins labels itself and
    returns :class:`mlgate.monitor.batch.Pairs` (the local engine joins them afterwards)."""

    def __call__(self, current: Sequence[str], *, reference: Profile, ignore: Collection[str],
                 label: str | None, id_column: str | None, labels: Sequence[str],
                 metric: str | None) -> Scan: ...


def _local_scan(current: Sequence[str], *, reference: Profile, ignore: Collection[str],
                label: str | None, id_column: str | None, labels: Sequence[str],
                metric: str | None) -> Scan:
    return scan_batches(current, reference=reference, ignore=ignore, label=label,
                        id_column=id_column)


def run_monitor(root: Path, model: Model, env: str, settings: MonitoringSettings,
                reference: Profile, current: Sequence[str], labels: Sequence[str] = (),
                notes: Sequence[str] = (), scanner: Scanner = _local_scan) -> MonitorResult:
    """Monitor ``current`` batches (paths, globs, directories); ``labels`` are label files
    joined on ``monitoring.id``; ``notes`` are the caller's remarks, kept in the result;
    ``scanner`` reads the batches (default: this process, streamed)."""
    if labels and (settings.id_column is None or settings.label is None):
        missing = "id" if settings.id_column is None else "label"
        raise MlgateError(f"--labels needs monitoring.{missing}: the column to join on",
                          path=model.source,
                          hint="declare monitoring.id (row id) and monitoring.label (0/1 label)")
    watched = _watched(settings, reference)
    scan = scanner(current, reference=reference, ignore=settings.ignored_columns,
                   label=settings.label, id_column=settings.id_column if labels else None,
                   labels=labels,
                   metric=settings.performance.metric if settings.performance else None)
    remarks = list(notes)
    empty = scan.profile.rows == 0
    if empty:
        remarks.append(NO_ROWS)
    score_name = reference.score_column
    report = compare(reference, scan.profile, settings.drift)
    features = tuple(f for f in report.features if f.column in watched)
    score = None
    if score_name is not None and scan.has_score:
        score = column_drift(score_name, reference.columns[score_name],
                             scan.profile.columns[score_name], settings.score)
    elif score_name is not None:
        remarks.append(f"the batch has no score column {score_name!r}: prediction drift "
                     "not checked")
    drift = DriftReport(_schema(report.schema, watched, score_name, settings.features is not None),
                        features, score, report.reference_rows, report.current_rows)
    performance = _performance(root, model, env, settings, scan, score_name, labels, remarks)
    feature_level = verdict(features, settings.rule)
    overall = worst([*(i.level for i in drift.schema), feature_level,
                     *(f.level for f in ([score] if score else [])),
                     *([performance.level] if performance else []),
                     *(("alert",) if empty else ())])
    return MonitorResult(
        model=model.name, environment=env, settings=settings,
        reference_path=settings.reference, reference=reference, current=scan.profile,
        files=tuple(str(f) for f in scan.files), drift=drift, feature_verdict=feature_level,
        performance=performance, verdict=overall, notes=tuple(remarks),
    )
