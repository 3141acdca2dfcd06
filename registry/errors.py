"""One error family for everything a user can get wrong.

Every problem carries where it happened (file, line, column), which field (a JSON path
such as ``$.inputs[0].type``) and what was expected.  The library knows no command line:
an error about an argument names the function's parameter (``image``), written with
``mention``, and the CLI, which alone knows flags and exit codes, tells it as its flag
(``--image``) and picks the exit code from the error's class.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Self, Sequence


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


def mention(argument: str) -> str:
    """How a message names a parameter of the function that was called: `` `registry_dir` ``.

    The error lists the names it mentions (``arguments``), so a front end can put its own
    spelling in their place (the CLI: ``--to``).
    """
    return f"`{argument}`"


def respell(text: str, arguments: Iterable[str], spelling: Callable[[str], str | None]) -> str:
    """``text`` with each mentioned argument written as ``spelling(name)`` (kept when None)."""
    for argument in arguments:
        spelled = spelling(argument)
        if spelled is not None:
            text = text.replace(mention(argument), spelled)
    return text


class CregError(Exception):
    """Base of every error a user can cause; carries one or more problems.

    ``arguments``: the parameters the message mentions (see ``mention``).
    """

    def __init__(self, message: str | None = None, problems: Iterable[Problem] = (), *,
                 arguments: Iterable[str] = ()) -> None:
        self.problems: list[Problem] = sorted(problems)
        self.arguments: tuple[str, ...] = tuple(arguments)
        if message is None:
            message = "\n".join(p.format() for p in self.problems) or "error"
        super().__init__(message)

    @classmethod
    def at(cls, file: str, line: int, column: int, path: str, message: str) -> Self:
        return cls(problems=[Problem(file, line, column, path, message)])

    def respelled(self, spelling: Callable[[str], str | None]) -> str:
        """The message with each mentioned argument written as ``spelling(name)``."""
        return respell(str(self), self.arguments, spelling)


class YamlError(CregError):
    """The bytes are not a YAML document we are willing to load."""


class SpecError(CregError):
    """A component spec is invalid; ``problems`` lists every finding at once."""


class CregWarning(UserWarning):
    """Base of creg's warnings; the CLI prints them to stderr as 'warning: ...'.

    ``arguments``: the parameters the text mentions, as for ``CregError``.
    """

    def __init__(self, message: str = "", *, arguments: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.arguments: tuple[str, ...] = tuple(arguments)


class ArgumentError(CregError):
    """A value the caller passed cannot be used: the caller's mistake, not the data's.

    ``argument`` is the parameter's name in the function that was called (``image``), never
    a flag; the message mentions it through ``mention``.  (The CLI reports these as usage errors.)
    """

    def __init__(self, argument: str, message: str | None = None, problems: Iterable[Problem] = ()) -> None:
        super().__init__(message, problems, arguments=(argument,) if argument else ())
        self.argument = argument

    @classmethod
    def bad_value(cls, argument: str, detail: str) -> "ArgumentError":
        """`` `image`: 'x' is not an image reference``: the argument, then what is wrong with it."""
        return cls(argument, f"{mention(argument)}: {detail}")

    @classmethod
    def in_file(cls, argument: str, file: str, message: str) -> "ArgumentError":
        """``argument`` named the path ``file``, which cannot be used as ``message`` says."""
        return cls(argument, problems=[Problem(file, 0, 0, "", message)])


# Suggestions compare strings, and naively every unknown name with every candidate: a file with
# many misspellings against many names would make (misspellings x names) comparisons and could
# keep a lint job busy for hours.  Candidates are found through an index of their three-letter
# pieces instead, only a few are compared, and each process has a budget of comparisons.
SUGGESTION_BUDGET = 50_000  # difflib comparisons
SCAN_BUDGET = 5_000_000  # candidate names read (a cheap step, but one per name per suggestion)
COMPARED_PER_SUGGESTION = 8
_spent = 0
_scanned = 0
_indexes: dict[tuple[str, ...], "_PieceIndex"] = {}


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return `` (did you mean 'x'?)`` for the closest choice, or ``""``; bounded work."""
    global _spent, _scanned
    if _spent >= SUGGESTION_BUDGET or _scanned >= SCAN_BUDGET:
        return ""
    names = tuple(dict.fromkeys(c for c in choices if isinstance(c, str)))
    _scanned += len(names)
    candidates = names if len(names) <= COMPARED_PER_SUGGESTION else _index_of(names).nearest(word)
    if _spent + len(candidates) > SUGGESTION_BUDGET:
        return ""
    _spent += len(candidates)
    import difflib  # lazy: start-up (every command imports this module; only mistakes need it)

    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _index_of(names: tuple[str, ...]) -> "_PieceIndex":
    if names not in _indexes:
        if len(_indexes) > 64:
            _indexes.clear()
        _indexes[names] = _PieceIndex(names)
    return _indexes[names]


class _PieceIndex:
    """Which names hold each three-letter piece; pieces most names share say nothing and are
    skipped, so a lookup reads short lists only."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names
        self.holders: dict[str, list[int]] = {}
        for number, name in enumerate(names):
            for piece in _pieces(name):
                self.holders.setdefault(piece, []).append(number)
        self.common = max(8, len(names) // 10)

    def nearest(self, word: str) -> list[str]:
        shared: dict[int, int] = {}
        for piece in _pieces(word):
            holders = self.holders.get(piece, ())
            if len(holders) <= self.common:
                for number in holders:
                    shared[number] = shared.get(number, 0) + 1
        best = sorted(shared, key=lambda n: -shared[n])[:COMPARED_PER_SUGGESTION]
        return [self.names[n] for n in best]


def _pieces(text: str) -> set[str]:
    padded = f"^{text.lower()}$"
    return {padded[i:i + 3] for i in range(len(padded) - 2)}


MAX_LISTED = 12  # an 'expected one of' list longer than this names the first few and a count


def one_of(choices: Sequence[str]) -> str:
    """Render a list of names for 'expected one of' messages (at most ``MAX_LISTED`` named)."""
    if not choices:
        return "(none)"
    shown = ", ".join(f"'{c}'" for c in list(choices)[:MAX_LISTED])
    more = len(choices) - MAX_LISTED
    return f"{shown} and {more} more" if more > 0 else shown