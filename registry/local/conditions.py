"""Evaluate the two expression languages of Argo DAG tasks, for the local runner.

* ``when``: after ``{{...}}`` substitution, a govaluate comparison such as
  ``5 < 10 && 'heads' == 'heads'``.  Bare words count as text, as Argo's own examples
  (``{{steps.flip.outputs.result}} == heads``) rely on.
* ``depends``: ``a && (b.Succeeded || c.Failed)`` over the results of finished tasks.

Both are parsed with one small precedence-climbing parser over the same tokens.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from registry.errors import CregError

_ARGO_TOKEN = re.compile(r"""
    \s*(?:
      (?P<number>-?\d+(?:\.\d+)?(?![\w.]))
    | (?P<string>'[^']*'|"[^"]*")
    | (?P<op>&&|\|\||==|!=|<=|>=|<|>|!|\(|\))
    | (?P<word>[A-Za-z_][\w.-]*)
    )""", re.VERBOSE)

_COMPARATORS: dict[str, Callable[[object, object], bool]] = {
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,  # type: ignore[operator]
    ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,  # type: ignore[operator]
}

# What a bare task name in ``depends`` accepts, as Argo defines it.
_PLAIN_DEPENDENCY = {"Succeeded", "Skipped", "Daemoned"}


class ExpressionError(CregError):
    """An expression the runner cannot evaluate."""


def argo_tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    text = text.rstrip()
    while position < len(text):
        match = _ARGO_TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise ExpressionError(f"cannot read {text[position:]!r} in expression {text!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Evaluator:
    """``or := and ('||' and)*; and := unary ('&&' unary)*; unary := '!' unary | atom``."""

    def __init__(self, text: str, atom: Callable[["_Evaluator"], object]) -> None:
        self.text = text
        self.tokens = argo_tokens(text)
        self.position = 0
        self.atom = atom

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise ExpressionError(f"expression {self.text!r} ends too early")
        self.position += 1
        return token

    def parse(self) -> object:
        value = self.disjunction()
        if self.peek() is not None:
            raise ExpressionError(f"unexpected {self.peek()[1]!r} in expression {self.text!r}")  # type: ignore[index]
        return value

    def disjunction(self) -> object:
        return self._chain("||", self.conjunction)

    def conjunction(self) -> object:
        return self._chain("&&", self.unary)

    def _chain(self, op: str, operand: Callable[[], object]) -> object:
        """``operand (op operand)*``; every operand is parsed (and so checked) even when decided."""
        value = operand()
        while self.peek() == ("op", op):
            self.take()
            right = operand()
            value = (bool(value) or bool(right)) if op == "||" else (bool(value) and bool(right))
        return value

    def unary(self) -> object:
        if self.peek() == ("op", "!"):
            self.take()
            return not self.unary()
        if self.peek() == ("op", "("):
            self.take()
            value = self.disjunction()
            if self.take() != ("op", ")"):
                raise ExpressionError(f"missing ')' in expression {self.text!r}")
            return value
        return self.atom(self)


def _operand(kind: str, text: str) -> object:
    if kind == "number":
        return float(text)
    if kind == "string":
        return text[1:-1]
    if kind == "word" and text in ("true", "false"):
        return text == "true"
    if kind == "word":
        return text
    raise ExpressionError(f"expected a value, found {text!r}")


def _comparison(parser: _Evaluator) -> object:
    left = _operand(*parser.take())
    token = parser.peek()
    if token is None or token[1] not in _COMPARATORS:
        return left
    parser.take()
    right = _operand(*parser.take())
    if token[1] in ("<", "<=", ">", ">=") and not (isinstance(left, float) and isinstance(right, float)):
        raise ExpressionError(f"{token[1]!r} compares numbers; got {left!r} and {right!r} in {parser.text!r}")
    if isinstance(left, float) != isinstance(right, float):
        left, right = str(left).removesuffix(".0"), str(right).removesuffix(".0")
    return _COMPARATORS[token[1]](left, right)


def evaluate_when(text: str) -> bool:
    """A substituted ``when`` expression -> whether the task runs."""
    return bool(_Evaluator(text, _comparison).parse())


def depends_met(text: str, results: Mapping[str, str]) -> bool:
    """A ``depends`` expression over finished tasks' results (``Succeeded``, ``Failed``, ...)."""
    def dependency(parser: _Evaluator) -> object:
        kind, word = parser.take()
        if kind != "word":
            raise ExpressionError(f"expected a task name, found {word!r} in depends {text!r}")
        task, _, wanted = word.partition(".")
        result = results.get(task)
        if result is None:
            raise ExpressionError(f"depends {text!r} names unknown task {task!r}")
        if not wanted:
            return result in _PLAIN_DEPENDENCY
        if wanted == "Completed":
            return result in ("Succeeded", "Failed")
        return result == wanted

    return bool(_Evaluator(text, dependency).parse())


def depends_names(text: str) -> set[str]:
    """The task names a ``depends`` expression waits for."""
    return {word.partition(".")[0] for kind, word in argo_tokens(text) if kind == "word"}
