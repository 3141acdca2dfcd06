"""Evaluate the expression languages of Argo DAG tasks, for the local runner.

* ``when``, govaluate form: ``{{tasks.a.outputs.result}} < 10 && '{{x}}' == heads``.  The text
  is parsed BEFORE any value is looked up: a ``{{...}}`` reference (alone or inside a quoted
  string) is one operand whose value is data, so a task output such as ``x" == "x" || "a``
  can never rewrite the condition.  Bare words count as text, as Argo's own examples
  (``{{steps.flip.outputs.result}} == heads``) rely on.
* ``when``, expression tags: ``{{=tasks['a'].outputs.result == 'heads'}}`` (what creg
  compiles to), the subset of ``expr`` that conditions use: comparisons, ``&&``/``and``,
  ``||``/``or``, ``!``/``not``, parentheses, variables and ``asFloat``/``asInt``.
* ``depends``: ``a && (b.Succeeded || c.Failed)`` over the results of finished tasks.

All are parsed with one small precedence-climbing parser; nesting is bounded, so a
hostile condition is an error, not a recursion crash.
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

_WHEN_TOKEN = re.compile(r"""
    \s*(?:
      (?P<ref>\{\{(?:[^}]|\}(?!\}))*\}\})
    | (?P<number>-?\d+(?:\.\d+)?(?![\w.]))
    | (?P<string>'[^']*'|"[^"]*")
    | (?P<op>&&|\|\||==|!=|<=|>=|<|>|!|\(|\))
    | (?P<word>[A-Za-z_][\w.-]*)
    )""", re.VERBOSE)

_EXPR_TOKEN = re.compile(r"""
    \s*(?:
      (?P<number>\d+(?:\.\d+)?)
    | (?P<string>'[^'\\]*'|"[^"\\]*")
    | (?P<op>&&|\|\||==|!=|<=|>=|<|>|!|\(|\)|\[|\]|\.|,|-)
    | (?P<word>[A-Za-z_]\w*)
    )""", re.VERBOSE)
_EXPR_WORDS = {"and": ("op", "&&"), "or": ("op", "||"), "not": ("op", "!")}
_REFERENCE = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")
MAX_NESTING = 64

Lookup = Callable[[str], object]

_COMPARATORS: dict[str, Callable[[object, object], bool]] = {
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,  # type: ignore[operator]
    ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,  # type: ignore[operator]
}

# What a bare task name in ``depends`` accepts, as Argo defines it.
_PLAIN_DEPENDENCY = {"Succeeded", "Skipped", "Daemoned"}


class ExpressionError(CregError):
    """An expression the runner cannot evaluate."""


def argo_tokens(text: str, pattern: re.Pattern[str] = _ARGO_TOKEN) -> list[tuple[str, str]]:
    tokens, position = [], 0
    text = text.rstrip()
    while position < len(text):
        match = pattern.match(text, position)
        if match is None or match.end() == position:
            raise ExpressionError(f"cannot read {text[position:]!r} in expression {text!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Evaluator:
    """``or := and ('||' and)*; and := unary ('&&' unary)*; unary := '!'* (atom | '(' or ')')``."""

    def __init__(self, text: str, atom: Callable[["_Evaluator"], object],
                 tokens: list[tuple[str, str]] | None = None) -> None:
        self.text = text
        self.tokens = argo_tokens(text) if tokens is None else tokens
        self.position = 0
        self.atom = atom
        self.depth = 0

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
        extra = self.peek()
        if extra is not None:
            raise ExpressionError(f"unexpected {extra[1]!r} in expression {self.text!r}")
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
        negations = 0
        while self.peek() == ("op", "!"):  # a loop, not recursion: 3,000 '!'s must not crash
            self.take()
            negations += 1
            self._nest(negations)
        value = self.group() if self.peek() == ("op", "(") else self.atom(self)
        return (not value) if negations % 2 else (bool(value) if negations else value)

    def group(self) -> object:
        self.take()
        self.depth += 1
        self._nest(self.depth)
        value = self.disjunction()
        if self.take() != ("op", ")"):
            raise ExpressionError(f"missing ')' in expression {self.text!r}")
        self.depth -= 1
        return value

    def _nest(self, depth: int) -> None:
        if depth > MAX_NESTING:
            raise ExpressionError(f"expression {self.text[:80]!r} nests deeper than {MAX_NESTING} levels")


def _literal(kind: str, text: str) -> object:
    if kind == "number":
        return float(text)
    if kind == "string":
        return text[1:-1]
    if kind == "word" and text in ("true", "false"):
        return text == "true"
    if kind == "word":
        return text
    raise ExpressionError(f"expected a value, found {text!r}")


def _compare(op: str, left: object, right: object, text: str) -> bool:
    """Numbers compare as numbers (a looked-up ``'5'`` is the number 5); anything else as text."""
    left_number, right_number = _as_number(left), _as_number(right)
    if left_number is not None and right_number is not None and (
            isinstance(left, float) or isinstance(right, float) or op not in ("==", "!=")):
        return _COMPARATORS[op](left_number, right_number)
    if op not in ("==", "!="):
        raise ExpressionError(f"{op!r} compares numbers; got {left!r} and {right!r} in {text!r}")
    return _COMPARATORS[op](_as_text(left), _as_text(right))


def _as_number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(value) if isinstance(value, str) and value.strip() else None
    except ValueError:
        return None


def _as_text(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return str(value).removesuffix(".0") if isinstance(value, float) else str(value)


def _comparison_of(operand: Callable[[tuple[str, str]], object]) -> Callable[[_Evaluator], object]:
    def comparison(parser: _Evaluator) -> object:
        left = operand(parser.take())
        token = parser.peek()
        if token is None or token[1] not in _COMPARATORS:
            return left
        parser.take()
        return _compare(token[1], left, operand(parser.take()), parser.text)

    return comparison


def evaluate_when(text: str, lookup: Lookup) -> bool:
    """A task's ``when`` -> whether it runs; ``lookup`` gives a ``{{...}}`` reference's value.

    The expression is parsed first; looked-up values are only ever operands.
    """
    def operand(token: tuple[str, str]) -> object:
        kind, value = token
        if kind == "ref":
            return _reference_value(value, lookup)
        if kind == "string" and "{{" in value:  # '{{x}}' or "a-{{x}}": the value stays inside the string
            return _REFERENCE.sub(lambda m: _as_text(lookup(m.group(1))), value[1:-1])
        return _literal(kind, value)

    return bool(_Evaluator(text, _comparison_of(operand), argo_tokens(text, _WHEN_TOKEN)).parse())


def _reference_value(tag: str, lookup: Lookup) -> object:
    inner = tag[2:-2].strip()
    if inner.startswith("="):
        return evaluate_expression(inner[1:], lookup)
    return lookup(inner)


def evaluate_expression(text: str, lookup: Lookup) -> object:
    """The value of an Argo expression tag's body, within the subset conditions use."""
    tokens = [_EXPR_WORDS.get(token[1], token) if token[0] == "word" else token
              for token in argo_tokens(text, _EXPR_TOKEN)]
    return _Evaluator(text, lambda parser: _comparison_of(_ExprAtoms(parser, lookup).operand)(parser),
                      tokens).parse()


class _ExprAtoms:
    """Operands of an ``expr`` expression: literals, variables, ``asFloat(...)``/``asInt(...)``."""

    FUNCTIONS: dict[str, Callable[..., object]] = {
        "asFloat": lambda v: float(str(v)), "asInt": lambda v: int(str(v)),
        "float": lambda v: float(str(v)), "int": lambda v: int(float(str(v))), "string": _as_text,
        "jsonpath": lambda document, path: jsonpath(str(document), str(path))}

    def __init__(self, parser: _Evaluator, lookup: Lookup) -> None:
        self.parser = parser
        self.lookup = lookup

    def operand(self, token: tuple[str, str]) -> object:
        kind, text = token
        if kind == "op" and text == "-":
            return -float(str(self.operand(self.parser.take())))
        if kind == "op" and text == "(":
            self.parser.position -= 1
            return self.parser.group()
        if kind == "word" and self.parser.peek() == ("op", "("):
            return self.call(text)
        if kind == "word" and text not in ("true", "false", "nil"):
            return self.lookup(".".join(self.path(text)))
        return None if text == "nil" else _literal(kind, text)

    def call(self, name: str) -> object:
        function = self.FUNCTIONS.get(name)
        if function is None:
            raise ExpressionError(f"function {name!r} is not supported locally in {self.parser.text!r}")
        self.parser.take()
        arguments = [self.parser.disjunction()]
        while self.parser.peek() == ("op", ","):
            self.parser.take()
            arguments.append(self.parser.disjunction())
        if self.parser.take() != ("op", ")"):
            raise ExpressionError(f"missing ')' after the arguments of {name}() in {self.parser.text!r}")
        try:
            return function(*arguments)
        except TypeError:
            raise ExpressionError(f"{name}() takes other arguments than {arguments!r} in {self.parser.text!r}") from None
        except ValueError:
            raise ExpressionError(f"{name}({arguments[0]!r}) is not a number in {self.parser.text!r}") from None

    def path(self, root: str) -> list[str]:
        """``tasks['a-1'].outputs.result`` -> ``['tasks', 'a-1', 'outputs', 'result']``."""
        names = [root]
        while self.parser.peek() in (("op", "."), ("op", "[")):
            _, opener = self.parser.take()
            kind, name = self.parser.take()
            if opener == "[":
                if kind != "string" or self.parser.take() != ("op", "]"):
                    raise ExpressionError(f"expected ['name'] in {self.parser.text!r}")
                name = name[1:-1]
            names.append(name)
        return names


_JSONPATH_STEP = re.compile(r"""\.([A-Za-z_][\w-]*)|\[(\d+)\]|\[(?:'([^']*)'|"([^"]*)")\]""")


def jsonpath(document: str, path: str) -> object:
    """Argo's ``jsonpath(json, '$.a[0].b')`` for plain paths: names, indexes, quoted keys."""
    import json  # lazy: only expressions that call jsonpath need it

    try:
        value: object = json.loads(document)
    except json.JSONDecodeError:
        raise ExpressionError(f"jsonpath: {document[:60]!r} is not JSON") from None
    if not path.startswith("$"):
        raise ExpressionError(f"jsonpath: {path!r} must start with '$'")
    position = 1
    while position < len(path):
        match = _JSONPATH_STEP.match(path, position)
        if match is None:
            raise ExpressionError(f"jsonpath: cannot read {path[position:]!r} in {path!r} (names, [n] and ['key'] only)")
        value = _jsonpath_step(value, match, path)
        position = match.end()
    return value


def _jsonpath_step(value: object, match: re.Match[str], path: str) -> object:
    name, index, single, double = match.groups()
    if index is not None:
        if isinstance(value, list) and int(index) < len(value):
            return value[int(index)]
    else:
        key = name if name is not None else single if single is not None else double
        if isinstance(value, dict) and key in value:
            return value[key]
    raise ExpressionError(f"jsonpath: {path!r} finds nothing at {match.group(0)!r}")


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
