"""The `monitoring` section as settings: defaults are the core's, and the schema says so."""

from __future__ import annotations

from typing import Any

import pytest

from mlgate.config.schema import load_schema
from mlgate.evaluation import metrics
from mlgate.monitor import DriftConfig, Thresholds, VerdictRule
from mlgate.monitor.settings import (
    FEATURE_THRESHOLDS,
    SCORE_THRESHOLDS,
    InvalidSettings,
    MonitoringSettings,
    PerformanceSettings,
    parse_settings,
)

REF = {"reference": "monitoring/profile.json"}


def test_defaults_are_the_cores() -> None:
    settings = parse_settings(REF)
    assert settings == MonitoringSettings(reference="monitoring/profile.json")
    assert (settings.drift, settings.score, settings.rule) == (
        DriftConfig(), DriftConfig(), VerdictRule())
    assert (settings.performance, settings.on_alert, settings.ignored_columns) == (None, (), ())


def test_schema_documents_the_cores_defaults() -> None:
    """The README reference is generated from the schema: its defaults must be true."""
    monitoring = load_schema("model")["$defs"]["monitoring"]["properties"]
    thresholds = monitoring["thresholds"]["properties"]
    assert set(thresholds) == set(FEATURE_THRESHOLDS) | set(SCORE_THRESHOLDS)
    for key, name in {**FEATURE_THRESHOLDS, **SCORE_THRESHOLDS}.items():
        core: Thresholds = getattr(DriftConfig(), name)
        assert thresholds[key]["default"] == {"warn": core.warn, "alert": core.alert}, key
    assert monitoring["performance"]["properties"]["min_rows"]["default"] == (
        PerformanceSettings("roc_auc", 0.0).min_rows)
    enum = monitoring["performance"]["properties"]["metric"]["enum"]
    assert set(enum) == {m for names in metrics.METRICS.values() for m in names}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"thresholds": {"psi": {"warn": 0.2, "alert": 0.3}}},
         {"drift": DriftConfig(psi=Thresholds(0.2, 0.3))}),
        ({"thresholds": {"score_psi": {"warn": 0.05, "alert": 0.1},
                         "score_wasserstein": {"warn": 0, "alert": 0.5}}},
         {"score": DriftConfig(psi=Thresholds(0.05, 0.1), wasserstein=Thresholds(0, 0.5))}),
        ({"thresholds": {"unseen_share": {"warn": 0.0, "alert": 0.0}}},
         {"drift": DriftConfig(unseen_share=Thresholds(0, 0))}),
        ({"alert_when": {"features": 3}}, {"rule": VerdictRule(3, None)}),
        ({"alert_when": {"share": 0.25}}, {"rule": VerdictRule(None, 0.25)}),
        ({"alert_when": {"features": 2, "share": 0.5}}, {"rule": VerdictRule(2, 0.5)}),
        ({"performance": {"metric": "log_loss", "max_gap": 0.05}},
         {"performance": PerformanceSettings("log_loss", 0.05, 100)}),
        ({"performance": {"metric": "f1", "max_gap": 0, "min_rows": 10}},
         {"performance": PerformanceSettings("f1", 0.0, 10)}),
        ({"id": "row", "label": "y", "features": ["a", "b"], "on_alert": ["rollback"]},
         {"id_column": "row", "label": "y", "features": ("a", "b"), "on_alert": ("rollback",)}),
    ],
)
def test_parse(raw: dict[str, Any], expected: dict[str, Any]) -> None:
    settings = parse_settings({**REF, **raw})
    for field, value in expected.items():
        assert getattr(settings, field) == value, field


def test_ignored_columns() -> None:
    assert parse_settings({**REF, "id": "i", "label": "y"}).ignored_columns == ("i", "y")


def test_warn_above_alert() -> None:
    with pytest.raises(InvalidSettings) as raised:
        parse_settings({**REF, "thresholds": {"null_rate": {"warn": 0.2, "alert": 0.1}}})
    assert raised.value.steps == ("monitoring", "thresholds", "null_rate", "warn")
    assert raised.value.message == "warn level 0.2 is above the alert level 0.1"
