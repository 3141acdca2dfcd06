"""The ``when:`` expression language of pipeline tasks, compiled to Argo's govaluate form.

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
    kind: str
    text: str
    offset: int


@dataclass(frozen=True)
class Operand:
    argo: str  # the Argo text: a {{...}} reference or a literal
    is_ref: bool
    is_string: bool


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
        if self._word("not"):
            return "!(" + self.unary() + ")"
        token = self.peek()
        if token is not None and token.text == "(":
            self.take()
            inner = self.expr()
            closing = self.take()
            if closing.text != ")":
                raise WhenError(f"expected ')' at offset {closing.offset}, found {closing.text!r}")
            return "(" + inner + ")"
        return self.compare()

    def compare(self) -> str:
        left = self.operand()
        token = self.take()
        if token.text not in _COMPARISONS:
            raise WhenError(f"expected a comparison (== != < <= > >=) at offset {token.offset}, "
                            f"found {token.text!r}")
        right = self.operand()
        quote = token.text in ("==", "!=") and (left.is_string or right.is_string
                                                or (left.is_ref and right.is_ref))
        return f"{_side(left, quote)} {token.text} {_side(right, quote)}"

    def operand(self) -> Operand:
        token = self.take()
        if token.kind == "number":
            return Operand(token.text, False, False)
        if token.kind == "string":
            return Operand(token.text[1:-1], False, True)
        if token.kind == "word" and token.text in ("true", "false"):
            return Operand(token.text, False, True)
        if token.kind == "word" and token.text not in ("and", "or", "not"):
            return Operand(self.resolve(token.text), True, False)
        raise WhenError(f"expected a value at offset {token.offset}, found {token.text!r}")

    def _word(self, word: str) -> bool:
        token = self.peek()
        if token is not None and token.kind == "word" and token.text == word:
            self.index += 1
            return True
        return False


def _side(operand: Operand, quote: bool) -> str:
    if quote or operand.is_string:
        return f'"{operand.argo}"'
    return operand.argo


def compile_when(text: str, resolve: Resolve) -> str:
    """``output.flip == 'heads' and param.x > 3`` -> Argo's ``"{{...}}" == "heads" && ...``."""
    return _WhenCompiler(text, resolve).parse()

