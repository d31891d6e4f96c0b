"""Table cells of the pull request's comment: names and values from the change made
inert (:func:`mlgate.render.text.neutral`), mlgate's own sentences with their code spans
kept, numbers, deltas, sizes and table shapes."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mlgate.pullrequest.compare import Delta
from mlgate.render.text import fmt_value, neutral

if TYPE_CHECKING:
    from mlgate.pullrequest.tables import Shape

CELL = 300  # longest table cell, in characters
MARKERS = {"better": ":green_circle:", "worse": ":red_circle:"}


def row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cell(c) for c in cells) + " |"


def cell(text: str) -> str:
    """A table cell. GitHub splits a row at every pipe that does not end a backslash pair
    (read left to right): each such pipe is escaped, so that no value, in a code span or
    not, ends its cell. Not cut here, where a cut could open a code span and let what it
    holds be read as markdown: each part is bounded before it is made inert."""
    return _PAIR_OR_PIPE.sub(lambda m: "\\|" if m.group(0) == "|" else m.group(0),
                             text.replace("\n", " "))


_PAIR_OR_PIPE = re.compile(r"\\.|\|", re.DOTALL)
_SPAN = re.compile(r"(`[^`\n]+`)")


def bounded(text: str, limit: int | None = CELL) -> str:
    return text if limit is None or len(text) <= limit else text[:limit - 1] + "…"


def code(value: object) -> str:
    """A name or value from the change or its data, as an inert code span."""
    return neutral(bounded(str(value)), within="code")


def prose(text: str, *, limit: int | None = CELL) -> str:
    """One of mlgate's sentences, which may quote names and values from the change: made
    inert, with its `code` spans kept as code spans. Parentheses, `!` and `>` are left
    as they read: with `[`, `]` and `<` escaped, they start no link, image or HTML."""
    parts = _SPAN.split(bounded(text, limit))
    return "".join(neutral(p[1:-1], within="code") if _SPAN.fullmatch(p)
                   else _READABLE.sub(r"\1", neutral(p)).replace("&gt;", ">")
                   for p in parts)


_READABLE = re.compile(r"\\([()!])")


def html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def number(value: Any) -> str:
    if value is None:
        return "—"
    text = fmt_value(value, digits=6)
    return text if isinstance(value, int | float) else prose(text)


def delta(d: Delta | None, head: Any, other: Any) -> str:
    if d is None:
        return "new" if other is None and head is not None else "—"
    marker = MARKERS.get(d.movement or "")
    return f"{marker} {d.signed()}" if marker else d.signed()


def human_size(size: int | None) -> str:
    if size is None:
        return "—"
    value = float(size)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(value) < 1000 or unit == "TB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def sizes(old: int | None, new: int | None) -> str:
    if old is None and new is None:
        return "—"
    text = f"{human_size(old)} → {human_size(new)}"
    if old is not None and new is not None and old != new:
        text += f" ({'+' if new > old else '-'}{human_size(abs(new - old))})"
    return text


def rows(old: Shape | None, new: Shape | None) -> str:
    a, b = (old.rows if old else None), (new.rows if new else None)
    if a is None and b is None:
        return "—"
    if a == b:
        return f"{a:,}"
    if a is None or b is None:
        return f"{'—' if a is None else f'{a:,}'} → {'—' if b is None else f'{b:,}'}"
    return f"{a:,} → {b:,} ({b - a:+,})"


def columns(old: Shape | None, new: Shape | None) -> str:
    if old is None or new is None:
        shape = new or old
        return plural(len(shape.columns), "column") if shape else "—"
    added = [c for c in new.columns if c not in old.columns]
    removed = [c for c in old.columns if c not in new.columns]
    if not added and not removed:
        return f"same {plural(len(new.columns), 'column')}"
    parts = []
    if added:
        parts.append("added " + ", ".join(code(c) for c in added[:10])
                     + (f" and {len(added) - 10} more" if len(added) > 10 else ""))
    if removed:
        parts.append("removed " + ", ".join(code(c) for c in removed[:10])
                     + (f" and {len(removed) - 10} more" if len(removed) > 10 else ""))
    return "; ".join(parts)


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"
