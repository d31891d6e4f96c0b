"""The performance gap and the label join, on tables of cases."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import log_loss, roc_auc_score

from mlgate.errors import MlgateError
from mlgate.monitor.batch import join_labels
from mlgate.monitor.performance import check_performance

RNG = np.random.default_rng(0)
SCORE = RNG.random(2000)
LABEL = (RNG.random(2000) < SCORE).astype(int)
AUC = float(roc_auc_score(LABEL, SCORE))
LOSS = float(log_loss(LABEL, SCORE))


def check(metric: str, recorded: float, **options: object):  # type: ignore[no-untyped-def]
    settings = {"recorded_source": "test", "max_gap": 0.02, "min_rows": 100, **options}
    return check_performance(metric, LABEL, SCORE, recorded=recorded, **settings)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("metric", "recorded", "level", "shortfall"),
    [
        ("roc_auc", AUC, "ok", 0.0),
        ("roc_auc", AUC + 0.019, "ok", 0.019),
        ("roc_auc", AUC + 0.021, "alert", 0.021),
        ("roc_auc", AUC - 0.1, "ok", -0.1),  # better in production: no alert
        ("log_loss", LOSS - 0.021, "alert", 0.021),  # lower is better: a rise is a shortfall
        ("log_loss", LOSS + 0.5, "ok", -0.5),
    ],
)
def test_gap_follows_the_metrics_direction(
    metric: str, recorded: float, level: str, shortfall: float
) -> None:
    result = check(metric, recorded)
    assert result.level == level
    assert result.shortfall == pytest.approx(shortfall, abs=1e-9)
    assert result.production == pytest.approx(AUC if metric == "roc_auc" else LOSS, rel=1e-9)
    assert (result.rows, result.note) == (2000, None)


def test_too_few_rows_warns_without_a_verdict() -> None:
    result = check("roc_auc", AUC, min_rows=5000)
    assert (result.level, result.production, result.shortfall) == ("warn", None, None)
    assert result.note == "only 2000 labelled rows (fewer than 5000): not judged"


def test_undefined_metric_warns() -> None:
    result = check_performance("roc_auc", np.ones(200), np.linspace(0, 1, 200), recorded=0.9,
                               recorded_source="t", max_gap=0.02, min_rows=100)
    assert result.level == "warn"
    assert result.note is not None and result.note.endswith(": not judged")
    assert "needs both classes" in result.note  # mlgate.evaluation.binary says why


@pytest.mark.parametrize(
    ("ids", "label_ids", "labels", "expected", "unlabelled"),
    [
        ([1, 2, 3], [3, 1], [1.0, 0.0], ([0.0, 1.0], [0.1, 0.3]), 1),
        ([1, 2, 3], [], [], ([], []), 3),
        (["a", "b"], ["b", "a", "z"], [1.0, 0.0, 1.0], ([0.0, 1.0], [0.1, 0.2]), 0),
        ([7, 8], ["8"], [1.0], ([1.0], [0.2]), 1),  # ids read as numbers in one file only
    ],
)
def test_join_labels(ids: list[object], label_ids: list[object], labels: list[float],
                     expected: tuple[list[float], list[float]], unlabelled: int) -> None:
    score = np.array([0.1, 0.2, 0.3][: len(ids)])
    label, matched, missing = join_labels(np.array(ids), score, np.array(label_ids),
                                          np.array(labels, dtype=float))
    assert (label.tolist(), matched.tolist(), missing) == (*expected, unlabelled)


def test_repeated_label_ids_are_an_error() -> None:
    with pytest.raises(MlgateError) as raised:
        join_labels(np.array([1]), np.array([0.5]), np.array([4, 4, 5]), np.array([1.0, 0, 1]))
    assert raised.value.render() == (
        "the labels hold 1 repeated id(s), e.g. 4\n  hint: give each row one label")
