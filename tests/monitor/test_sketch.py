from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlgate.monitor import Sketch

finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)
values_lists = st.lists(finite, max_size=60)


def _sketch(values: list[float] | np.ndarray, accuracy: float = 0.01) -> Sketch:
    return Sketch.from_values(np.asarray(values, dtype=np.float64), accuracy)


@settings(max_examples=200, deadline=None)
@given(values_lists, values_lists)
def test_merge_equals_sketch_of_concatenation(a: list[float], b: list[float]) -> None:
    assert _sketch(a).merge(_sketch(b)) == _sketch(a + b)


@settings(max_examples=200, deadline=None)
@given(st.lists(finite, min_size=1, max_size=60), st.floats(min_value=0, max_value=1))
def test_quantile_is_within_relative_accuracy_of_the_rank_value(
    values: list[float], q: float
) -> None:
    ordered = np.sort(np.asarray(values))
    expected = ordered[int(np.floor(q * (len(values) - 1)))]
    (got,) = _sketch(values).quantiles(np.array([q]))
    assert abs(got - expected) <= 0.01 * abs(expected) * (1 + 1e-9)


@pytest.mark.parametrize(
    "name",
    ["normal", "lognormal", "uniform", "exponential", "mixed-sign heavy tail"],
)
def test_deciles_of_large_samples(name: str) -> None:
    rng = np.random.default_rng(7)
    n = 100_000
    data = {
        "normal": rng.normal(100, 15, n),
        "lognormal": rng.lognormal(0, 2, n),
        "uniform": rng.uniform(-5, 5, n),
        "exponential": rng.exponential(3, n),
        "mixed-sign heavy tail": rng.standard_t(2, n) * 1e4,
    }[name]
    qs = np.linspace(0, 1, 11)
    truth = np.quantile(data, qs, method="lower")
    got = _sketch(data).quantiles(qs)
    np.testing.assert_array_less(np.abs(got - truth), 0.01 * np.abs(truth) + 1e-12)


@pytest.mark.parametrize(
    ("values", "expected_json"),
    [
        ([], {"negative": [], "zero": 0, "positive": []}),
        ([0.0, -0.0, 0.0], {"negative": [], "zero": 3, "positive": []}),
        ([1.0, 1.0], {"negative": [], "zero": 0, "positive": [[0, 2]]}),
        # gamma = 1.01 / 0.99: bucket k holds (gamma**(k-1), gamma**k]
        ([1.03, -1.03, -1.0], {"negative": [[0, 1], [2, 1]], "zero": 0, "positive": [[2, 1]]}),
        ([2.0, 0.0, -0.5], {"negative": [[-34, 1]], "zero": 1, "positive": [[35, 1]]}),
    ],
)
def test_bucket_keys(values: list[float], expected_json: dict[str, object]) -> None:
    sketch = _sketch(values)
    assert sketch.to_json() == expected_json
    assert Sketch.from_json(expected_json, 0.01) == sketch
    assert sketch.count == len(values)


def test_ordinals_follow_value_order() -> None:
    values = np.array([-1e9, -3.0, -1e-9, 0.0, 1e-9, 3.0, 1e9])
    sketch = _sketch(values)
    assert np.all(np.diff(sketch.ordinals) > 0)
    np.testing.assert_allclose(sketch.values(), values, rtol=0.01)


def test_empty_sketch_has_nan_quantiles_and_no_edges() -> None:
    sketch = Sketch()
    assert np.isnan(sketch.quantiles(np.array([0.5]))).all()
    assert sketch.quantile_edges(10).size == 0


def test_quantile_bins_hold_equal_mass_and_partition_everything() -> None:
    rng = np.random.default_rng(3)
    reference = _sketch(rng.normal(0, 1, 200_000))
    edges = reference.quantile_edges(10)
    shares = reference.bin_counts(edges) / reference.count
    assert edges.size == 9
    np.testing.assert_allclose(shares, 0.1, atol=0.01)
    other = _sketch(rng.normal(5, 1, 1_000))
    assert other.bin_counts(edges).sum() == 1_000


def test_discrete_data_gets_fewer_bins() -> None:
    reference = _sketch(np.repeat([1.0, 2.0, 3.0], 100))
    assert reference.quantile_edges(10).size == 3
    assert list(reference.bin_counts(reference.quantile_edges(10))) == [100, 100, 100, 0]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: Sketch.from_values(np.ones(3), 0.0),
            "relative accuracy must be in [1e-4, 1), got 0.0",
        ),
        (
            lambda: Sketch(0.01).merge(Sketch(0.02)),
            "cannot merge sketches of different relative accuracy (0.01 and 0.02)",
        ),
        (
            lambda: Sketch.from_json(
                {"negative": [], "zero": 0, "positive": [[2, 1], [1, 1]]}, 0.01
            ),
            "sketch bucket keys must be strictly ascending",
        ),
    ],
)
def test_invalid_use(call: object, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        call()  # type: ignore[operator]
    assert str(raised.value) == message
