"""The one user-facing error type.

Every bad input ends as an :class:`MlgateError`; the CLI prints it as
``path:line:column: message`` plus a hint and exits 2. Anything else that
escapes is a bug (exit 3).
"""

from __future__ import annotations

from dataclasses import dataclass, field

EXIT_OK = 0
EXIT_FAILED = 1  # a gate failed, drift alarmed, verification found a problem
EXIT_USAGE = 2  # bad input or usage
EXIT_BUG = 3


@dataclass(frozen=True)
class Problem:
    """One located problem in an input file."""

    message: str
    path: str | None = None
    line: int | None = None  # 1-based
    column: int | None = None  # 1-based
    json_path: str | None = None
    hint: str | None = None

    def location(self) -> str:
        parts = [p for p in (self.path, self.line, self.column) if p is not None]
        return ":".join(str(p) for p in parts)

    def render(self) -> str:
        head = self.location()
        body = f"{self.json_path}: {self.message}" if self.json_path else self.message
        text = f"{head}: {body}" if head else body
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def as_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "json_path": self.json_path,
            "message": self.message,
            "hint": self.hint,
        }


@dataclass
class MlgateError(Exception):
    """Bad input or usage. Carries one or more problems; rendered without a traceback."""

    message: str
    path: str | None = None
    line: int | None = None
    column: int | None = None
    hint: str | None = None
    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.message)
        if not self.problems:
            self.problems = [
                Problem(self.message, self.path, self.line, self.column, hint=self.hint)
            ]

    @classmethod
    def from_problems(cls, problems: list[Problem]) -> MlgateError:
        first = problems[0]
        return cls(first.message, first.path, first.line, first.column, first.hint, problems)

    def render(self) -> str:
        return "\n".join(p.render() for p in self.problems)


def suggest(word: str, options: list[str] | tuple[str, ...]) -> str | None:
    """The option the user most likely meant: a unique prefix match, else the closest."""
    import difflib

    prefixed = [o for o in options if o.startswith(word) or word.startswith(o)]
    if len(prefixed) == 1:
        return prefixed[0]
    close = difflib.get_close_matches(word, list(options), n=1)
    return close[0] if close else None
