"""The `monitoring` section as settings: defaults are the core's, and the schema says so."""

from __future__ import annotations

from typing import Any

import pytest

from mlgate.config.schema import load_schema
from mlgate.evaluation import metrics
from mlgate.monitor import DriftConfig, Thresholds, VerdictRule
from mlgate.monitor.settings import (
    CAUSES,
    FEATURE_THRESHOLDS,
    SCORE_THRESHOLDS,
    Expectations,
    InvalidSettings,
    MonitoringSettings,
    PerformanceSettings,
    SliceSettings,
    parse_settings,
    routes,
)

REF = {"reference": "monitoring/profile.json"}


def test_defaults_are_the_cores() -> None:
    settings = parse_settings(REF)
    assert settings == MonitoringSettings(reference="monitoring/profile.json")
    assert (settings.drift, settings.score, settings.rule) == (
        DriftConfig(), DriftConfig(), VerdictRule())
    assert (settings.performance, settings.ignored_columns) == (None, ())
    assert settings.on_alert == {cause: () for cause in CAUSES}
    assert settings.expect == Expectations() and settings.slices is None


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
         {"id_column": "row", "label": "y", "features": ("a", "b"),
          "on_alert": {cause: ("rollback",) for cause in CAUSES}}),
        ({"performance": {"metric": "roc_auc", "max_gap": 0.02,
                          "slices": {"max_gap": 0.05}}},
         {"slices": SliceSettings(0.05, 100)}),
        ({"time_column": "t", "max_age": "2d", "volume": {"min_rows": 10, "max_rows": 20},
          "labels": {"expected": "required", "max_delay": "30d"}},
         {"expect": Expectations(labels_required=True, label_delay=30 * 86400, min_rows=10,
                                 max_rows=20, max_age=2 * 86400, time_column="t",
                                 texts={"label_delay": "30d", "max_age": "2d"}),
          "ignored_columns": ("t",)}),
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


@pytest.mark.parametrize(("raw", "expected"), [
    (None, {}),
    (["open_issue", "retrain"], {c: ("open_issue", "retrain") for c in CAUSES}),  # old form
    ({"schema": ["open_issue", "rollback"], "drift": ["retrain"],
      "performance": ["open_issue"]},
     {"schema": ("open_issue", "rollback"), "drift": ("retrain",),
      "performance": ("open_issue",)}),
    ({"data": ["open_issue"], "late": ["none"]},  # data covers the data causes not named
     {"missing": ("open_issue",), "empty": ("open_issue",), "volume": ("open_issue",)}),
    ({"validation": ["open_issue"], "empty": ["retrain"]},
     {"validation": ("open_issue",), "empty": ("retrain",)}),
], ids=["none", "list-for-every-cause", "the-example", "data-group", "by-name"])
def test_routes(raw: Any, expected: dict[str, tuple[str, ...]]) -> None:
    assert routes(raw) == {cause: expected.get(cause, ()) for cause in CAUSES}


def test_schema_validates_both_forms_of_on_alert() -> None:
    from jsonschema import Draft202012Validator

    monitoring = load_schema("model")["$defs"]["monitoring"]
    validator = Draft202012Validator({**load_schema("model"), **monitoring})
    good = [["open_issue"], {"schema": ["rollback"], "data": ["none"]}]
    bad = [{"weather": ["retrain"]}, {"drift": ["reboot"]}, {"drift": []}, ["none"]]
    for form in good:
        assert validator.is_valid({"reference": "r.json", "on_alert": form}), form
    for form in bad:
        assert not validator.is_valid({"reference": "r.json", "on_alert": form}), form


@pytest.mark.parametrize(("raw", "steps", "message"), [
    ({"on_alert": {"drift": ["none", "retrain"]}}, ("monitoring", "on_alert", "drift"),
     "`none` with other actions: none, retrain"),
    ({"volume": {"min_rows": 10, "max_rows": 5}}, ("monitoring", "volume", "min_rows"),
     "min_rows 10 is above max_rows 5"),
    ({"labels": {"max_delay": "3d"}}, ("monitoring", "labels", "max_delay"),
     "labels.max_delay needs monitoring.time_column"),
])
def test_settings_that_make_no_sense(raw: dict[str, Any], steps: tuple[str, ...],
                                     message: str) -> None:
    with pytest.raises(InvalidSettings) as raised:
        parse_settings({**REF, **raw})
    assert (raised.value.steps, raised.value.message) == (steps, message)
