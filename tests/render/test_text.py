"""Plain-text tables and values, as every command prints them."""

from __future__ import annotations

import numpy as np
import pytest

from mlgate.render.text import fmt_value, table


@pytest.mark.parametrize(("value", "shown"), [
    (0.0, "0"), (-0.0, "-0"), (0.5, "0.5"), (0.12345678, "0.1235"), (123456.7, "123456.7"),
    (1e-4, "0.0001"), (1e-5, "1e-05"), (-1e-5, "-1e-05"),
    (float("nan"), "nan"), (float("inf"), "inf"), (float("-inf"), "-inf"),
    (np.float64(0.25), "0.25"), (3, "3"), (True, "yes"), (False, "no"), (None, "-"),
    ("text", "text"),
])
def test_values(value: object, shown: str) -> None:
    assert fmt_value(value) == shown


def test_digits() -> None:
    assert fmt_value(0.123456789, digits=6) == "0.123457"
    assert fmt_value(1e-7, digits=6) == "1e-07"


def test_columns_line_up_whatever_the_cells() -> None:
    out = table(["name", "value", "note"], [("a", 0.5, "{}"), ("longer", None, ""),
                                            ("b", True, "{0} {x}")])
    assert out.splitlines() == [
        "name    value  note",
        "------  -----  -------",
        "a       0.5    {}",
        "longer  -",
        "b       yes    {0} {x}",
    ]


def test_no_rows_and_empty_headers() -> None:
    assert table(["", "x"], []).splitlines() == ["  x", "  -"]


def test_a_row_of_the_wrong_width_is_a_bug() -> None:
    with pytest.raises(ValueError):
        table(["a", "b"], [("1",)])
