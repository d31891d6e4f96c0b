"""Sizes in the pull-request report, as people read them."""

from __future__ import annotations

import pytest

from mlgate.render.pr_cells import human_size


@pytest.mark.parametrize(("size", "text"), [(0, "0 B"), (999, "999 B"), (5695, "5.7 kB"),
                                            (1_015_113, "1.0 MB"), (3 * 10**12, "3.0 TB")])
def test_human_size(size: int, text: str) -> None:
    assert human_size(size) == text
