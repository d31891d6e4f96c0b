"""mlgate.plumbing.jsonread.loads gives json.loads's result, whatever the text: a record's digest
must never depend on which decoder read it."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlgate.plumbing import jsonread
from mlgate.registry import ledger

SCALARS = st.one_of(
    st.none(), st.booleans(), st.text(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
)
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(), inner, max_size=4)), max_leaves=20)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a)
                                                     == math.copysign(1, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


@settings(max_examples=300, deadline=None)
@given(VALUES, st.sampled_from([None, 2]))
def test_same_as_json_for_any_document(value: Any, indent: int | None) -> None:
    text = json.dumps(value, indent=indent, sort_keys=indent is not None, ensure_ascii=False)
    for raw in (text, text.encode()):
        assert _same(jsonread.loads(raw), json.loads(raw))


@pytest.mark.parametrize("text", [
    '{"big": 123456789012345678901234567890}',  # orjson would read a float
    '{"edge": 9223372036854775808, "neg": -9223372036854775809}',
    '{"x": NaN, "y": Infinity, "z": -Infinity}',  # orjson rejects these
    '{"x": 1e400}',
    '{"s": "\\ud800"}',  # a lone surrogate
    '{"a": 1, "a": 2}',  # the last one wins, as in json
    '{"f": 1e-05, "g": 1E+16, "h": -0.0, "i": 0.1}',
])
def test_corners_decode_as_json_does(text: str) -> None:
    assert _same(jsonread.loads(text), json.loads(text))
    assert _same(jsonread.loads(text.encode()), json.loads(text.encode()))


@pytest.mark.parametrize("text", ['{"a": 1', "", "[1, 2,]", '{"a": tru}', "\xff"])
def test_bad_json_raises_json_errors(text: str) -> None:
    with pytest.raises(json.JSONDecodeError):
        jsonread.loads(text)


def test_a_records_digest_does_not_depend_on_the_decoder() -> None:
    record = ledger.statement("model.bin", "ab" * 32, "cd" * 16, {
        "model": "m", "version": "1.0.0", "seq": 2**65, "metrics": {"auc": 0.91, "tiny": 1e-7},
        "reason": "Zoë's \u2603 fix"})
    text = json.dumps(record, sort_keys=True, indent=2, ensure_ascii=False)
    assert ledger.digest(jsonread.loads(text.encode())) == ledger.digest(record)


@pytest.mark.parametrize(("text", "long"), [
    ('{"n": 1234567890123456789}', True),
    ('{"n": -1234567890123456789}', True),
    ('[1234567890123456789]', True),
    ('1234567890123456789', True),
    ('{"a": 1,\n"n":\t12345678901234567890}', True),
    ('{"commit": "e2dce5022864034381234567890123456789abcd"}', False),  # digits in a string
    ('{"n": 123456789012345678}', False),  # 18 digits: orjson reads it exactly
    ('{"s": "x 1234567890123456789"}', True),  # inside a string, after a space: json decides
])
def test_long_numbers_are_found(text: str, long: bool) -> None:
    assert jsonread._long_number(text.encode()) is long
    assert _same(jsonread.loads(text), json.loads(text))


@pytest.mark.parametrize(("text", "line", "column"), [
    ("[" * 65 + "]" * 65, 1, 65),
    ("[" * 5000 + "]" * 5000, 1, 65),  # json.loads ends here in a RecursionError
    ('{"a":' * 5000 + "1" + "}" * 5000, 1, 321),
    ('{\n  "é": ' + "[" * 70, 2, 71),  # a column counts characters, not bytes
])
def test_nesting_deeper_than_the_limit_is_a_decoding_error(text: str, line: int,
                                                           column: int) -> None:
    for raw in (text, text.encode()):
        with pytest.raises(jsonread.TooDeep) as raised:
            jsonread.loads(raw)
        assert (raised.value.msg, raised.value.lineno, raised.value.colno) == (
            "nested more than 64 levels deep", line, column)


@pytest.mark.parametrize("text", [
    "[" * 64 + "]" * 64,
    '["' + "[" * 100 + '"]',  # brackets in strings are no nesting
    '["\\"' + "{" * 100 + '"]',  # nor after an escaped quote
    "[" + "[1]," * 1000 + "1]",  # many brackets, two levels
])
def test_nesting_up_to_the_limit_decodes_as_json_does(text: str) -> None:
    assert jsonread.loads(text) == json.loads(text)


def test_the_limit_is_the_callers() -> None:
    text = "[" * 100 + "]" * 100
    assert jsonread.loads(text, max_depth=jsonread.RECORD_DEPTH) == json.loads(text)
    with pytest.raises(jsonread.TooDeep):
        jsonread.loads(text, max_depth=99)


@settings(max_examples=300, deadline=None)
@given(VALUES, st.integers(min_value=0, max_value=8))
def test_the_depth_found_is_the_depth(value: Any, extra: int) -> None:
    """Wrapped ``extra`` lists deeper, with brackets, quotes and backslashes in its strings:
    accepted up to the limit, refused one past it."""
    text = "[" * extra + json.dumps(value, ensure_ascii=False) + "]" * extra

    def depth(node: Any) -> int:
        children = node.values() if isinstance(node, dict) else node if isinstance(
            node, list) else ()
        return 1 + max(map(depth, children), default=0) if isinstance(node, dict | list) else 0

    deepest = depth(json.loads(text))
    if deepest:
        assert _same(jsonread.loads(text, max_depth=deepest), json.loads(text))
        with pytest.raises(jsonread.TooDeep):
            jsonread.loads(text, max_depth=deepest - 1)
