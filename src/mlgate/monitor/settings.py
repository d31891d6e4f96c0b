"""The `monitoring` section of a model declaration as typed settings.

Every default here is the statistical core's default (:class:`DriftConfig`,
:class:`VerdictRule`), and the schema's descriptions repeat them, so that the README
reference, the core and ``mlgate monitor`` agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from mlgate.monitor.distance import Thresholds
from mlgate.monitor.drift import DriftConfig, VerdictRule

ACTIONS = ("open_issue", "retrain", "rollback")
DEFAULT_MIN_ROWS = 100

# YAML key under `thresholds:` -> DriftConfig field, for features and for the score.
FEATURE_THRESHOLDS = {
    "psi": "psi",
    "wasserstein": "wasserstein",
    "jensen_shannon": "jensen_shannon",
    "null_rate": "null_rate",
    "unseen_share": "unseen_share",
}
SCORE_THRESHOLDS = {"score_psi": "psi", "score_wasserstein": "wasserstein"}


class InvalidSettings(ValueError):
    """A value the schema lets through but that makes no sense (warn above alert)."""

    def __init__(self, steps: tuple[str | int, ...], message: str, hint: str) -> None:
        super().__init__(message)
        self.steps = steps
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class PerformanceSettings:
    metric: str
    max_gap: float
    min_rows: int = DEFAULT_MIN_ROWS


@dataclass(frozen=True)
class MonitoringSettings:
    """What ``mlgate monitor`` needs from a declaration, defaults filled in."""

    reference: str
    features: tuple[str, ...] | None = None
    id_column: str | None = None
    label: str | None = None
    drift: DriftConfig = field(default_factory=DriftConfig)
    score: DriftConfig = field(default_factory=DriftConfig)
    rule: VerdictRule = field(default_factory=VerdictRule)
    performance: PerformanceSettings | None = None
    on_alert: tuple[str, ...] = ()

    @property
    def ignored_columns(self) -> tuple[str, ...]:
        """Columns of a batch that are never features: the row id and the label."""
        return tuple(c for c in (self.id_column, self.label) if c is not None)

    def thresholds(self) -> dict[str, Thresholds]:
        """Every threshold by its YAML name (for reports)."""
        found = {key: getattr(self.drift, name) for key, name in FEATURE_THRESHOLDS.items()}
        found.update({key: getattr(self.score, name) for key, name in SCORE_THRESHOLDS.items()})
        return found


def _thresholds(
    raw: Mapping[str, Any], keys: Mapping[str, str], base: DriftConfig
) -> DriftConfig:
    changes: dict[str, Thresholds] = {}
    for key, name in keys.items():
        if key not in raw:
            continue
        warn, alert = float(raw[key]["warn"]), float(raw[key]["alert"])
        if warn > alert:
            raise InvalidSettings(
                ("monitoring", "thresholds", key, "warn"),
                f"warn level {warn:g} is above the alert level {alert:g}",
                "a statistic must warn before it alerts: make warn <= alert",
            )
        changes[name] = Thresholds(warn, alert)
    assert set(changes) <= {f.name for f in fields(DriftConfig)}
    return replace(base, **changes)  # type: ignore[arg-type]


def _rule(raw: Mapping[str, Any] | None) -> VerdictRule:
    if raw is None:
        return VerdictRule()
    return VerdictRule(min_alerts=raw.get("features"), min_alert_share=raw.get("share"))


def parse_settings(raw: Mapping[str, Any]) -> MonitoringSettings:
    """Settings from a `monitoring` mapping that has passed schema validation."""
    thresholds = raw.get("thresholds", {})
    performance = raw.get("performance")
    features = raw.get("features")
    return MonitoringSettings(
        reference=str(raw["reference"]),
        features=None if features is None else tuple(features),
        id_column=raw.get("id"),
        label=raw.get("label"),
        drift=_thresholds(thresholds, FEATURE_THRESHOLDS, DriftConfig()),
        score=_thresholds(thresholds, SCORE_THRESHOLDS, DriftConfig()),
        rule=_rule(raw.get("alert_when")),
        performance=None if performance is None else PerformanceSettings(
            metric=performance["metric"],
            max_gap=float(performance["max_gap"]),
            min_rows=int(performance.get("min_rows", DEFAULT_MIN_ROWS)),
        ),
        on_alert=tuple(raw.get("on_alert", ())),
    )
