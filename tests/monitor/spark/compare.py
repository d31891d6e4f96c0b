"""Spark's profile against the local engine's: equal, moments up to rounding."""

from __future__ import annotations

import math
from typing import Any

from mlgate.monitor.codec import to_dict
from mlgate.monitor.summaries import Profile

MOMENTS = ("mean", "variance")
RELATIVE = 1e-12


def _same(a: Any, b: Any, where: str) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        assert sorted(a) == sorted(b), where
        for key in a:
            if key in MOMENTS and isinstance(a[key], float) and isinstance(b[key], float):
                assert math.isclose(a[key], b[key], rel_tol=RELATIVE, abs_tol=1e-300), \
                    f"{where}.{key}: {a[key]!r} != {b[key]!r}"
            else:
                _same(a[key], b[key], f"{where}.{key}")
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def assert_same_profile(spark: Profile, local: Profile) -> None:
    """Counts, nulls, categories, extremes, schema and every sketch bucket exactly."""
    _same(to_dict(spark), to_dict(local), "profile")
