"""One error family for everything a user can get wrong.

Every problem carries where it happened (file, line, column), which field (a JSON path
such as ``$.inputs[0].type``) and what was expected.  The CLI turns any ``CregError``
into a clean message and exit code 1; only ``--traceback`` shows a stack.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Iterable, Sequence


@dataclass(frozen=True, order=True)
class Problem:
    """A single finding, sortable by position."""

    file: str = ""
    line: int = 0  # 1-based; 0 when unknown
    column: int = 0  # 1-based; 0 when unknown
    path: str = "$"
    message: str = ""
    severity: str = "error"

    def format(self) -> str:
        where = self.file or "<input>"
        if self.line:
            where += f":{self.line}:{self.column}"
        field = f"{self.path}: " if self.path else ""
        return f"{where}: {self.severity}: {field}{self.message}"

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "message": self.message,
            "severity": self.severity,
        }


class CregError(Exception):
    """Base of every error a user can cause; carries one or more problems."""

    exit_code = 1

    def __init__(self, message: str | None = None, problems: Iterable[Problem] = ()) -> None:
        self.problems: list[Problem] = sorted(problems)
        if message is None:
            message = "\n".join(p.format() for p in self.problems) or "error"
        super().__init__(message)

    @classmethod
    def at(cls, file: str, line: int, column: int, path: str, message: str) -> "CregError":
        return cls(problems=[Problem(file, line, column, path, message)])


class YamlError(CregError):
    """The bytes are not a YAML document we are willing to load."""


class SpecError(CregError):
    """A component spec is invalid; ``problems`` lists every finding at once."""


class CregWarning(UserWarning):
    """Base of creg's warnings; the CLI prints them to stderr as 'warning: ...'."""


class UsageError(CregError):
    """The command line itself is wrong."""

    exit_code = 2


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return `` (did you mean 'x'?)`` for the closest choice, or ``""``."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def one_of(choices: Sequence[str]) -> str:
    """Render a list of names for 'expected one of' messages."""
    if not choices:
        return "(none)"
    return ", ".join(f"'{c}'" for c in choices)
