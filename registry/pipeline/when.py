"""The ``when:`` expression language of pipeline tasks, compiled to an Argo expression tag.

``output.check == 'approve'`` becomes ``{{=tasks['check'].outputs.parameters['result'] ==
'approve'}}``: Argo evaluates the whole tag as one ``expr`` expression in which references are
variables, so a task output or a param value is always data.  (Spliced into govaluate text as
``"{{...}}" == "approve"``, a value such as ``x" == "x" || "a`` rewrote the condition.)
Numbers compare as numbers through Argo's ``asFloat``.

Grammar (see docs/pipeline-format.md)::

    expr    := and ('or' and)*
    and     := unary ('and' unary)*
    unary   := 'not' unary | '(' expr ')' | compare
    compare := operand ('==' | '!=' | '<' | '<=' | '>' | '>=') operand
    operand := param.NAME | output.TASK | output.TASK.OUTPUT | item | item.FIELD
               | NUMBER | 'text' | "text" | true | false

References are resolved by a callback, so this module knows nothing about pipelines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from registry.errors import CregError, did_you_mean

_WHEN_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>-?\d+(?:\.\d+)?(?![\w.-]))
  | (?P<string>'[^'"\\{}]*'|"[^'"\\{}]*")
  | (?P<op>==|!=|<=|>=|<|>|\(|\))
  | (?P<word>[A-Za-z_][A-Za-z0-9_.-]*)
""", re.VERBOSE)

_JOINERS = ("and", "or")  # what usually belongs where an unexpected word stands
_COMPARISONS = {"==", "!=", "<", "<=", ">", ">="}


class WhenError(CregError):
    """A ``when`` expression that cannot be parsed or names something unknown."""


@dataclass(frozen=True)
class Token:
    """One lexical token of a ``when`` expression and where it starts."""

    kind: str
    text: str
    offset: int


@dataclass(frozen=True)
class Operand:
    """One side of a comparison, already in Argo expression form."""

    argo: str  # an expr variable path (tasks['a'].outputs...) or a literal's text
    is_ref: bool
    is_string: bool


MAX_NESTING = 64  # parentheses and 'not's; deeper is a mistake, and recursion has a limit


# resolve(word) -> the Argo reference text ('{{...}}'); raises WhenError if unknown
Resolve = Callable[[str], str]


def when_tokens(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _WHEN_TOKEN.match(text, position)
        if match is None:
            hint = " (did you mean '=='?)" if text[position] == "=" else ""
            raise WhenError(f"unexpected character {text[position]!r} at offset {position}{hint}")
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append(Token(kind, match.group(), position))
        position = match.end()
    return tokens


class _WhenCompiler:
    def __init__(self, text: str, resolve: Resolve) -> None:
        self.tokens = when_tokens(text)
        self.index = 0
        self.depth = 0
        self.resolve = resolve

    def peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise WhenError("the expression ends too early")
        self.index += 1
        return token

    def parse(self) -> str:
        out = self.expr()
        extra = self.peek()
        if extra is not None:
            hint = did_you_mean(extra.text.lower(), _JOINERS) if extra.kind == "word" else ""
            raise WhenError(f"unexpected {extra.text!r} at offset {extra.offset}{hint}; "
                            "join comparisons with 'and' or 'or'")
        return out

    def expr(self) -> str:
        parts = [self.conjunction()]
        while self._word("or"):
            parts.append(self.conjunction())
        return " || ".join(parts)

    def conjunction(self) -> str:
        parts = [self.unary()]
        while self._word("and"):
            parts.append(self.unary())
        return " && ".join(parts)

    def unary(self) -> str:
        nots = 0
        while self._word("not"):
            nots += 1
            self._nest(nots)
        inner = self.group_or_compare()
        return "!(" * nots + inner + ")" * nots

    def group_or_compare(self) -> str:
        token = self.peek()
        if token is None or token.text != "(":
            return self.compare()
        self.take()
        self.depth += 1
        self._nest(self.depth, token)
        inner = self.expr()
        closing = self.take()
        if closing.text != ")":
            raise WhenError(f"expected ')' at offset {closing.offset}, found {closing.text!r}")
        self.depth -= 1
        return "(" + inner + ")"

    def _nest(self, depth: int, token: Token | None = None) -> None:
        if depth > MAX_NESTING:
            where = f" at offset {token.offset}" if token else ""
            raise WhenError(f"nested deeper than {MAX_NESTING} levels{where}; simplify the condition")

    def compare(self) -> str:
        left = self.operand()
        token = self.take()
        if token.text not in _COMPARISONS:
            raise WhenError(f"expected a comparison (== != < <= > >=) at offset {token.offset}, "
                            f"found {token.text!r}")
        right = self.operand()
        numeric = not (left.is_string or right.is_string) and not (left.is_ref and right.is_ref
                                                                   and token.text in ("==", "!="))
        return f"{_side(left, numeric)} {token.text} {_side(right, numeric)}"

    def operand(self) -> Operand:
        token = self.take()
        if token.kind == "number":
            return Operand(token.text, False, False)
        if token.kind == "string":
            return Operand(token.text[1:-1], False, True)
        if token.kind == "word" and token.text in ("true", "false"):
            return Operand(token.text, False, True)
        if token.kind == "word" and token.text not in ("and", "or", "not"):
            return Operand(expr_variable(self.resolve(token.text)), True, False)
        raise WhenError(f"expected a value at offset {token.offset}, found {token.text!r}")

    def _word(self, word: str) -> bool:
        token = self.peek()
        if token is not None and token.kind == "word" and token.text == word:
            self.index += 1
            return True
        return False


def _side(operand: Operand, numeric: bool) -> str:
    if operand.is_ref:
        return f"asFloat({operand.argo})" if numeric else operand.argo
    return f"'{operand.argo}'" if operand.is_string else operand.argo


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def expr_variable(reference: str) -> str:
    """``{{tasks.check-1.outputs.result}}`` -> ``tasks['check-1'].outputs.result``.

    expr reads ``-`` as minus, so a name that is not an identifier is indexed, as Argo's
    documentation of expression tags says to.  Names never hold quotes (pipeline names
    are checked), but one that did would be refused rather than spliced.
    """
    root, *names = reference.removeprefix("{{").removesuffix("}}").split(".")
    for name in names:
        if "'" in name or "\\" in name:
            raise WhenError(f"cannot refer to {name!r} in a condition")
    return root + "".join(f".{name}" if _IDENTIFIER.match(name) else f"['{name}']" for name in names)


def compile_when(text: str, resolve: Resolve) -> str:
    """``output.flip == 'heads' and param.x > 3`` -> ``{{=tasks['flip']... == 'heads' && ...}}``."""
    return "{{=" + _WhenCompiler(text, resolve).parse() + "}}"
