"""The `monitoring` section of a model declaration as typed settings.

Every default here is the statistical core's default (:class:`DriftConfig`,
:class:`VerdictRule`), and the schema's descriptions repeat them, so that the README
reference, the core and ``mlgate monitor`` agree. ``on_alert`` is held as a route for
every cause (:data:`CAUSES`): the old list form routes every cause to the same actions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from mlgate.config.model import parse_duration
from mlgate.monitor.distance import Thresholds
from mlgate.monitor.drift import DriftConfig, VerdictRule

ACTIONS = ("open_issue", "retrain", "rollback")
# Why a run alerts. The data causes: `missing` labels past their delay, a `late` batch
# (its newest row older than max_age), an `empty` batch, a `volume` out of its range.
CAUSES = ("schema", "drift", "performance", "missing", "late", "empty", "volume",
          "validation")
DATA_CAUSES = ("missing", "late", "empty", "volume")
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
class SliceSettings:
    """Production performance per slice (the gates' slice columns), with its own gap."""

    max_gap: float
    min_rows: int = DEFAULT_MIN_ROWS


@dataclass(frozen=True)
class Expectations:
    """What a batch must look like beyond its distribution; None: not expected."""

    labels_required: bool = False
    label_delay: int | None = None  # seconds after a row's time before its label is due
    min_rows: int | None = None
    max_rows: int | None = None
    max_age: int | None = None  # seconds: the newest row older than this is late
    time_column: str | None = None
    texts: dict[str, str] = field(default_factory=dict)  # durations as declared, for reports


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
    on_alert: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: {cause: () for cause in CAUSES})
    slices: SliceSettings | None = None
    expect: Expectations = field(default_factory=Expectations)

    @property
    def ignored_columns(self) -> tuple[str, ...]:
        """Columns of a batch that are never features: the row id, the label, the time."""
        return tuple(c for c in (self.id_column, self.label, self.expect.time_column)
                     if c is not None)

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


def routes(raw: Any) -> dict[str, tuple[str, ...]]:
    """``on_alert`` as actions per cause: a list applies to every cause; a mapping names
    causes (``data`` stands for every data cause not named on its own); `none` is no
    action, and an unnamed cause has none either."""
    if raw is None:
        return {cause: () for cause in CAUSES}
    if isinstance(raw, list | tuple):
        return {cause: tuple(raw) for cause in CAUSES}
    for key, actions in raw.items():
        if "none" in actions and len(actions) > 1:
            raise InvalidSettings(("monitoring", "on_alert", key),
                                  f"`none` with other actions: {', '.join(actions)}",
                                  "route the cause to `[none]` or to actions, not both")
    data = tuple(a for a in raw.get("data", ()) if a != "none")
    found = {}
    for cause in CAUSES:
        given = raw.get(cause, raw.get("data") if cause in DATA_CAUSES else None)
        found[cause] = data if given is None and cause in DATA_CAUSES else tuple(
            a for a in (given or ()) if a != "none")
    return found


def _expectations(raw: Mapping[str, Any]) -> Expectations:
    labels = raw.get("labels") or {}
    volume = raw.get("volume") or {}
    texts = {k: str(v) for k, v in (("label_delay", labels.get("max_delay")),
                                   ("max_age", raw.get("max_age"))) if v is not None}
    low, high = volume.get("min_rows"), volume.get("max_rows")
    if low is not None and high is not None and low > high:
        raise InvalidSettings(("monitoring", "volume", "min_rows"),
                              f"min_rows {low} is above max_rows {high}",
                              "expect a batch size range: min_rows <= max_rows")
    if "label_delay" in texts and raw.get("time_column") is None:
        raise InvalidSettings(("monitoring", "labels", "max_delay"),
                              "labels.max_delay needs monitoring.time_column",
                              "declare time_column: the column holding each row's time, "
                              "from which the delay is counted")
    return Expectations(
        labels_required=labels.get("expected", "optional") == "required",
        label_delay=None if "label_delay" not in texts else parse_duration(texts["label_delay"]),
        min_rows=low, max_rows=high,
        max_age=None if "max_age" not in texts else parse_duration(texts["max_age"]),
        time_column=raw.get("time_column"), texts=texts)


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
        on_alert=routes(raw.get("on_alert")),
        slices=None if performance is None or "slices" not in performance else SliceSettings(
            max_gap=float(performance["slices"]["max_gap"]),
            min_rows=int(performance["slices"].get("min_rows", DEFAULT_MIN_ROWS))),
        expect=_expectations(raw),
    )
