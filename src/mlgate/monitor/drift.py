"""Compare a current profile with a reference profile: pure functions, dataclass results.

Each column gets a :class:`FeatureDrift` with classified statistics; structural schema
differences are :class:`SchemaIssue` rows; :func:`verdict` folds per-feature levels into a
dataset-level ``ok`` / ``warn`` / ``alert`` under a :class:`VerdictRule`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from mlgate.monitor.distance import (
    DEFAULT_EPSILON,
    Level,
    Thresholds,
    aligned_counts,
    jensen_shannon,
    normalised_wasserstein,
    psi,
    sketch_psi,
    worst,
)
from mlgate.monitor.summaries import (
    CategoricalSummary,
    ColumnKind,
    ColumnSummary,
    NumericSummary,
    Profile,
)


@dataclass(frozen=True)
class DriftConfig:
    """Thresholds for every statistic, as ``Thresholds(warn, alert)``.

    Defaults, and why (all effect sizes; at 1M rows sampling noise is far below them):

    - ``psi`` 0.1 / 0.25: the industry rule of thumb (0.1 "some change", 0.25 "major
      shift"). On deciles a 0.02-sd mean shift scores ~0.0003; a 0.5-sd shift of a
      normal ~0.24, so PSI alone misses it by a hair: Wasserstein carries numeric alerts.
    - ``wasserstein`` 0.1 / 0.2, in reference standard deviations. A pure location shift
      of ``d`` sd scores exactly ``d``: 0.02 sd is ok, 0.5 sd alerts. Scaling the spread
      by 1.5 scores ``0.5 * E|X - mean| / sd`` (0.40 for a normal, 0.29 for a
      lognormal); shrinking it by 1.5 scores 0.27 for a normal, 0.24 for a Laplace.
    - ``jensen_shannon`` 0.05 / 0.075 (distance, base 2). Moving a total-variation mass
      ``t`` between categories gives at least ``t / sqrt(8 ln 2) = 0.85 t`` (Cauchy-Schwarz
      on the second-order expansion), so any 10-point change of the mix scores >= 0.085
      and alerts. Moving 1 point of share from a large category into or out of one that
      keeps >= 1% scores <= 0.036 (<= 0.022 if it keeps >= 4%) and is ok; a brand-new
      category at 1% scores 0.071 and warns (it is also reported as unseen).
    - ``null_rate`` 0.02 / 0.10: absolute rise of the null share (2 and 10 points).
    - ``unseen_share`` 0.01 / 0.05: share of current rows in categories the reference
      never saw.

    ``bins`` is the number of reference quantile bins for numeric PSI (deciles);
    ``epsilon`` floors empty bin shares in PSI.
    """

    psi: Thresholds = field(default_factory=lambda: Thresholds(0.1, 0.25))
    wasserstein: Thresholds = field(default_factory=lambda: Thresholds(0.1, 0.2))
    jensen_shannon: Thresholds = field(default_factory=lambda: Thresholds(0.05, 0.075))
    null_rate: Thresholds = field(default_factory=lambda: Thresholds(0.02, 0.10))
    unseen_share: Thresholds = field(default_factory=lambda: Thresholds(0.01, 0.05))
    bins: int = 10
    epsilon: float = DEFAULT_EPSILON


@dataclass(frozen=True)
class Statistic:
    """One classified statistic: ``psi``, ``wasserstein``, ``jensen_shannon``,
    ``null_rate_jump`` or ``unseen_share``."""

    name: str
    value: float
    level: Level


@dataclass(frozen=True)
class FeatureDrift:
    """Drift of one column; ``unseen_categories`` holds (category, share of current rows)."""

    column: str
    kind: ColumnKind
    statistics: tuple[Statistic, ...]
    reference_null_rate: float
    current_null_rate: float
    unseen_categories: tuple[tuple[str, float], ...] = ()

    @property
    def level(self) -> Level:
        return worst(s.level for s in self.statistics)

    def statistic(self, name: str) -> Statistic:
        for stat in self.statistics:
            if stat.name == name:
                return stat
        raise KeyError(name)


SchemaIssueKind = Literal["missing_column", "new_column", "type_changed"]


@dataclass(frozen=True)
class SchemaIssue:
    """A column missing from the current data (alert), new in it (warn), or of another
    arrow type (warn within the same kind, e.g. int64 -> double; alert across kinds)."""

    kind: SchemaIssueKind
    column: str
    reference_type: str | None
    current_type: str | None
    level: Level


@dataclass(frozen=True)
class VerdictRule:
    """Dataset-level alert when at least ``min_alerts`` features alert, or when at least
    ``min_alert_share`` of them do (either condition set to None is off). Below the rule,
    alerting features make the dataset ``warn``. The default alerts on any alert."""

    min_alerts: int | None = 1
    min_alert_share: float | None = None

    @classmethod
    def at_least(cls, n: int) -> VerdictRule:
        return cls(min_alerts=n, min_alert_share=None)

    @classmethod
    def share(cls, fraction: float) -> VerdictRule:
        return cls(min_alerts=None, min_alert_share=fraction)


def verdict(results: Iterable[FeatureDrift | Level], rule: VerdictRule | None = None) -> Level:
    """Fold per-feature results (or their levels) into one level under ``rule``."""
    rule = rule or VerdictRule()
    levels = [r if isinstance(r, str) else r.level for r in results]
    alerts = levels.count("alert")
    if alerts and (
        (rule.min_alerts is not None and alerts >= rule.min_alerts)
        or (rule.min_alert_share is not None and alerts / len(levels) >= rule.min_alert_share)
    ):
        return "alert"
    return "warn" if alerts or "warn" in levels else "ok"


@dataclass(frozen=True)
class DriftReport:
    """Everything :func:`compare` found; ``score`` is the prediction-drift result."""

    schema: tuple[SchemaIssue, ...]
    features: tuple[FeatureDrift, ...]
    score: FeatureDrift | None
    reference_rows: int
    current_rows: int

    def verdict(self, rule: VerdictRule | None = None) -> Level:
        """Schema issues count as they are; features and score go through ``rule``."""
        results = [*self.features, *([self.score] if self.score else [])]
        return worst([*(issue.level for issue in self.schema), verdict(results, rule)])


def _null_rate(null_count: int, count: int) -> float:
    total = null_count + count
    return null_count / total if total else math.nan


def numeric_drift(
    column: str,
    reference: NumericSummary,
    current: NumericSummary,
    config: DriftConfig | None = None,
) -> FeatureDrift:
    """PSI on the reference's quantile bins and W1 in reference standard deviations."""
    config = config or DriftConfig()
    psi_value = sketch_psi(reference.sketch, current.sketch, config.bins, config.epsilon)
    w1 = normalised_wasserstein(reference.sketch, current.sketch, reference.std)
    ref_nulls = _null_rate(reference.null_count, reference.count)
    cur_nulls = _null_rate(current.null_count, current.count)
    jump = cur_nulls - ref_nulls
    return FeatureDrift(
        column=column,
        kind="numeric",
        statistics=(
            Statistic("psi", psi_value, config.psi.classify(psi_value)),
            Statistic("wasserstein", w1, config.wasserstein.classify(w1)),
            Statistic("null_rate_jump", jump, config.null_rate.classify(jump)),
        ),
        reference_null_rate=ref_nulls,
        current_null_rate=cur_nulls,
    )


def categorical_drift(
    column: str,
    reference: CategoricalSummary,
    current: CategoricalSummary,
    config: DriftConfig | None = None,
) -> FeatureDrift:
    """PSI and Jensen-Shannon distance on category frequencies, plus unseen categories."""
    config = config or DriftConfig()
    _, ref, cur = aligned_counts(reference.counts, current.counts)
    psi_value = psi(ref, cur, config.epsilon)
    js = jensen_shannon(ref, cur)
    current_rows = current.count + current.null_count
    unseen = tuple(
        (category, n / current_rows)
        for category, n in sorted(current.counts.items())
        if category not in reference.counts and n
    )
    unseen_share = sum(share for _, share in unseen)
    ref_nulls = _null_rate(reference.null_count, reference.count)
    cur_nulls = _null_rate(current.null_count, current.count)
    jump = cur_nulls - ref_nulls
    return FeatureDrift(
        column=column,
        kind="categorical",
        statistics=(
            Statistic("psi", psi_value, config.psi.classify(psi_value)),
            Statistic("jensen_shannon", js, config.jensen_shannon.classify(js)),
            Statistic("null_rate_jump", jump, config.null_rate.classify(jump)),
            Statistic("unseen_share", unseen_share, config.unseen_share.classify(unseen_share)),
        ),
        reference_null_rate=ref_nulls,
        current_null_rate=cur_nulls,
        unseen_categories=unseen,
    )


def column_drift(
    column: str, reference: ColumnSummary, current: ColumnSummary, config: DriftConfig | None = None
) -> FeatureDrift | None:
    """Drift of one column, or None when the two summaries are of different kinds."""
    if isinstance(reference, NumericSummary) and isinstance(current, NumericSummary):
        return numeric_drift(column, reference, current, config)
    if isinstance(reference, CategoricalSummary) and isinstance(current, CategoricalSummary):
        return categorical_drift(column, reference, current, config)
    return None


_DICTIONARY = re.compile(r"^dictionary<values=(.+), indices=\w+, ordered=\d>$")
_LARGE = {"large_string": "string", "large_utf8": "string", "utf8": "string",
          "large_binary": "binary"}


def logical_type(arrow_type: str) -> str:
    """An arrow type string without its storage details: ``large_string`` and a
    dictionary of strings are ``string``, as pandas, Spark and CSV readers differ there."""
    match = _DICTIONARY.match(arrow_type)
    base = match.group(1) if match else arrow_type
    return _LARGE.get(base, base)


def schema_checks(reference: Profile, current: Profile) -> tuple[SchemaIssue, ...]:
    """Missing, new and retyped columns, in reference order then current order.
    Types are compared as :func:`logical_type`."""
    ref_types, cur_types = reference.types, current.types
    issues: list[SchemaIssue] = []
    for name, ref_type in reference.schema:
        if name not in cur_types:
            issues.append(SchemaIssue("missing_column", name, ref_type, None, "alert"))
        elif logical_type(cur_types[name]) != logical_type(ref_type):
            same_kind = reference.columns[name].kind == current.columns[name].kind
            level: Level = "warn" if same_kind else "alert"
            issues.append(SchemaIssue("type_changed", name, ref_type, cur_types[name], level))
    issues.extend(
        SchemaIssue("new_column", name, None, cur_type, "warn")
        for name, cur_type in current.schema
        if name not in ref_types
    )
    return tuple(issues)


def compare(reference: Profile, current: Profile, config: DriftConfig | None = None) -> DriftReport:
    """Schema checks, then drift of every column present in both profiles."""
    config = config or DriftConfig()
    features: list[FeatureDrift] = []
    score: FeatureDrift | None = None
    for name, _ in reference.schema:
        if name not in current.columns:
            continue
        result = column_drift(name, reference.columns[name], current.columns[name], config)
        if result is None:
            continue
        if name == reference.score_column:
            score = result
        else:
            features.append(result)
    return DriftReport(
        schema=schema_checks(reference, current),
        features=tuple(features),
        score=score,
        reference_rows=reference.rows,
        current_rows=current.rows,
    )
