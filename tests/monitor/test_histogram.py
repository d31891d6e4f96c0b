"""Chart data: the reference's quantile bins and the most common categories."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from mlgate.monitor import CategoricalSummary, NumericSummary, profile_table
from mlgate.monitor.histogram import categorical_histogram, histogram, numeric_histogram


def numeric(values: np.ndarray) -> NumericSummary:
    summary = profile_table(pa.table({"v": values})).columns["v"]
    assert isinstance(summary, NumericSummary)
    return summary


def test_numeric_bins_are_the_reference_deciles() -> None:
    rng = np.random.default_rng(1)
    reference = numeric(rng.normal(0, 1, 100_000))
    shifted = numeric(rng.normal(1, 1, 100_000))
    chart = numeric_histogram("v", reference, shifted)
    assert len(chart.labels) == 10
    assert chart.labels[0].startswith("≤ ") and chart.labels[-1].startswith("> ")
    assert chart.reference == pytest.approx([0.1] * 10, abs=0.01)
    assert sum(chart.current) == pytest.approx(1.0)
    assert chart.current[-1] > 0.3  # the shifted mass piles up in the top decile
    assert chart.unseen == (False,) * 10


def test_categories_most_common_first_then_pooled() -> None:
    reference = CategoricalSummary(0, {"a": 50, "b": 30, "c": 15, "d": 5})
    current = CategoricalSummary(3, {"a": 40, "b": 30, "new": 20, "d": 10})
    chart = categorical_histogram("c", reference, current, top=3)
    assert chart.labels == ("a", "b", "new", "2 others")
    assert chart.reference == pytest.approx((0.5, 0.3, 0.0, 0.2))
    assert chart.current == pytest.approx((0.4, 0.3, 0.2, 0.1))
    assert chart.unseen == (False, False, True, False)


def test_nothing_to_draw_across_kinds() -> None:
    reference = CategoricalSummary(0, {"a": 1})
    assert histogram("c", reference, numeric(np.array([1.0]))) is None
    assert histogram("c", reference, None) is None


def test_empty_current() -> None:
    chart = categorical_histogram("c", CategoricalSummary(0, {"a": 2}), CategoricalSummary(5, {}))
    assert (chart.labels, chart.reference, chart.current) == (("a",), (1.0,), (0.0,))
