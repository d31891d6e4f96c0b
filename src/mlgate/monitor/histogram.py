"""Reference and current distributions side by side, as a chart draws them.

Numeric columns on the reference's quantile bins (the bins numeric PSI uses), categorical
columns as category shares, the most common first; past ``top`` categories the rest are
pooled. Shares are of non-null values; null rates are reported with the drift.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mlgate.monitor.summaries import CategoricalSummary, ColumnKind, ColumnSummary, NumericSummary

DEFAULT_TOP = 12


@dataclass(frozen=True)
class Histogram:
    """``labels[i]`` names bin or category ``i``; ``unseen[i]``: the reference never saw it."""

    column: str
    kind: ColumnKind
    labels: tuple[str, ...]
    reference: tuple[float, ...]
    current: tuple[float, ...]
    unseen: tuple[bool, ...]


def _shares(counts: npt.ArrayLike) -> tuple[float, ...]:
    values = np.asarray(counts, dtype=np.float64)
    total = values.sum()
    return tuple(float(v) for v in (values / total if total > 0 else np.zeros_like(values)))


def _number(value: float) -> str:
    return f"{value:.3g}"


def numeric_histogram(column: str, reference: NumericSummary, current: NumericSummary,
                      bins: int = 10) -> Histogram:
    edges = reference.sketch.quantile_edges(bins)
    # A bin ends at its closing bucket; the bucket's representative value names it.
    bounds = [_number(v) for v in reference.sketch.values(edges)]
    labels = (*(f"≤ {b}" for b in bounds), f"> {bounds[-1]}" if bounds else "all")
    ref = reference.sketch.bin_counts(edges)
    cur = current.sketch.bin_counts(edges)
    return Histogram(column, "numeric", labels, _shares(ref), _shares(cur),
                     (False,) * len(labels))


def categorical_histogram(column: str, reference: CategoricalSummary,
                          current: CategoricalSummary, top: int = DEFAULT_TOP) -> Histogram:
    ref_total = max(reference.count, 1)
    cur_total = max(current.count, 1)
    categories = sorted(
        set(reference.counts) | set(current.counts),
        key=lambda c: (-max(reference.counts.get(c, 0) / ref_total,
                            current.counts.get(c, 0) / cur_total), c),
    )
    shown, pooled = categories[:top], categories[top:]
    ref = [reference.counts.get(c, 0) for c in shown]
    cur = [current.counts.get(c, 0) for c in shown]
    labels = list(shown)
    unseen = [c not in reference.counts for c in shown]
    if pooled:
        ref.append(sum(reference.counts.get(c, 0) for c in pooled))
        cur.append(sum(current.counts.get(c, 0) for c in pooled))
        labels.append(f"{len(pooled)} others")
        unseen.append(False)
    ref_shares = tuple(n / ref_total for n in ref) if reference.count else (0.0,) * len(ref)
    cur_shares = tuple(n / cur_total for n in cur) if current.count else (0.0,) * len(cur)
    return Histogram(column, "categorical", tuple(labels), ref_shares, cur_shares,
                     tuple(unseen))


def histogram(column: str, reference: ColumnSummary, current: ColumnSummary | None,
              *, bins: int = 10, top: int = DEFAULT_TOP) -> Histogram | None:
    """The pair of distributions, or None when there is nothing comparable to draw."""
    if isinstance(reference, NumericSummary) and isinstance(current, NumericSummary):
        return numeric_histogram(column, reference, current, bins)
    if isinstance(reference, CategoricalSummary) and isinstance(current, CategoricalSummary):
        return categorical_histogram(column, reference, current, top)
    return None
