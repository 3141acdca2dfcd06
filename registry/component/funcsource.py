"""Reading a KFP function-component source the way KFP would see it, without running it.

A KFP v1 source names its function, image and packages in a call such as
``create_component_from_func(func, base_image='python:3.8', packages_to_install=[...],
output_component_file='component.yaml')`` (or ``func_to_container_op(...)``, or either used as
a decorator).  This module finds those calls with ``ast`` and reads their arguments as
literals (a module-level ``NAME = 'literal'`` counts as one); anything computed is reported
with its position, since knowing it would mean running the file.  (Docstrings are read in ``funcdoc``.)
"""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from registry.errors import CregError, Problem, did_you_mean

# KFP 1.8.22's signatures: positional arguments after ``func`` map to these names.
CONVERTERS = {
    "create_component_from_func": ("output_component_file", "base_image", "packages_to_install", "annotations"),
    "func_to_container_op": ("output_component_file", "base_image", "extra_code", "packages_to_install",
                             "modules_to_capture", "use_code_pickling", "annotations"),
}
KNOWN_KEYWORDS = {"func", "output_component_file", "base_image", "packages_to_install", "annotations",
                  "extra_code", "modules_to_capture", "use_code_pickling"}
PYTHON_COMPONENT = "python_component"  # kfp.dsl.python_component(name, description, base_image, target_component_file)

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


class SourceError(CregError):
    """The source file cannot be read, or a call in it cannot be read without running it."""


@dataclass(frozen=True)
class Module:
    """One parsed source file: its top-level functions and the literals a call may name."""

    file: str
    tree: ast.Module
    functions: dict[str, FunctionNode]
    constants: dict[str, ast.expr]  # top-level names bound exactly once, to their value

    def problem(self, node: ast.AST | None, message: str, severity: str = "error") -> Problem:
        line = getattr(node, "lineno", 0) if node is not None else 0
        column = getattr(node, "col_offset", -1) + 1 if line else 0
        return Problem(self.file, line, column, "", message, severity)


@dataclass(frozen=True)
class Conversion:
    """One conversion the source asks for: which function, with which options."""

    function: str
    line: int = 0  # where the call (or decorator) is; 0 for a FILE.py:FUNCTION request
    column: int = 0
    base_image: str | None = None
    packages: tuple[str, ...] = ()
    output_file: str | None = None
    extra_code: str = ""
    annotations: dict[str, str] = field(default_factory=dict)
    name: str | None = None  # from @python_component(name=...)
    description: str | None = None


def read_module(file: Path) -> Module:
    source = _read_text(file)
    try:
        with warnings.catch_warnings():  # an invalid escape in a docstring is the author's business
            warnings.simplefilter("ignore")
            tree = ast.parse(source, filename=str(file))
    except SyntaxError as exc:
        raise SourceError(problems=[Problem(str(file), exc.lineno or 0, exc.offset or 0, "",
                                            f"Python syntax error: {exc.msg}")]) from None
    functions = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    return Module(str(file), tree, functions, _constants(tree))


def _read_text(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise SourceError(problems=[Problem(str(file), 0, 0, "", f"cannot read: {why}")]) from None


def _constants(tree: ast.Module) -> dict[str, ast.expr]:
    """Top-level ``NAME = value`` bound once: a call may name them (``base_image=BASE_IMAGE``)."""
    counts: dict[str, int] = {}
    values: dict[str, ast.expr] = {}
    for statement in tree.body:
        for node in ast.walk(statement):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                counts[node.id] = counts.get(node.id, 0) + 1
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and \
                isinstance(statement.targets[0], ast.Name):
            values[statement.targets[0].id] = statement.value
    return {name: value for name, value in values.items() if counts.get(name) == 1}


def leaf_name(node: ast.expr) -> str | None:
    """``create_component_from_func`` for that name, ``kfp.components.create_component_from_func``..."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


# --- the calls -------------------------------------------------------------------------------


class Unreadable(Exception):
    """A value that only running the file would give; ``node`` is where it is."""

    def __init__(self, node: ast.AST) -> None:
        super().__init__()
        self.node = node


def static_value(node: ast.expr, module: Module) -> Any:
    """A literal, a module constant bound to one, or a list/tuple/dict of those."""
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        pass
    if isinstance(node, ast.Name) and node.id in module.constants:
        return static_value(module.constants[node.id], module)
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [static_value(item, module) for item in node.elts]
        return items if isinstance(node, ast.List) else tuple(items)
    if isinstance(node, ast.Dict) and None not in node.keys:
        return {static_value(k, module): static_value(v, module) for k, v in zip(node.keys, node.values) if k}
    raise Unreadable(node)


def find_conversions(module: Module) -> list[Conversion]:
    """Every conversion the file asks for, in source order; all problems at once."""
    found: list[Conversion] = []
    problems: list[Problem] = []
    for node, converter, arguments in _conversion_sites(module):
        try:
            found.append(_conversion(module, node, converter, arguments))
        except SourceError as exc:
            problems += exc.problems
    if problems:
        raise SourceError(problems=problems)
    return sorted(found, key=lambda c: (c.line, c.column))


def _conversion_sites(module: Module) -> list[tuple[ast.AST, str, dict[str, ast.expr]]]:
    """(where, converter, arguments by name) for each call and each decorator use."""
    sites: list[tuple[ast.AST, str, dict[str, ast.expr]]] = []
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Call):
            site = _call_site(node)
            if site is not None:
                sites.append((node, *site))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node in module.functions.values():
            sites += [(d, *site) for d in node.decorator_list if (site := _decorator_site(d, node.name))]
    return sites


def _decorator_site(decorator: ast.expr, function: str) -> tuple[str, dict[str, ast.expr]] | None:
    """``@create_component_from_func`` or ``@functools.partial(create_component_from_func, ...)``."""
    func = ast.Name(function, ast.Load())
    converter = leaf_name(decorator)
    if converter in CONVERTERS:
        return converter, {"func": func}
    if isinstance(decorator, ast.Call) and leaf_name(decorator.func) == "partial" and decorator.args:
        converter = leaf_name(decorator.args[0])
        if converter in CONVERTERS:
            inner = ast.Call(decorator.args[0], [func, *decorator.args[1:]], decorator.keywords)
            return _call_site(inner)
    return None


def _call_site(call: ast.Call) -> tuple[str, dict[str, ast.expr]] | None:
    converter = leaf_name(call.func)
    arguments = list(call.args)
    if converter == "partial" and arguments and leaf_name(arguments[0]) in CONVERTERS:
        return None  # functools.partial(converter, ...) as a decorator is read with the function
    if converter not in CONVERTERS:
        return None
    named: dict[str, ast.expr] = {}
    for name, value in zip(("func",) + CONVERTERS[converter], arguments):
        named[name] = value
    for keyword in call.keywords:
        named[keyword.arg or "**"] = keyword.value
    if len(arguments) > len(CONVERTERS[converter]) + 1 or any(isinstance(a, ast.Starred) for a in arguments):
        named["*"] = arguments[-1]
    return converter, named


def _conversion(module: Module, where: ast.AST, converter: str, arguments: dict[str, ast.expr]) -> Conversion:
    name = f"{converter}()"
    for odd in ("*", "**"):
        if odd in arguments:
            raise SourceError(problems=[module.problem(arguments[odd], f"{name}: *args/**kwargs cannot be read "
                                                                       "without running the file; name each argument")])
    function = _function_argument(module, where, name, arguments.get("func"))
    values = _literal_arguments(module, name, arguments)
    decorated = python_component_options(module, module.functions[function])
    if values.get("use_code_pickling"):
        raise SourceError(problems=[module.problem(arguments["use_code_pickling"], f"{name}: use_code_pickling=True "
                                                   "captures the function by running the file; creg reads it instead")])
    return _assemble(module, where, function, name, values, decorated)


def _function_argument(module: Module, where: ast.AST, name: str, node: ast.expr | None) -> str:
    if node is None:
        raise SourceError(problems=[module.problem(where, f"{name}: no function given")])
    if isinstance(node, ast.Name) and node.id in module.functions:
        return node.id
    functions = ", ".join(module.functions) or "none"
    raise SourceError(problems=[module.problem(node, f"{name}: '{ast.unparse(node)}' is not a function defined at "
                                                     f"the top level of this file (functions: {functions})")])


def _literal_arguments(module: Module, name: str, arguments: dict[str, ast.expr]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for key, node in arguments.items():
        if key == "func":
            continue
        if key not in KNOWN_KEYWORDS:
            problems.append(module.problem(node, f"{name}: unknown argument '{key}'"
                                                 f"{did_you_mean(key, sorted(KNOWN_KEYWORDS))}"))
            continue
        try:
            values[key] = static_value(node, module)
        except Unreadable as exc:
            problems.append(module.problem(exc.node, f"{name}: argument '{key}' is computed "
                                                     f"(`{ast.unparse(exc.node)}`); creg reads the file without "
                                                     "running it: write a literal, or a module-level NAME = literal "
                                                     "bound once"))
    if problems:
        raise SourceError(problems=problems)
    return values


def _assemble(module: Module, where: ast.AST, function: str, name: str, values: dict[str, Any],
              decorated: dict[str, Any]) -> Conversion:
    checked = _checked_types(module, where, name, values)
    image = checked.get("base_image")
    decorator_image = decorated.get("base_image")
    if decorator_image is not None and image is not None and image != decorator_image:
        raise SourceError(problems=[module.problem(where, f"{name}: base_image '{image}' conflicts with the "
                                                          f"@python_component base_image '{decorator_image}'")])
    output = checked.get("output_component_file")
    if name == "func_to_container_op()":  # KFP reads @python_component's file in this one only
        output = output or decorated.get("target_component_file")
    return Conversion(function, getattr(where, "lineno", 0), getattr(where, "col_offset", -1) + 1,
                      image if image is not None else decorator_image, tuple(checked.get("packages_to_install") or ()),
                      output, checked.get("extra_code") or "", dict(checked.get("annotations") or {}),
                      decorated.get("name"), decorated.get("description"))


_EXPECTED: dict[str, tuple[type | tuple[type, ...], str]] = {
    "base_image": (str, "a string"), "output_component_file": (str, "a string"), "extra_code": (str, "a string"),
    "packages_to_install": ((list, tuple), "a list of strings"), "annotations": (dict, "a mapping of strings to strings")}


def _checked_types(module: Module, where: ast.AST, name: str, values: dict[str, Any]) -> dict[str, Any]:
    for key, (kind, wanted) in _EXPECTED.items():
        value = values.get(key)
        if value is None:
            continue
        strings = [*value.keys(), *value.values()] if isinstance(value, dict) else \
            list(value) if isinstance(value, (list, tuple)) else [value]
        if not isinstance(value, kind) or not all(isinstance(x, str) for x in strings):
            raise SourceError(problems=[module.problem(where, f"{name}: {key} must be {wanted}, got {value!r}")])
    return values


def plain_conversion(module: Module, function: str) -> Conversion:
    """``FILE.py:FUNCTION`` for a function no call converts: KFP's defaults, and what a
    ``@python_component`` decorator says."""
    options = python_component_options(module, module.functions[function])
    return Conversion(function, base_image=options.get("base_image"), name=options.get("name"),
                      description=options.get("description"))


def python_component_options(module: Module, function: FunctionNode) -> dict[str, Any]:
    """``@python_component(name=..., description=..., base_image=..., target_component_file=...)``."""
    for decorator in function.decorator_list:
        if isinstance(decorator, ast.Call) and leaf_name(decorator.func) == PYTHON_COMPONENT:
            named = dict(zip(("name", "description", "base_image", "target_component_file"), decorator.args))
            named.update({k.arg: k.value for k in decorator.keywords if k.arg})
            try:
                return {key: static_value(node, module) for key, node in named.items()}
            except Unreadable as exc:
                raise SourceError(problems=[module.problem(exc.node, f"@{PYTHON_COMPONENT}: a computed argument "
                                                                     f"('{ast.unparse(exc.node)}'); write a literal")]) from None
    return {}
