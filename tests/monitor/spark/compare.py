"""Spark's results against the local engine's: equal, but for moments up to rounding and
Arrow's storage detail of a type (``large_string`` is ``string``, as the monitor reads it)."""

from __future__ import annotations

import math
from typing import Any

from mlgate.monitor.codec import to_dict
from mlgate.monitor.drift import logical_type
from mlgate.monitor.summaries import Profile

MOMENTS = ("mean", "variance")


def assert_close(a: Any, b: Any, where: str = "", *, relative: float = 1e-12,
                 floats: tuple[str, ...] | None = MOMENTS) -> None:
    """``a == b``, except floats under a key in ``floats`` (None: every float) to
    ``relative``, and ``type`` keys as :func:`logical_type`."""
    key = where.rsplit(".", 1)[-1]
    if isinstance(a, dict):
        assert isinstance(b, dict) and sorted(a) == sorted(b), f"{where}: {sorted(a)} {sorted(b)}"
        for k in a:
            assert_close(a[k], b[k], f"{where}.{k}", relative=relative, floats=floats)
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), f"{where}: {a!r} != {b!r}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_close(x, y, f"{where}[{i}]", relative=relative, floats=floats)
    elif isinstance(a, float) and isinstance(b, float) and (floats is None or key in floats):
        assert math.isclose(a, b, rel_tol=relative, abs_tol=1e-300), f"{where}: {a!r} != {b!r}"
    elif key == "type" and isinstance(a, str) and isinstance(b, str):
        assert logical_type(a) == logical_type(b), f"{where}: {a!r} != {b!r}"
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def assert_same_profile(spark: Profile, local: Profile) -> None:
    """Counts, nulls, categories, extremes, schema and every sketch bucket exactly."""
    assert_close(to_dict(spark), to_dict(local), "profile")
