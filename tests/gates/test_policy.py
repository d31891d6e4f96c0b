"""evaluate(model, environment, facts): one table row per situation, no filesystem."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from jsonschema import Draft202012Validator

from mlgate.config.model import Model, Review, build_model
from mlgate.config.schema import load_schema
from mlgate.errors import MlgateError
from mlgate.gates.policy import (
    Approvals,
    Assignment,
    Evidence,
    GateResult,
    Incumbent,
    Predictions,
    RepoState,
    evaluate,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def make_model(production: dict[str, Any], directions: dict[str, str] | None = None) -> Model:
    """A model whose `production` environment is ``production``; validated like a file."""
    data = {
        "name": "tiny",
        "description": "A stand-in.",
        "owner": {"name": "Team", "email": "team@example.com"},
        "risk_tier": "low",
        "intended_use": "Tests.",
        "review": {"last_validated": "2026-01-01", "interval_days": 365},
        "artifact": "model/model.bin",
        "metrics": {"files": ["eval/metrics.json"], "directions": directions or {}},
        "predictions": {"path": "eval/predictions.csv"},
        "promotion": {"environments": [{"name": "staging"},
                                       {"name": "production", **production}]},
    }
    Draft202012Validator(load_schema("model")).validate(data)
    return build_model(data, "pipelines/tiny.yaml")


def gate(**fields: Any) -> dict[str, Any]:
    return {"gates": [fields]}


def _predictions() -> Predictions:
    """400 rows, overlapping classes (AUC about 0.88), three slices: 1 (200 rows),
    2 (199 rows) and 3 (1 row)."""
    rng = np.random.default_rng(0)
    label = np.tile([0, 1], 200)
    score = np.clip(0.35 * label + 0.65 * rng.random(400), 0, 1)
    sex = np.array([1] * 200 + [2] * 199 + [3])
    return Predictions(label, score, {"SEX": sex})


PREDICTIONS = _predictions()
# two slices with known AUCs: a = 1.0, b = 0.75
TINY_SLICES = Predictions(
    np.array([0, 1, 0, 1, 0, 1, 0, 1]),
    np.array([0.1, 0.9, 0.2, 0.8, 0.1, 0.2, 0.3, 0.4]),
    {"group": np.array(["a"] * 4 + ["b"] * 4, dtype=object)},
)
ONE_CLASS = Predictions(np.ones(200, dtype=int), np.linspace(0, 1, 200), {})
EMPTY = Predictions(np.array([], dtype=int), np.array([], dtype=float), {})
METRICS = {"roc_auc": 0.9, "log_loss": 0.3, "slices": {"SEX": {"1": {"roc_auc": 0.88}}}}
V1 = "v1.2.0"


def facts(**changes: Any) -> Evidence:
    base = Evidence(now=NOW, metrics=METRICS, predictions=PREDICTIONS, candidate_version="v1.3.0",
                 candidate_commit="c0ffee")
    return replace(base, **changes)


def incumbent(env: str = "production", version: str = V1, **metrics: Any) -> dict[str, Any]:
    return {env: Incumbent(version, metrics)}


def stay(version: str, days_ago: float, commit: str | None = None) -> Assignment:
    return Assignment(version, NOW - days_ago * DAY, commit)


CASES: list[Any] = [
    # --- threshold ---
    pytest.param(gate(kind="threshold", metric="roc_auc", min=0.85),
                 facts(metrics={"roc_auc": 0.85}),
                 {"passed": True, "expected": ">= 0.85", "why": "roc_auc 0.85 >= 0.85",
                  "observed": 0.85}, id="threshold-min-equal-passes"),
    pytest.param(gate(kind="threshold", metric="roc_auc", min=0.85),
                 facts(metrics={"roc_auc": 0.8499}),
                 {"passed": False, "why": "roc_auc 0.8499 is below the minimum 0.85"},
                 id="threshold-below-min"),
    pytest.param(gate(kind="threshold", metric="log_loss", max=0.5),
                 facts(metrics={"log_loss": 0.5}),
                 {"passed": True, "expected": "<= 0.5", "why": "log_loss 0.5 <= 0.5"},
                 id="threshold-max-equal-passes"),
    pytest.param(gate(kind="threshold", metric="log_loss", max=0.5),
                 facts(metrics={"log_loss": 0.5000001}),
                 {"passed": False, "why": "log_loss 0.5000001 is above the maximum 0.5"},
                 id="threshold-just-above-max-shows-every-digit"),
    pytest.param(gate(kind="threshold", metric="roc_auc", min=0.1, max=0.9),
                 facts(),
                 {"passed": True, "expected": ">= 0.1 and <= 0.9",
                  "why": "roc_auc 0.9 >= 0.1 and <= 0.9"}, id="threshold-both-bounds"),
    pytest.param(gate(kind="threshold", metric="roc_auc", min=0.85),
                 facts(metrics={"roc_auc": math.nan}),
                 {"passed": False, "why": "roc_auc is NaN in the candidate's metrics"},
                 id="threshold-nan-fails"),
    pytest.param(gate(kind="threshold", metric="roc_auc", min=0.85),
                 facts(metrics={"roc_auc": math.inf}),
                 {"passed": False, "why": "roc_auc is inf in the candidate's metrics",
                  "observed": math.inf}, id="threshold-inf-fails"),
    pytest.param(gate(kind="threshold", metric="log_loss", max=0.5),
                 facts(metrics={"log_loss": -math.inf}),
                 {"passed": False, "why": "log_loss is -inf in the candidate's metrics"},
                 id="threshold-minus-inf-under-max-still-fails"),
    pytest.param(gate(kind="threshold", metric="roc_auc", min=0.85),
                 facts(metrics={"accuracy": 0.9}),
                 {"passed": False, "why": "roc_auc is missing from the candidate's metrics",
                  "observed": None}, id="threshold-missing-metric"),
    pytest.param(gate(kind="threshold", metric="roc_auc", min=0.85),
                 facts(metrics={"roc_auc": "high"}),
                 {"passed": False, "observed": "high",
                  "why": "roc_auc is not a number in the candidate's metrics: 'high'"},
                 id="threshold-string-metric"),
    pytest.param(gate(kind="threshold", metric="roc_auc", min=0.5),
                 facts(metrics={"roc_auc": True}),
                 {"passed": False, "why": "roc_auc is not a number in the candidate's metrics: True"},
                 id="threshold-boolean-is-not-a-number"),
    pytest.param(gate(kind="threshold", metric="slices", min=0.5), facts(),
                 {"passed": False, "why": "slices is a group, not a number, in the candidate's metrics"},
                 id="threshold-group-is-not-a-number"),
    pytest.param(gate(kind="threshold", metric="slices.SEX.1.roc_auc", min=0.85), facts(),
                 {"passed": True, "why": "slices.SEX.1.roc_auc 0.88 >= 0.85"},
                 id="threshold-dotted-path"),
    pytest.param(gate(kind="threshold", metric="roc_auc", min=0.85),
                 facts(metrics={}, metrics_error="eval/metrics.json is missing at HEAD"),
                 {"passed": False, "why": "eval/metrics.json is missing at HEAD"},
                 id="threshold-metrics-file-missing"),
    # --- no_regression ---
    pytest.param(gate(kind="no_regression", metric="roc_auc", tolerance=0.01), facts(),
                 {"passed": True, "why": "no incumbent in production: nothing to regress from",
                  "expected": "not worse than the incumbent in production - 0.01"},
                 id="no-regression-no-incumbent"),
    pytest.param(gate(kind="no_regression", metric="roc_auc"),
                 facts(incumbents={"production": None}),
                 {"passed": True, "why": "no incumbent in production: nothing to regress from"},
                 id="no-regression-incumbent-none"),
    pytest.param(gate(kind="no_regression", metric="roc_auc", tolerance=0.01),
                 facts(metrics={"roc_auc": 0.8612}, incumbents=incumbent(roc_auc=0.8712)),
                 {"passed": True,
                  "expected": "not worse than 0.8712 - 0.01 (incumbent v1.2.0 in production)",
                  "why": "roc_auc 0.8612 vs 0.8712 (v1.2.0 in production): worse by 0.01, "
                         "within the tolerance 0.01"},
                 id="no-regression-exactly-at-tolerance-passes"),
    pytest.param(gate(kind="no_regression", metric="roc_auc", tolerance=0.01),
                 facts(metrics={"roc_auc": 0.8611}, incumbents=incumbent(roc_auc=0.8712)),
                 {"passed": False,
                  "why": "roc_auc 0.8611 vs 0.8712 (v1.2.0 in production): worse by 0.0101, "
                         "more than the tolerance 0.01"},
                 id="no-regression-beyond-tolerance"),
    pytest.param(gate(kind="no_regression", metric="roc_auc", tolerance=0.01),
                 facts(metrics={"roc_auc": 0.86119999}, incumbents=incumbent(roc_auc=0.8712)),
                 {"passed": False,
                  "why": "roc_auc 0.86119999 vs 0.8712 (v1.2.0 in production): worse by "
                         "0.01000001, more than the tolerance 0.01"},
                 id="no-regression-just-beyond-tolerance-shows-every-digit"),
    pytest.param(gate(kind="no_regression", metric="roc_auc"),
                 facts(metrics={"roc_auc": 0.8712}, incumbents=incumbent(roc_auc=0.8712)),
                 {"passed": True, "expected": "not worse than 0.8712 (incumbent v1.2.0 in production)",
                  "why": "roc_auc 0.8712 vs 0.8712 (v1.2.0 in production): equal"},
                 id="no-regression-zero-tolerance-equal"),
    pytest.param(gate(kind="no_regression", metric="log_loss", tolerance=0.05),
                 facts(metrics={"log_loss": 0.35}, incumbents=incumbent(log_loss=0.3)),
                 {"passed": True,
                  "expected": "not worse than 0.3 + 0.05 (incumbent v1.2.0 in production)"},
                 id="no-regression-lower-is-better-at-tolerance"),
    pytest.param(gate(kind="no_regression", metric="log_loss", tolerance=0.05),
                 facts(metrics={"log_loss": 0.36}, incumbents=incumbent(log_loss=0.3)),
                 {"passed": False,
                  "why": "log_loss 0.36 vs 0.3 (v1.2.0 in production): worse by 0.06, "
                         "more than the tolerance 0.05"},
                 id="no-regression-lower-is-better-worse"),
    pytest.param(gate(kind="no_regression", metric="log_loss"),
                 facts(metrics={"log_loss": 0.2}, incumbents=incumbent(log_loss=0.3)),
                 {"passed": True,
                  "why": "log_loss 0.2 vs 0.3 (v1.2.0 in production): better by 0.1"},
                 id="no-regression-lower-is-better-improves"),
    pytest.param({"gates": [{"kind": "no_regression", "metric": "cost"}]},
                 facts(metrics={"cost": 12}, incumbents=incumbent(cost=10)),
                 {"passed": False, "why": "cost 12 vs 10 (v1.2.0 in production): worse by 2, "
                                          "more than the tolerance 0"},
                 id="no-regression-declared-direction"),
    pytest.param(gate(kind="no_regression", metric="roc_auc", tolerance=0.01, relative=True),
                 facts(metrics={"roc_auc": 0.792}, incumbents=incumbent(roc_auc=0.8)),
                 {"passed": True,
                  "expected": "not worse than 0.8 - 1% (incumbent v1.2.0 in production)",
                  "why": "roc_auc 0.792 vs 0.8 (v1.2.0 in production): worse by 0.008, "
                         "within the tolerance 1%"},
                 id="no-regression-relative-at-tolerance"),
    pytest.param(gate(kind="no_regression", metric="roc_auc", tolerance=0.07, relative=True),
                 facts(incumbents=incumbent(roc_auc=0.96)),
                 {"passed": True,
                  "expected": "not worse than 0.96 - 7% (incumbent v1.2.0 in production)",
                  "why": "roc_auc 0.9 vs 0.96 (v1.2.0 in production): worse by 0.06, within "
                         "the tolerance 7%"},
                 id="no-regression-relative-percent-as-written"),
    pytest.param(gate(kind="no_regression", metric="gain", tolerance=0.1, relative=True),
                 facts(metrics={"gain": 0}, incumbents=incumbent(gain=0)),
                 {"passed": True,
                  "why": "gain 0 vs 0 (v1.2.0 in production): equal; a relative tolerance of an "
                         "incumbent of 0 allows nothing, so only 'not worse at all' passes"},
                 id="no-regression-relative-incumbent-zero-equal"),
    pytest.param(gate(kind="no_regression", metric="gain", tolerance=0.1, relative=True),
                 facts(metrics={"gain": -0.001}, incumbents=incumbent(gain=0.0)),
                 {"passed": False,
                  "why": "gain -0.001 vs 0 (v1.2.0 in production): worse by 0.001, more than "
                         "the tolerance 10%; a relative tolerance of an incumbent of 0 allows "
                         "nothing, so only 'not worse at all' passes"},
                 id="no-regression-relative-incumbent-zero-worse"),
    pytest.param(gate(kind="no_regression", metric="roc_auc", against="staging"),
                 facts(incumbents={**incumbent(roc_auc=0.95),
                                   **incumbent("staging", "v2.0.0", roc_auc=0.89)}),
                 {"passed": True,
                  "expected": "not worse than 0.89 (incumbent v2.0.0 in staging)"},
                 id="no-regression-against-other-env"),
    pytest.param(gate(kind="no_regression", metric="roc_auc", against="staging"),
                 facts(incumbents=incumbent(roc_auc=0.95)),
                 {"passed": True, "why": "no incumbent in staging: nothing to regress from"},
                 id="no-regression-against-env-without-incumbent"),
    pytest.param(gate(kind="no_regression", metric="roc_auc"),
                 facts(metrics={}, incumbents=incumbent(roc_auc=0.9)),
                 {"passed": False, "why": "roc_auc is missing from the candidate's metrics"},
                 id="no-regression-candidate-missing"),
    pytest.param(gate(kind="no_regression", metric="roc_auc"),
                 facts(metrics={}),
                 {"passed": False, "why": "roc_auc is missing from the candidate's metrics"},
                 id="no-regression-no-incumbent-candidate-missing"),
    pytest.param(gate(kind="no_regression", metric="roc_auc"),
                 facts(incumbents=incumbent(roc_auc=math.nan)),
                 {"passed": False,
                  "expected": "not worse than NaN (incumbent v1.2.0 in production)",
                  "why": "roc_auc is NaN in the metrics of v1.2.0 in production"},
                 id="no-regression-incumbent-nan"),
    pytest.param(gate(kind="no_regression", metric="roc_auc"),
                 facts(metrics={"roc_auc": math.nan}, incumbents=incumbent(roc_auc=0.9)),
                 {"passed": False, "observed": math.nan,
                  "why": "roc_auc is NaN in the candidate's metrics"},
                 id="no-regression-candidate-nan"),
    pytest.param(gate(kind="no_regression", metric="cost"),
                 facts(metrics={"cost": math.inf}, incumbents=incumbent(cost=0.3)),
                 {"passed": False, "expected": "not worse than 0.3 (incumbent v1.2.0 in "
                                               "production)",
                  "why": "cost is inf in the candidate's metrics"},
                 id="no-regression-candidate-infinite-lower-is-better"),
    # --- confidence ---
    pytest.param(gate(kind="confidence", metric="roc_auc", min=0.75, min_samples=100),
                 facts(), {"passed": True, "expected": "95% CI lower bound >= 0.75",
                           "why": "95% CI of roc_auc [0.84273, 0.903102] (point 0.875525) from "
                                  "1000 resamples of 400 predictions; lower bound 0.84273 >= "
                                  "0.75"},
                 id="confidence-passes"),
    pytest.param(gate(kind="confidence", metric="roc_auc", min=0.86, min_samples=100,
                      level=0.9), facts(),
                 {"passed": False, "expected": "90% CI lower bound >= 0.86"},
                 id="confidence-lower-bound-below-min"),
    pytest.param(gate(kind="confidence", metric="log_loss", max=0.9, min_samples=100),
                 facts(), {"passed": True, "expected": "95% CI upper bound <= 0.9"},
                 id="confidence-max-on-lower-is-better"),
    pytest.param(gate(kind="confidence", metric="roc_auc", min=0.5), facts(),
                 {"passed": True}, id="confidence-min-samples-default-100-met"),
    pytest.param(gate(kind="confidence", metric="roc_auc", min=0.5, min_samples=1000),
                 facts(),
                 {"passed": False, "why": "only 400 predictions; at least 1000 needed",
                  "observed": None}, id="confidence-too-few-predictions"),
    pytest.param(gate(kind="confidence", metric="roc_auc", min=0.5),
                 facts(predictions=None,
                       predictions_error="eval/predictions.csv is missing: run the pipeline"),
                 {"passed": False,
                  "why": "no predictions: eval/predictions.csv is missing: run the pipeline"},
                 id="confidence-predictions-missing"),
    pytest.param(gate(kind="confidence", metric="roc_auc", min=0.5),
                 facts(predictions=None),
                 {"passed": False,
                  "why": "no predictions: the model declares no predictions file"},
                 id="confidence-no-predictions-declared"),
    pytest.param(gate(kind="confidence", metric="roc_auc", min=0.5, min_samples=1),
                 facts(predictions=EMPTY),
                 {"passed": False, "why": "there are no predictions; at least 1 needed"},
                 id="confidence-empty-predictions"),
    pytest.param(gate(kind="confidence", metric="roc_auc", min=0.5), facts(predictions=ONE_CLASS),
                 {"passed": False,
                  "why": "roc_auc is undefined: every label is 1; roc_auc needs both classes"},
                 id="confidence-single-class"),
    pytest.param(gate(kind="confidence", metric="precision", min=0.5),
                 facts(predictions=Predictions(np.tile([0, 1], 100), np.full(200, 0.2))),
                 {"passed": False, "why": "precision is undefined: no prediction is positive "
                                          "(no score >= 0.5)"},
                 id="confidence-precision-without-predicted-positives"),
    # --- slices ---
    pytest.param(gate(kind="slices", column="SEX", metric="roc_auc", min=0.5),
                 facts(predictions=EMPTY),
                 {"passed": False, "observed": None,
                  "why": "there are no predictions; at least 1 needed"},
                 id="slices-empty-predictions"),
    pytest.param(gate(kind="slices", column="SEX", metric="roc_auc", min=0.5, min_size=1),
                 facts(),
                 {"passed": False,
                  "expected": "every slice of SEX >= 0.5 (slices of at least 1 row)",
                  "why": "SEX=3: roc_auc is undefined: every label is 1; roc_auc needs both "
                         "classes; 2 slices of SEX judged, worst roc_auc 0.87101 (SEX=2), "
                         "gap 0.0077899"},
                 id="slices-one-row-slice-judged-is-undefined"),
    pytest.param(gate(kind="slices", column="SEX", metric="roc_auc", min=0.6, min_size=30),
                 facts(), {"passed": True}, id="slices-one-row-slice-not-judged"),
    pytest.param(gate(kind="slices", column="group", metric="roc_auc", min=0.7, max_gap=0.3,
                      min_size=2), facts(predictions=TINY_SLICES),
                 {"passed": True, "observed": "worst 0.75, gap 0.25",
                  "expected": "every slice of group >= 0.7 and gap between slices of group "
                              "<= 0.3 (slices of at least 2 rows)",
                  "why": "2 slices of group judged, worst roc_auc 0.75 (group=b), gap 0.25"},
                 id="slices-floor-and-gap-pass"),
    pytest.param(gate(kind="slices", column="group", metric="roc_auc", max_gap=0.2,
                      min_size=2), facts(predictions=TINY_SLICES),
                 {"passed": False, "observed": 0.25,
                  "why": "gap 0.25 > 0.2 (group=a 1, group=b 0.75); 2 slices of group judged, "
                         "worst roc_auc 0.75 (group=b), gap 0.25"},
                 id="slices-gap-too-wide"),
    pytest.param(gate(kind="slices", column="group", metric="roc_auc", min=0.8, min_size=2),
                 facts(predictions=TINY_SLICES),
                 {"passed": False, "observed": 0.75,
                  "why": "group=b roc_auc 0.75 < 0.8; 2 slices of group judged, worst roc_auc "
                         "0.75 (group=b), gap 0.25"},
                 id="slices-below-floor"),
    pytest.param(gate(kind="slices", column="group", metric="roc_auc", min=0.8, min_size=5),
                 facts(predictions=TINY_SLICES),
                 {"passed": False,
                  "why": "no slice of group has 5 or more rows, so none was judged; not judged, "
                         "under 5 rows: group=a (4 rows), group=b (4 rows)"},
                 id="slices-all-too-small"),
    pytest.param(gate(kind="slices", column="region", metric="roc_auc", min=0.8), facts(),
                 {"passed": False, "why": "the predictions have no column region"},
                 id="slices-missing-column"),
    pytest.param(gate(kind="slices", column="group", metric="log_loss", min=0.5, min_size=2),
                 facts(predictions=TINY_SLICES),
                 {"passed": False, "expected": "every slice of group <= 0.5 (slices of at "
                                               "least 2 rows)"},
                 id="slices-lower-is-better-min-is-a-ceiling"),
    pytest.param(gate(kind="slices", column="group", metric="roc_auc", min=0.5, min_size=2),
                 facts(predictions=Predictions(np.array([1, 1, 0, 1]), np.array([.1, .2, .3, .4]),
                                               {"group": np.array(["a", "a", "b", "b"])})),
                 {"passed": False,
                  "why": "group=a: roc_auc is undefined: every label is 1; roc_auc needs both "
                         "classes; 1 slice of group judged, worst roc_auc 1 (group=b), gap 0"},
                 id="slices-judged-slice-undefined"),
    pytest.param(gate(kind="slices", column="SEX", metric="roc_auc", min=0.5), facts(predictions=None),
                 {"passed": False, "why": "no predictions: the model declares no predictions file"},
                 id="slices-no-predictions"),
    # --- reproducible ---
    pytest.param(gate(kind="reproducible"), facts(repo=RepoState(True)),
                 {"passed": True, "observed": "clean",
                  "why": "git tree clean, dvc status clean, outputs match dvc.lock"},
                 id="reproducible-clean"),
    pytest.param(gate(kind="reproducible"),
                 facts(repo=RepoState(False, ("src/train.py", "params.yaml"))),
                 {"passed": False, "why": "uncommitted changes: src/train.py, params.yaml"},
                 id="reproducible-uncommitted"),
    pytest.param(gate(kind="reproducible"),
                 facts(repo=RepoState(True, dvc_clean=False,
                                      dvc_changes=("train (changed deps: data/raw.csv modified)",))),
                 {"passed": False,
                  "why": "dvc status is not clean: train (changed deps: data/raw.csv modified)"},
                 id="reproducible-dvc-status"),
    pytest.param(gate(kind="reproducible"),
                 facts(repo=RepoState(True, lock_mismatches=("eval/metrics.json (md5 1a2b3c4d, "
                                                             "dvc.lock has 5e6f7a8b)",))),
                 {"passed": False, "why": "not as dvc.lock records: eval/metrics.json "
                                          "(md5 1a2b3c4d, dvc.lock has 5e6f7a8b)"},
                 id="reproducible-lock-mismatch"),
    pytest.param(gate(kind="reproducible"),
                 facts(repo=RepoState(False, tuple(f"f{i}" for i in range(7)), False, (),
                                      ("m.json (missing in the working tree)",))),
                 {"passed": False,
                  "why": "uncommitted changes: f0, f1, f2, f3, f4 and 2 more; dvc status is not "
                         "clean; not as dvc.lock records: m.json (missing in the working tree)"},
                 id="reproducible-every-kind-of-dirt"),
    pytest.param(gate(kind="reproducible"), facts(),
                 {"passed": False, "why": "the repository's state was not gathered"},
                 id="reproducible-not-gathered"),
    # --- freshness ---
    pytest.param(gate(kind="freshness", max_age="30d"),
                 facts(data_changed_at={"data/raw.csv": NOW - 30 * DAY}),
                 {"passed": True, "observed": "30d", "expected": "the newest data dependency "
                                                                "changed within 30d",
                  "why": "data/raw.csv last changed 2026-01-30T12:00:00+00:00, 30d before now"},
                 id="freshness-exactly-max-age"),
    pytest.param(gate(kind="freshness", max_age="30d"),
                 facts(data_changed_at={"data/raw.csv": NOW - 30 * DAY - timedelta(seconds=1)}),
                 {"passed": False, "why": "data/raw.csv last changed 2026-01-30T11:59:59+00:00, "
                                          "30d 1s before now; more than 30d"},
                 id="freshness-one-second-too-old"),
    pytest.param(gate(kind="freshness", max_age="36h", dependency="data/labels.csv"),
                 facts(data_changed_at={"data/raw.csv": NOW}),
                 {"passed": False, "expected": "data/labels.csv changed within 36h",
                  "why": "no change time is known for data/labels.csv"},
                 id="freshness-dependency-unknown"),
    pytest.param(gate(kind="freshness", max_age="36h"), facts(),
                 {"passed": False,
                  "why": "no change time is known for any data dependency of the model"},
                 id="freshness-nothing-known"),
    pytest.param(gate(kind="freshness", max_age="2d"),
                 facts(data_changed_at={"data/old.csv": NOW - 90 * DAY,
                                        "data/new.csv": NOW - DAY}),
                 {"passed": True, "observed": "1d"}, id="freshness-newest-dependency-counts"),
    pytest.param(gate(kind="freshness", max_age="2d", dependency="data/old.csv"),
                 facts(data_changed_at={"data/old.csv": NOW - 90 * DAY,
                                        "data/new.csv": NOW - DAY}),
                 {"passed": False, "observed": "90d"}, id="freshness-named-dependency"),
    # --- requires ---
    pytest.param({"requires": {"environment": "staging", "soak": "24h"}},
                 facts(environment_history={"staging": [stay("v1.2.0", 5), stay("v1.3.0", 1)]}),
                 {"passed": True, "expected": "in staging for at least 24h",
                  "why": "v1.3.0 has been in staging since 2026-02-28T12:00:00+00:00 (1d), at "
                         "least 24h required"},
                 id="requires-soaked-exactly"),
    pytest.param({"requires": {"environment": "staging", "soak": "24h"}},
                 facts(environment_history={"staging": [stay("v1.3.0", 0.5)]}),
                 {"passed": False, "observed": "12h",
                  "why": "v1.3.0 has been in staging since 2026-03-01T00:00:00+00:00 (12h); 24h "
                         "required"},
                 id="requires-not-soaked"),
    pytest.param({"requires": {"environment": "staging"}},
                 facts(environment_history={"staging": [stay("v1.3.0", 0)]}),
                 {"passed": True, "expected": "in staging first"}, id="requires-without-soak"),
    pytest.param({"requires": {"environment": "staging"}},
                 facts(environment_history={"staging": [stay("v1.2.0", 3)]}),
                 {"passed": False, "why": "v1.3.0 was never in staging"},
                 id="requires-never-there"),
    pytest.param({"requires": {"environment": "staging"}}, facts(environment_history={}),
                 {"passed": False, "why": "v1.3.0 was never in staging"},
                 id="requires-empty-history"),
    pytest.param({"requires": {"environment": "staging", "soak": "2d"}},
                 facts(environment_history={"staging": [stay("v1.3.0", 6), stay("v1.4.0", 5)]}),
                 {"passed": False,
                  "why": "v1.3.0 was in staging from 2026-02-23T12:00:00+00:00 until "
                         "2026-02-24T12:00:00+00:00 (1d); 2d required"},
                 id="requires-replaced-before-soak"),
    pytest.param({"requires": {"environment": "staging", "soak": "2d"}},
                 facts(environment_history={"staging": [stay("v1.3.0", 6), stay("v1.4.0", 3)]}),
                 {"passed": True, "observed": "3d", "expected": "in staging for at least 2d",
                  "why": "v1.3.0 was in staging from 2026-02-23T12:00:00+00:00 until "
                         "2026-02-26T12:00:00+00:00 (3d), at least 2d required"},
                 id="requires-replaced-after-soak"),
    pytest.param({"requires": {"environment": "staging", "soak": "2d"}},
                 facts(environment_history={"staging": [
                     Assignment("v1.3.0", NOW - 6 * DAY, None, until=NOW - 5 * DAY)]}),
                 {"passed": False,
                  "why": "v1.3.0 was in staging from 2026-02-23T12:00:00+00:00 until "
                         "2026-02-24T12:00:00+00:00 (1d); 2d required"},
                 id="requires-retired-before-soak"),
    pytest.param({"requires": {"environment": "staging", "soak": "2d"}},
                 facts(environment_history={"staging": [stay("v1.3.0", 6), stay("v1.3.0", 5)]}),
                 {"passed": True, "observed": "6d"}, id="requires-reassigned-is-one-stay"),
    pytest.param({"requires": {"environment": "staging"}},
                 facts(candidate_version=None,
                       environment_history={"staging": [stay("v9", 2, commit="c0ffee")]}),
                 {"passed": True,
                  "why": "commit c0ffee has been in staging since 2026-02-27T12:00:00+00:00 (2d)"},
                 id="requires-matches-commit"),
    pytest.param({"requires": {"environment": "staging"}}, facts(),
                 {"passed": False, "why": "the registry's history was not read, so it is not "
                                          "known whether the candidate was in staging"},
                 id="requires-history-not-read"),
    # --- approval ---
    pytest.param({"approval": {"min_approvers": 2}},
                 facts(approvals=Approvals(("alice", "Alice ", "bob"), authors=("carol",))),
                 {"passed": True, "observed": 2,
                  "expected": "at least 2 distinct approvers, not the candidate's author",
                  "why": "2 distinct approvers: alice, bob"},
                 id="approval-distinct-approvers"),
    pytest.param({"approval": {"min_approvers": 2}},
                 facts(approvals=Approvals(("alice", "bob", "alice"), authors=("Bob",))),
                 {"passed": False, "observed": 1,
                  "why": "1 distinct approver: alice (bob, the candidate's author, does not "
                         "count); 2 needed"},
                 id="approval-author-excluded"),
    pytest.param({"approval": {"min_approvers": 2, "exclude_author": False}},
                 facts(approvals=Approvals(("alice", "bob"), authors=("bob",))),
                 {"passed": True, "expected": "at least 2 distinct approvers"},
                 id="approval-author-may-approve"),
    pytest.param({"approval": {"min_approvers": 1}}, facts(),
                 {"passed": False, "why": "no approvals were given"}, id="approval-none-given"),
    pytest.param({"approval": {"min_approvers": 1}},
                 facts(approvals=Approvals(("alice",))),
                 {"passed": False, "why": "the change's authors are not known, so their own "
                                          "approvals cannot be excluded"},
                 id="approval-author-unknown"),
    pytest.param({"approval": {"min_approvers": 1}},
                 facts(approvals=Approvals(("alice",), authors=(" ", ""))),
                 {"passed": False, "why": "the change's authors are not known, so their own "
                                          "approvals cannot be excluded"},
                 id="approval-authors-blank"),
    pytest.param({"approval": {"min_approvers": 1}},
                 facts(approvals=Approvals(("Carol", "dana", "erin"),
                                           authors=("bob", "carol", "Dana"))),
                 {"passed": True, "observed": 1,
                  "why": "1 distinct approver: erin (Carol, dana, authors of the change, do "
                         "not count)"},
                 id="approval-every-author-excluded"),
    pytest.param({"approval": {"min_approvers": 1}},
                 facts(approvals=Approvals((), authors=("carol",))),
                 {"passed": False, "observed": 0, "why": "0 distinct approvers; 1 needed"},
                 id="approval-empty-list"),
]


@pytest.mark.parametrize(("production", "given", "want"), CASES)
def test_one_gate(production: dict[str, Any], given: Evidence, want: dict[str, Any]) -> None:
    directions = {"cost": "lower"}
    decision = evaluate(make_model(production, directions), "production", given)
    validated, result = decision.results  # every promotion's validation row comes first
    assert (validated.kind, validated.passed) == ("validation", True)
    assert decision.passed is want["passed"]
    for name, value in want.items():
        got = getattr(result, name)
        if isinstance(value, float) and math.isnan(value):
            assert isinstance(got, float) and math.isnan(got)
        else:
            assert got == value, name
    json.dumps(decision.to_dict(), allow_nan=False)  # always valid JSON


def test_confidence_details_and_why() -> None:
    production = gate(kind="confidence", metric="roc_auc", min=0.75, seed=3)
    _, result = evaluate(make_model(production), "production", facts()).results
    d = result.details
    assert d["low"] <= d["point"] <= d["high"] and d["resamples_used"] == 1000
    assert result.observed == d["low"]
    assert result.why.startswith("95% CI of roc_auc [")
    assert result.why.endswith(f" from 1000 resamples of 400 predictions; lower bound "
                               f"{d['low']:.6g} >= 0.75")


def test_slices_report_small_slices_without_judging_them() -> None:
    production = gate(kind="slices", column="SEX", metric="roc_auc", min=0.6, min_size=30)
    _, result = evaluate(make_model(production), "production", facts()).results
    assert result.why.endswith("; not judged, under 30 rows: SEX=3 (1 row)")
    small = [s for s in result.details["slices"] if s["slice"] == "3"]
    assert small == [{"slice": "3", "rows": 1, "judged": False, "value": None,
                      "undefined": "every label is 1; roc_auc needs both classes"}]


def test_slices_group_missing_values_together() -> None:
    column = np.array(["a", None, "a", None, float("nan"), "a"], dtype=object)
    given = facts(predictions=Predictions(np.array([0, 1, 1, 0, 1, 0]), np.linspace(0, 1, 6),
                                          {"g": column}))
    production = gate(kind="slices", column="g", metric="accuracy", min=0.1, min_size=1)
    _, result = evaluate(make_model(production), "production", given).results
    assert [(s["slice"], s["rows"]) for s in result.details["slices"]] == [
        ("(missing)", 3), ("a", 3)]


def test_order_is_requires_then_gates_then_approval() -> None:
    production = {"requires": {"environment": "staging"}, "approval": {"min_approvers": 1},
                  "gates": [{"kind": "threshold", "metric": "roc_auc", "min": 0.5},
                            {"kind": "reproducible", "name": "clean repo"}]}
    decision = evaluate(make_model(production), "production", facts(repo=RepoState(True)))
    assert [(r.gate, r.kind, r.index) for r in decision.results] == [
        ("validation", "validation", None), ("requires staging", "requires", None), ("threshold roc_auc", "threshold", 0),
        ("clean repo", "reproducible", 1), ("approval", "approval", None)]
    assert not decision.passed  # no history, no approvals


def test_rollback_uses_rollback_gates_and_skips_requires() -> None:
    production = {"requires": {"environment": "staging"}, "approval": {"min_approvers": 1},
                  "gates": [{"kind": "threshold", "metric": "roc_auc", "min": 0.99}],
                  "rollback": {"gates": [{"kind": "reproducible"}]}}
    decision = evaluate(make_model(production), "production", facts(repo=RepoState(True)),
                        action="rollback")
    assert [r.kind for r in decision.results] == ["reproducible"]
    assert decision.passed and decision.to_dict()["action"] == "rollback"


def test_environment_without_gates_passes() -> None:
    decision = evaluate(make_model({}), "production", facts())
    assert [r.kind for r in decision.results] == ["validation"] and decision.passed


@pytest.mark.parametrize(("review", "now", "passed", "observed", "why"), [
    ({"last_validated": "2026-01-01", "interval_days": 365}, datetime(2027, 1, 1, 23, 59,
                                                                         tzinfo=UTC),
     True, "until 2027-01-01", "validated 2026-01-01, valid until 2027-01-01 (0 days left)"),
    ({"last_validated": "2026-01-01", "interval_days": 365}, datetime(2027, 1, 2, tzinfo=UTC),
     False, "lapsed 2027-01-01",
     "the model's validation lapsed after 2027-01-01 (last validated 2026-01-01); revalidate "
     "it and update review: in its declaration on the default branch"),
    ({"last_validated": "2026-01-01", "interval_days": 365, "valid_until": "2026-02-28"}, NOW,
     False, "lapsed 2026-02-28",  # the earlier end binds
     "the model's validation lapsed after 2026-02-28 (last validated 2026-01-01); revalidate "
     "it and update review: in its declaration on the default branch"),
    ({"last_validated": "2026-01-01", "valid_until": "2026-03-01"}, NOW,
     True, "until 2026-03-01", "validated 2026-01-01, valid until 2026-03-01 (0 days left)"),
], ids=["last-day-holds", "day-after-lapses", "earlier-end-binds", "valid-until-only"])
def test_a_lapsed_validation_refuses_every_promotion(review: dict[str, Any], now: datetime,
                                                     passed: bool, observed: str,
                                                     why: str) -> None:
    model = replace(make_model({}), review=Review(**review))
    for env in ("staging", "production"):
        decision = evaluate(model, env, facts(now=now))
        [row] = decision.results
        assert (row.kind, row.passed, row.observed, row.why, decision.passed) == (
            "validation", passed, observed, why, passed)


def test_a_rollback_has_no_validation_row() -> None:
    """A rollback brings back a version judged when it was promoted: a lapsed validation
    must not keep the version being rolled back serving."""
    model = replace(make_model({"rollback": {"gates": []}}),
                    review=Review("2020-01-01", interval_days=30))
    decision = evaluate(model, "production", facts(), action="rollback")
    assert decision.results == () and decision.passed
    assert not evaluate(model, "production", facts()).passed


def test_unknown_environment_is_a_usage_error() -> None:
    with pytest.raises(MlgateError) as caught:
        evaluate(make_model({}), "prod", facts())
    assert caught.value.render() == ("pipelines/tiny.yaml: model tiny has no environment 'prod'\n"
                                     "  hint: its environments: staging, production")


def test_to_dict_has_no_nan_or_infinity() -> None:
    result = GateResult("g", "threshold", math.nan, ">= 1", False, "x is NaN",
                        {"low": -math.inf, "values": np.array([1.5, np.inf]),
                         "when": NOW, "n": np.int64(3)})
    assert result.to_dict() == {
        "gate": "g", "kind": "threshold", "index": None, "observed": "NaN",
        "expected": ">= 1", "passed": False, "why": "x is NaN",
        "details": {"low": "-inf", "values": [1.5, "inf"], "when": "2026-03-01T12:00:00+00:00",
                    "n": 3},
    }


def test_evaluate_is_repeatable() -> None:
    production = {"gates": [{"kind": "confidence", "metric": "roc_auc", "min": 0.5},
                            {"kind": "slices", "column": "SEX", "metric": "accuracy",
                             "max_gap": 0.5}]}
    model = make_model(production)
    assert evaluate(model, "production", facts()) == evaluate(model, "production", facts())
