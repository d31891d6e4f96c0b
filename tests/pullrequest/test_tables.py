"""The shape (rows, columns) of a data file the report shows, from its bytes alone."""

from __future__ import annotations

import pytest

from mlgate.pullrequest.tables import Shape, shape


@pytest.mark.parametrize(("data", "expected"), [
    (b"a,b\n1,2\n3,4\n", Shape(2, ("a", "b"))),
    (b"a,b\n1,2\n3,4", Shape(2, ("a", "b"))),  # no newline at the end
    (b'a,b\n1,"two\nlines"\n3,4\n', Shape(2, ("a", "b"))),  # a newline inside quotes
    (b"a,b\n", Shape(0, ("a", "b"))),
])
def test_csv_shape(data: bytes, expected: Shape) -> None:
    assert shape(data, "x.csv") == expected


def test_unreadable_parquet_has_no_shape() -> None:
    assert shape(b"not parquet", "x.parquet") is None
