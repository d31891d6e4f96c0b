"""Shared assertions for the monitor tests: one profile equals another, exactly where the
arithmetic is exact (counts, sketches, extremes), within a tolerance where it rounds."""

from __future__ import annotations

import math

from mlgate.monitor import NumericSummary, Profile


def assert_same_profile(actual: Profile, expected: Profile, rel: float = 1e-9) -> None:
    """Counts, buckets, extremes, schema exactly; mean and variance to ``rel``.

    Rounding in a mean or variance is relative to the data's magnitude, not to the
    result (a variance near zero of large values), hence the absolute floor.
    """
    assert actual.rows == expected.rows
    assert actual.schema == expected.schema
    assert actual.score_column == expected.score_column
    assert list(actual.columns) == list(expected.columns)
    for name, want in expected.columns.items():
        got = actual.columns[name]
        if not isinstance(want, NumericSummary):
            assert got == want, name
            continue
        assert isinstance(got, NumericSummary)
        assert (got.count, got.null_count) == (want.count, want.null_count), name
        assert (got.minimum, got.maximum) == (want.minimum, want.maximum), name
        assert got.sketch == want.sketch, name
        scale = max(abs(want.minimum or 0.0), abs(want.maximum or 0.0), 1.0)
        assert math.isclose(got.mean, want.mean, rel_tol=rel, abs_tol=rel * scale), name
        assert math.isclose(
            got.variance, want.variance, rel_tol=rel, abs_tol=rel * scale * scale
        ), name
