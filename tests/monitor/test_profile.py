from __future__ import annotations

import decimal
import math

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlgate.errors import MlgateError
from mlgate.monitor import (
    CategoricalSummary,
    NumericSummary,
    Profile,
    dumps,
    loads,
    merge,
    merge_all,
    profile_table,
    read_profile,
    write_profile,
)
from tests.support.monitor import assert_same_profile


@pytest.mark.parametrize(
    ("array", "kind", "type_string"),
    [
        (pa.array([1, 2, None], pa.int64()), "numeric", "int64"),
        (pa.array([1, 2, None], pa.uint8()), "numeric", "uint8"),
        (pa.array([1.5, None], pa.float32()), "numeric", "float"),
        (pa.array([decimal.Decimal("1.25")], pa.decimal128(5, 2)), "numeric", "decimal128(5, 2)"),
        (pa.array([None, None], pa.null()), "numeric", "null"),
        (pa.array(["a", None]), "categorical", "string"),
        (pa.array(["a", None], pa.large_string()), "categorical", "large_string"),
        (pa.array([True, False, None]), "categorical", "bool"),
        (
            pa.array(["a", "b", "a"]).dictionary_encode(),
            "categorical",
            "dictionary<values=string, indices=int32, ordered=0>",
        ),
    ],
)
def test_column_kind_follows_the_arrow_type(array: pa.Array, kind: str, type_string: str) -> None:
    profile = profile_table(pa.table({"c": array}))
    assert profile.columns["c"].kind == kind
    assert profile.schema == (("c", type_string),)


def test_numeric_summary() -> None:
    column = pa.array([3.0, None, -1.0, math.nan, 0.0, math.inf, 4.0])
    summary = profile_table(pa.table({"x": column})).columns["x"]
    assert isinstance(summary, NumericSummary)
    # NaN and infinities count as nulls: they have no place on a distribution
    assert (summary.count, summary.null_count) == (4, 3)
    assert (summary.minimum, summary.maximum, summary.mean) == (-1.0, 4.0, 1.5)
    assert summary.variance == pytest.approx(np.var([3.0, -1.0, 0.0, 4.0]))
    assert summary.sketch.count == 4


@pytest.mark.parametrize(
    ("array", "counts", "nulls"),
    [
        (pa.array(["b", "a", None, "b", ""]), {"": 1, "a": 1, "b": 2}, 1),
        (pa.array([True, None, True]), {"true": 2}, 1),
        (pa.array(["x", None, "x"]).dictionary_encode(), {"x": 2}, 1),
        (pa.array([7, 7, None, 8]), {"7": 2, "8": 1}, 1),
        (pa.array([], pa.string()), {}, 0),
    ],
)
def test_categorical_counts(array: pa.Array, counts: dict[str, int], nulls: int) -> None:
    summary = profile_table(pa.table({"c": array}), categorical=["c"]).columns["c"]
    assert summary == CategoricalSummary(nulls, counts)


def test_columns_subset_always_includes_the_score_and_record_batches_work() -> None:
    batch = pa.record_batch({"a": [1.0], "b": ["x"], "score": [0.3]})
    profile = profile_table(batch, columns=["b"], score_column="score")
    assert profile.schema == (("b", "string"), ("score", "double"))
    assert profile.score_column == "score"
    assert profile.rows == 1


def test_unknown_column_is_a_user_error() -> None:
    with pytest.raises(MlgateError) as raised:
        profile_table(pa.table({"a": [1]}), columns=["a", "zz"])
    assert raised.value.render() == "column(s) not in the table: zz\n  hint: the table has: a"


EXAMPLE_JSON = (
    '{"columns":{"age":{"count":3,"kind":"numeric","max":51.0,"mean":38.0,"min":29.0,'
    '"null_count":1,"sketch":{"negative":[],"positive":[[169,1],[177,1],[197,1]],'
    '"zero":0},"variance":88.66666666666667},"city":{"counts":{"Lyon":1,"Paris":2},'
    '"kind":"categorical","null_count":1}},"format":"mlgate.profile",'
    '"relative_accuracy":0.01,"rows":4,"schema":[{"name":"age","type":"int64"},'
    '{"name":"city","type":"string"}],"score_column":null,"version":1}'
)


def _example() -> Profile:
    return profile_table(
        pa.table({"age": [29, None, 34, 51], "city": ["Paris", "Lyon", None, "Paris"]})
    )


def test_json_is_small_deterministic_and_round_trips(tmp_path: object) -> None:
    assert dumps(_example()) == EXAMPLE_JSON
    assert loads(EXAMPLE_JSON) == _example()
    assert dumps(loads(EXAMPLE_JSON)) == EXAMPLE_JSON


def test_json_file_round_trip_with_non_finite_moments(tmp_path: pytest.TempPathFactory) -> None:
    profile = profile_table(pa.table({"x": [1e308, -1e308, 1e308]}))
    assert isinstance(profile.columns["x"], NumericSummary)
    path = tmp_path / "profile.json"  # type: ignore[operator]
    write_profile(profile, path)
    assert dumps(read_profile(path)) == dumps(profile)


@pytest.mark.parametrize(
    ("text", "rendered"),
    [
        ("[1, 2", "ref.json:1:6: invalid JSON: Expecting ',' delimiter\n"
                  "  hint: re-create the profile with `mlgate profile`"),
        ('{"format": ' + "[" * 65 + "]" * 65 + "}",
         "ref.json:1:75: nested more than 64 levels deep\n"
         "  hint: re-create the profile with `mlgate profile`"),
        (b'{"format": "\xff"}', "ref.json:1:13: not valid UTF-8: byte 0xff cannot be decoded\n"
                              "  hint: save the file as UTF-8"),
        (
            '{"format": "other"}',
            "ref.json: not an mlgate profile\n  hint: expected a JSON "
            "object with format 'mlgate.profile'",
        ),
        (
            '{"format": "mlgate.profile", "version": 99}',
            "ref.json: unsupported profile version 99 (this mlgate reads 1)\n"
            "  hint: re-create the profile with this version of mlgate",
        ),
        (
            '{"format": "mlgate.profile", "version": 1, "rows": 1}',
            "ref.json: malformed profile: KeyError: 'relative_accuracy'\n"
            "  hint: the file may be truncated or edited by hand; re-create it",
        ),
    ],
)
def test_bad_profile_documents(text: str | bytes, rendered: str) -> None:
    with pytest.raises(MlgateError) as raised:
        loads(text, source="ref.json")
    assert raised.value.render() == rendered


# -- merging --------------------------------------------------------------------------

numbers = st.one_of(
    st.none(),
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False),
    st.just(math.nan),
    st.just(0.0),
)
labels = st.one_of(st.none(), st.sampled_from(["a", "b", "", "long category name"]))
rows = st.lists(st.tuples(numbers, labels, st.floats(0, 1)), max_size=40)


def _table(part: list[tuple[float | None, str | None, float]]) -> pa.Table:
    return pa.table(
        {
            "x": pa.array([r[0] for r in part], pa.float64()),
            "label": pa.array([r[1] for r in part], pa.string()),
            "score": pa.array([r[2] for r in part], pa.float64()),
        }
    )


@settings(max_examples=150, deadline=None)
@given(rows, rows, rows)
def test_merge_equals_profiling_the_concatenation(
    a: list[tuple[float | None, str | None, float]],
    b: list[tuple[float | None, str | None, float]],
    c: list[tuple[float | None, str | None, float]],
) -> None:
    parts = [profile_table(_table(p), score_column="score") for p in (a, b, c)]
    whole = profile_table(_table(a + b + c), score_column="score")
    assert_same_profile(merge(merge(parts[0], parts[1]), parts[2]), whole)
    assert_same_profile(merge(parts[0], merge(parts[1], parts[2])), whole)
    assert_same_profile(merge_all(parts), whole)


def test_merge_moments_at_scale_are_accurate() -> None:
    rng = np.random.default_rng(11)
    data = rng.normal(1e4, 3.0, 300_000)
    chunks = [profile_table(pa.table({"x": chunk})) for chunk in np.array_split(data, 17)]
    merged = merge_all(chunks).columns["x"]
    assert isinstance(merged, NumericSummary)
    assert merged.mean == pytest.approx(data.mean(), rel=1e-12)
    assert merged.variance == pytest.approx(data.var(), rel=1e-9)


@pytest.mark.parametrize(
    ("left", "right", "merged_type", "kind"),
    [
        (pa.array([1, 2]), pa.array([1.5]), "double", "numeric"),
        (pa.array([1, 2]), pa.array([None, None], pa.null()), "int64", "numeric"),
        (pa.array([None], pa.null()), pa.array(["a"]), "string", "categorical"),
        (pa.array(["a"]), pa.array(["b"], pa.large_string()), "string", "categorical"),
    ],
)
def test_merge_widens_types_across_batches(
    left: pa.Array, right: pa.Array, merged_type: str, kind: str
) -> None:
    merged = merge(profile_table(pa.table({"c": left})), profile_table(pa.table({"c": right})))
    assert merged.schema == (("c", merged_type),)
    assert merged.columns["c"].kind == kind
    assert merged.columns["c"].null_count == left.null_count + right.null_count


@pytest.mark.parametrize(
    ("left", "right", "rendered"),
    [
        (
            pa.table({"a": [1]}),
            pa.table({"b": [1]}),
            "cannot merge profiles with different columns\n  hint: one has a; the other has b",
        ),
        (
            pa.table({"a": [1]}),
            pa.table({"a": ["x"]}),
            "cannot merge profiles: column 'a' is numeric in one and categorical in the other\n"
            "  hint: pass the same categorical columns when profiling every part",
        ),
    ],
)
def test_merge_refuses_incompatible_profiles(
    left: pa.Table, right: pa.Table, rendered: str
) -> None:
    with pytest.raises(MlgateError) as raised:
        merge(profile_table(left), profile_table(right))
    assert raised.value.render() == rendered


def test_numeric_quantiles_are_clamped_to_the_exact_extremes() -> None:
    summary = profile_table(pa.table({"x": [10.0, 20.0, 30.0]})).columns["x"]
    assert isinstance(summary, NumericSummary)
    low, mid, high = summary.quantiles([0.0, 0.5, 1.0])
    assert (low, high) == (10.0, 30.0)
    assert mid == pytest.approx(20.0, rel=0.01)
