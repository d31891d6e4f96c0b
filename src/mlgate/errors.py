"""The one user-facing error type, and the few kinds of it a caller must tell apart.

Every bad input ends as an :class:`MlgateError`; the CLI prints it as
``path:line:column: message`` plus a hint and exits 2. Anything else that
escapes is a bug (exit 3). Where a caller falls back on a failure, it catches the
kind it means (:class:`NotFound`, :class:`InvalidFile`) and lets every other kind,
above all a :class:`CommandFailed`, reach the funnel: a broken git is never read as
"absent". No caller parses ``message``: what it needs is an attribute.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Self

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
    def from_problems(cls, problems: list[Problem]) -> Self:
        first = problems[0]
        return cls(first.message, first.path, first.line, first.column, first.hint, problems)

    def render(self) -> str:
        return "\n".join(p.render() for p in self.problems)


class NotFound(MlgateError):
    """What was asked for does not exist where it was looked for: a revision, a file, a
    model's declaration, an object. A caller may read it as "absent"."""


class InvalidFile(MlgateError):
    """A file that exists but does not parse or fails its checks (YAML, metrics JSON,
    dvc.yaml, dvc.lock, a declaration and its schema); its problems carry file:line."""


# The last line of DVC's report of an unexpected error: an invitation, not the error.
_DVC_FOOTER = "Having any troubles?"


@dataclass
class CommandFailed(MlgateError):
    """git, DVC or another tool failed: it exited non-zero, could not be started, or (DVC's
    API, in this process) raised. ``argv`` is what ran (empty for a call through DVC's
    API), ``exit_code`` its status (None when no process ended), ``output`` what it said
    (its standard error, else its standard output)."""

    argv: tuple[str, ...] = ()
    exit_code: int | None = None
    output: str = ""

    @property
    def summary(self) -> str:
        """The last meaningful line of the output, for a one-line report; the first line of
        the message when the tool said nothing."""
        lines = [line.strip() for line in self.output.splitlines()
                 if line.strip() and not line.strip().startswith(_DVC_FOOTER)]
        return lines[-1] if lines else self.message.splitlines()[0]


def suggest(word: str, options: list[str] | tuple[str, ...]) -> str | None:
    """The option the user most likely meant: a unique prefix match, else the closest."""
    import difflib

    prefixed = [o for o in options if o.startswith(word) or word.startswith(o)]
    if len(prefixed) == 1:
        return prefixed[0]
    close = difflib.get_close_matches(word, list(options), n=1)
    return close[0] if close else None
