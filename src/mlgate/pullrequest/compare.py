"""Pure comparisons of a change with its base and with the incumbent: params, metrics.

Numbers are compared as the decimals they were written as (0.8712 - 0.01 is 0.8612), and
whether a move is better or worse follows each metric's declared direction.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from mlgate.config.model import Direction, Metrics, default_direction

Kind = Literal["added", "removed", "modified"]
Movement = Literal["better", "worse", "same"]

# Counts, not qualities: a bigger slice is neither better nor worse.
NEUTRAL_LEAVES = ("n", "count", "rows", "size", "support", "n_samples")


class _Absent:
    """A key that one side does not have (distinct from a value of null)."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()


@dataclass(frozen=True)
class ValueChange:
    """One key whose value differs between base and head (ABSENT: not there)."""

    name: str
    base: Any
    head: Any

    @property
    def kind(self) -> Kind:
        if self.base is ABSENT:
            return "added"
        return "removed" if self.head is ABSENT else "modified"


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Nested mappings to dotted keys; lists and scalars are values."""
    if not isinstance(data, Mapping):
        return {prefix: data} if prefix else {}
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, name))
        else:
            flat[name] = value
    return flat


def diff_values(base: Mapping[str, Any], head: Mapping[str, Any]) -> list[ValueChange]:
    """Keys added, removed or changed, by name. 1 and 1.0 are equal; True and 1 are not."""
    changes = []
    for name in sorted(set(base) | set(head)):
        old, new = base.get(name, ABSENT), head.get(name, ABSENT)
        if old is ABSENT or new is ABSENT or not _same(old, new):
            changes.append(ValueChange(name, old, new))
    return changes


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b if isinstance(a, bool) or isinstance(b, bool) \
        else a == b


def number(value: Any) -> Decimal | None:
    """The decimal a metric was written as; None for what is not a finite number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return Decimal(value) if isinstance(value, int) else Decimal(repr(value))


@dataclass(frozen=True)
class Delta:
    value: Decimal
    movement: Movement | None  # None: a count, neither better nor worse

    def signed(self) -> str:
        if not self.value:
            return "±0"
        text = format(self.value.normalize(), "f")
        return text if text.startswith("-") else f"+{text}"


def delta(head: Any, other: Any, direction: Direction | None) -> Delta | None:
    new, old = number(head), number(other)
    if new is None or old is None:
        return None
    diff = new - old
    if direction is None:
        return Delta(diff, None)
    if diff == 0:
        return Delta(diff, "same")
    better = diff > 0 if direction == "higher" else diff < 0
    return Delta(diff, "better" if better else "worse")


@dataclass(frozen=True)
class MetricRow:
    name: str
    head: Any  # None: not at head
    base: Any
    incumbent: Any
    direction: Direction | None  # None: a count
    vs_base: Delta | None
    vs_incumbent: Delta | None
    support_head: int | None = None  # rows behind a slice's metric, when the file says
    support_base: int | None = None

    @property
    def support(self) -> int | None:
        return self.support_head if self.support_head is not None else self.support_base


def support_key(name: str, *sides: Mapping[str, Any]) -> str | None:
    """The count that gives the size of the group a nested metric is about: its sibling
    `n` (or count...), as the first side that has one names it. A count has none."""
    group, _, leaf = name.rpartition(".")
    for side in sides if group and leaf not in NEUTRAL_LEAVES else ():
        for leaf in NEUTRAL_LEAVES:
            value = side.get(f"{group}.{leaf}")
            if isinstance(value, int) and not isinstance(value, bool):
                return f"{group}.{leaf}"
    return None


def _count(side: Mapping[str, Any], key: str | None) -> int | None:
    value = side.get(key) if key else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def direction_of(metrics: Metrics) -> Callable[[str], Direction | None]:
    """A metric's direction: declared for its full name, else for its last part
    (`slices.SEX.1.log_loss` follows `log_loss`), else the default; None for counts."""
    def find(name: str) -> Direction | None:
        leaf = name.rsplit(".", 1)[-1]
        declared = metrics.directions.get(name) or metrics.directions.get(leaf)
        if declared:
            return declared
        return None if leaf in NEUTRAL_LEAVES else default_direction(name)

    return find


def metric_rows(names: Iterable[str], head: Mapping[str, Any], base: Mapping[str, Any],
                incumbent: Mapping[str, Any],
                direction: Callable[[str], Direction | None]) -> list[MetricRow]:
    rows = []
    for name in names:
        way = direction(name)
        h, b, i = head.get(name), base.get(name), incumbent.get(name)
        key = support_key(name, head, base)
        rows.append(MetricRow(name, h, b, i, way, delta(h, b, way), delta(h, i, way),
                              _count(head, key), _count(base, key)))
    return rows


def numeric_names(*sides: Mapping[str, Any]) -> list[str]:
    """Every name with a number on some side, in first-seen order."""
    seen: dict[str, None] = {}
    for side in sides:
        for name, value in side.items():
            if number(value) is not None or value is None:
                seen.setdefault(name, None)
    return list(seen)


def moved(rows: Iterable[MetricRow]) -> list[MetricRow]:
    """Rows that changed against the base: the metrics, largest move first by
    :func:`magnitude`, then the counts that are no metric's size, by name. A count that is
    a shown metric's size (`slices.SEX.1.n`) is no row of its own: it is that row's
    support."""
    changed = [r for r in rows if r.vs_base is not None and r.vs_base.value != 0]
    metrics = [r for r in changed if r.direction is not None]
    sized = {_group(r.name) for r in metrics if r.support is not None}
    counts = [r for r in changed if r.direction is None and _group(r.name) not in sized]
    return [*sorted(metrics, key=lambda r: (-magnitude(r), r.name)),
            *sorted(counts, key=lambda r: r.name)]


def _group(name: str) -> str:
    return name.rpartition(".")[0]


def magnitude(row: MetricRow) -> Decimal:
    """How much a metric moved, comparably across metrics: the absolute change when both
    values lie in [0, 1] (AUC, accuracy, a rate, a Brier score), else the change relative
    to the larger of the two (a loss or an error in its own units)."""
    new, old = number(row.head), number(row.base)
    if new is None or old is None or new == old:
        return Decimal(0)
    change = abs(new - old)
    if 0 <= new <= 1 and 0 <= old <= 1:
        return change
    return change / max(abs(new), abs(old))
