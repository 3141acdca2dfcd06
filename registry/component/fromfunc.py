"""A typed Python function -> a component spec (KFP's ``func_to_container_op``, statically).

The file is parsed with ``ast`` and never imported or executed: converting a function must
not run the user's module-level code (which may need packages, credentials or a GPU that
the author's laptop lacks).  Consequences, all reported as ``file:line:col`` problems:

* every parameter needs a type annotation from the supported set (int, float, str, bool,
  list, dict, their ``typing`` spellings and ``Optional[...]``), plus a return annotation
  (``-> None`` for none; ``NamedTuple('Outputs', [('a', float), ...])`` or a module-level
  ``class Outputs(NamedTuple)`` for several outputs);
* defaults must be literals; no ``*args``/``**kwargs``;
* the body may use only builtins, its parameters, its own locals and names it imports
  itself: a module-level name would not exist in the container (it would be a closure over
  a global), so it is an error.

The function travels inside the spec with its annotations and decorators removed (they may
name things the container lacks), followed by a small runner that parses ``--NAME VALUE``
arguments and writes each output to its ``----output-paths`` file, run with ``python3 -u -c``.
"""

from __future__ import annotations

import ast
import builtins
import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from registry.component.model import load_component_from_text
from registry.errors import ArgumentError, CregError, Problem, did_you_mean, mention
from registry.sources.store import atomic_write
from registry.yamlio import dump

PYTHON_IMAGE = "python:3.11"
SIMPLE_TYPES = {"int": "Integer", "float": "Float", "str": "String", "bool": "Boolean",
                "list": "JsonArray", "dict": "JsonObject"}
GENERIC_TYPES = {"list": "JsonArray", "List": "JsonArray", "Sequence": "JsonArray",
                 "dict": "JsonObject", "Dict": "JsonObject", "Mapping": "JsonObject"}
SINGLE_OUTPUT = "Output"
PACKAGE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-\[\],<>=!~ ]*$")
BUILTIN_NAMES = frozenset(dir(builtins)) | {"__name__", "__file__"}


class FromFuncError(CregError):
    """The function cannot become a component; every problem is listed."""


class TargetError(FromFuncError, ArgumentError):
    """The ``target`` argument is not ``FILE.py:FUNCTION``."""


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: object = None  # any Python literal
    has_default: bool = False

    @property
    def optional(self) -> bool:
        return self.has_default and self.default is None


class _Problems:
    def __init__(self, file: str, func: str) -> None:
        self.file, self.func, self.items = file, func, []  # type: ignore[var-annotated]

    def add(self, node: ast.AST | None, message: str) -> None:
        line, col = (getattr(node, "lineno", 0), getattr(node, "col_offset", -1) + 1) if node else (0, 0)
        self.items.append(Problem(self.file, line, col, "", f"{self.func}(): {message}"))


# --- finding the function --------------------------------------------------------------------


def parse_target(target: str) -> tuple[Path, str]:
    """``'file.py:func'`` -> ``(Path('file.py'), 'func')``."""
    file, sep, func = target.rpartition(":")
    if not sep or not file or not func.isidentifier():
        # the argument is malformed, not the function
        raise TargetError("target", f"'{target}': expected FILE.py:FUNCTION, e.g. ops.py:add")
    return Path(file), func


def find_function(tree: ast.Module, func: str, file: str) -> ast.FunctionDef:
    functions = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    node = functions.get(func)
    if node is None:
        raise FromFuncError(problems=[Problem(file, 0, 0, "", f"no top-level function '{func}'"
                                              f"{did_you_mean(func, functions)}; found: {', '.join(functions) or 'none'}")])
    if isinstance(node, ast.AsyncFunctionDef):
        raise FromFuncError(problems=[Problem(file, node.lineno, node.col_offset + 1, "", f"{func}(): async functions cannot be components")])
    return node


# --- types -----------------------------------------------------------------------------------


def type_of(node: ast.expr) -> tuple[str | None, bool]:
    """Annotation -> (component type or None when unsupported, nullable)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            return type_of(ast.parse(node.value, mode="eval").body)  # a forward reference 'int'
        except SyntaxError:
            return None, False
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _union(node.left, node.right)
    if isinstance(node, ast.Subscript):
        return _generic(node)
    return SIMPLE_TYPES.get(_dotted_leaf(node) or "") if _is_plain(node) else None, False


def _is_plain(node: ast.expr) -> bool:
    return isinstance(node, (ast.Name, ast.Attribute))


def _dotted_leaf(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _union(left: ast.expr, right: ast.expr) -> tuple[str | None, bool]:
    if _is_none(right):
        return type_of(left)[0], True
    if _is_none(left):
        return type_of(right)[0], True
    return None, False


def _generic(node: ast.Subscript) -> tuple[str | None, bool]:
    base = _dotted_leaf(node.value)
    if base == "Optional":
        return type_of(node.slice)[0], True
    if base == "Union" and isinstance(node.slice, ast.Tuple) and len(node.slice.elts) == 2:
        return _union(*node.slice.elts)
    return GENERIC_TYPES.get(base or ""), False


# --- parameters and outputs ------------------------------------------------------------------


def read_params(func: ast.FunctionDef, problems: _Problems) -> list[Param]:
    args = func.args
    for prefix, star in (("*", args.vararg), ("**", args.kwarg)):
        if star is not None:
            problems.add(star, f"'{prefix}{star.arg}' cannot become inputs; name every parameter")
    positional = args.posonlyargs + args.args
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    pairs = list(zip(positional, defaults)) + list(zip(args.kwonlyargs, args.kw_defaults))
    return [p for p in (_param(arg, default, problems) for arg, default in pairs) if p is not None]


def _param(arg: ast.arg, default: ast.expr | None, problems: _Problems) -> Param | None:
    if arg.annotation is None:
        problems.add(arg, f"parameter '{arg.arg}' has no type annotation; annotate it with one of "
                          f"{', '.join(SIMPLE_TYPES)}")
        return None
    kind, nullable = type_of(arg.annotation)
    if kind is None:
        problems.add(arg.annotation, f"parameter '{arg.arg}': unsupported type '{ast.unparse(arg.annotation)}'; "
                                     f"expected one of {', '.join(SIMPLE_TYPES)} (or Optional of one)")
        return None
    if default is None:
        return Param(arg.arg, kind)
    try:
        value = ast.literal_eval(default)
    except ValueError:
        problems.add(default, f"parameter '{arg.arg}': the default must be a literal (a number, string, "
                              f"True/False, None, list or dict)")
        return None
    return Param(arg.arg, kind, value, True)


@dataclass(frozen=True)
class Outputs:
    items: tuple[tuple[str, str], ...] = ()  # (name, type)
    single: bool = False  # the function returns the value itself, not a tuple of values


def read_outputs(func: ast.FunctionDef, tree: ast.Module, problems: _Problems) -> Outputs:
    """The outputs the return annotation declares."""
    returns = func.returns
    if returns is None:
        problems.add(func, "no return annotation; add '-> None' when it returns nothing, or the type it returns")
        return Outputs()
    if _is_none(returns):
        return Outputs()
    fields = _named_tuple_fields(returns, tree)
    if fields is None:
        kind = type_of(returns)[0]
        if kind is None:
            problems.add(returns, f"unsupported return type '{ast.unparse(returns)}'; expected one of "
                                  f"{', '.join(SIMPLE_TYPES)} or NamedTuple('Outputs', [('name', type), ...])")
            return Outputs()
        return Outputs(((SINGLE_OUTPUT, kind),), single=True)
    return Outputs(tuple(out for out in (_field(name, node, problems) for name, node in fields) if out is not None))


def _field(name: str, node: ast.expr, problems: _Problems) -> tuple[str, str] | None:
    kind = type_of(node)[0]
    if kind is None:
        problems.add(node, f"output '{name}': unsupported type '{ast.unparse(node)}'")
        return None
    return name, kind


def _named_tuple_fields(node: ast.expr, tree: ast.Module) -> list[tuple[str, ast.expr]] | None:
    if isinstance(node, ast.Call) and _dotted_leaf(node.func) == "NamedTuple" and len(node.args) == 2:
        items = node.args[1]
        if isinstance(items, (ast.List, ast.Tuple)):
            return [(pair.elts[0].value, pair.elts[1]) for pair in items.elts
                    if isinstance(pair, ast.Tuple) and len(pair.elts) == 2
                    and isinstance(pair.elts[0], ast.Constant) and isinstance(pair.elts[0].value, str)]
    if isinstance(node, ast.Name):
        for statement in tree.body:
            if isinstance(statement, ast.ClassDef) and statement.name == node.id and \
                    any(_dotted_leaf(base) == "NamedTuple" for base in statement.bases):
                return [(s.target.id, s.annotation) for s in statement.body
                        if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)]
    return None


# --- closures over globals -------------------------------------------------------------------


def free_names(func: ast.FunctionDef) -> list[ast.Name]:
    """First use of every name the body reads but neither binds, imports nor gets from builtins."""
    bound = _bound_names(func)
    seen: set[str] = set()
    free: list[ast.Name] = []
    for statement in func.body:
        for node in ast.walk(statement):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in bound \
                    and node.id not in BUILTIN_NAMES and node.id not in seen:
                seen.add(node.id)
                free.append(node)
    return sorted(free, key=lambda n: (n.lineno, n.col_offset))


def _bound_names(func: ast.FunctionDef) -> set[str]:
    bound = {func.name}
    for node in ast.walk(func):
        if isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bound.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and node.name:
            bound.add(node.name)
    return bound


def check_scope(func: ast.FunctionDef, problems: _Problems) -> None:
    for node in ast.walk(func):
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            problems.add(node, "'global'/'nonlocal' cannot work inside a container; pass values as parameters")
    for name in free_names(func):
        problems.add(name, f"uses '{name.id}', a name from outside the function (a closure over a module "
                           f"global); import it or define it inside the function body")


# --- the program the container runs ----------------------------------------------------------


def stripped_source(func: ast.FunctionDef) -> str:
    """The function without decorators or annotations (they may name things the image lacks)."""
    clean = ast.parse(ast.unparse(func)).body[0]
    assert isinstance(clean, ast.FunctionDef)
    clean.decorator_list, clean.returns = [], None
    for arg in ast.walk(clean.args):
        if isinstance(arg, ast.arg):
            arg.annotation = None
    return ast.unparse(clean)


RUNNER = '''
import argparse as _argparse
import json as _json
import os as _os


def _parse_bool(text):
    lowered = str(text).strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise _argparse.ArgumentTypeError("expected true or false, got %r" % (text,))


_READERS = {"Integer": int, "Float": float, "String": str, "Boolean": _parse_bool,
            "JsonArray": _json.loads, "JsonObject": _json.loads}


def _serialize(kind, value):
    return _json.dumps(value) if kind in ("JsonArray", "JsonObject") else str(value)


def _main():
    # No automatic --help/-h: a parameter may be called 'help' (or 'h'), and the launcher never asks
    # for help; no abbreviations: '--a' must never be taken for '--alpha'.
    parser = _argparse.ArgumentParser(prog=_COMPONENT, description=_DESCRIPTION, add_help=False,
                                      allow_abbrev=False)
    for name, kind, required in _INPUTS:
        parser.add_argument("--" + name, dest=name, type=_READERS[kind], required=required,
                            default=_argparse.SUPPRESS)
    if _OUTPUTS:
        parser.add_argument("----output-paths", dest="_output_paths", type=str, nargs=len(_OUTPUTS), required=True)
    arguments = vars(parser.parse_args())
    paths = arguments.pop("_output_paths", [])
    result = _FUNCTION(**arguments)
    if _SINGLE_OUTPUT:
        result = [result]
    for index, ((name, kind), path) in enumerate(zip(_OUTPUTS, paths)):
        value = result[index]
        if _os.path.dirname(path):
            _os.makedirs(_os.path.dirname(path), exist_ok=True)
        with open(path, "w") as handle:
            handle.write(_serialize(kind, value))


_main()
'''


def program(func: ast.FunctionDef, spec_name: str, description: str, params: list[Param],
            outputs: Outputs) -> str:
    inputs = [(p.name, p.type, not p.has_default) for p in params]
    settings = (f"_COMPONENT = {spec_name!r}\n_DESCRIPTION = {description!r}\n_INPUTS = {inputs!r}\n"
                f"_OUTPUTS = {list(outputs.items)!r}\n_SINGLE_OUTPUT = {outputs.single!r}\n"
                f"_FUNCTION = {func.name}\n")
    return stripped_source(func) + "\n\n" + settings + RUNNER


# --- the spec --------------------------------------------------------------------------------


def spec_name(func_name: str) -> str:
    """``my_divmod`` -> ``My divmod`` (as KFP names function components)."""
    words = func_name.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def serialize_default(kind: str, value: object) -> str:
    return json.dumps(value) if kind in ("JsonArray", "JsonObject") else str(value)


def input_entry(param: Param) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": param.name, "type": param.type}
    if param.has_default and param.default is not None:
        entry["default"] = serialize_default(param.type, param.default)
        entry["optional"] = True
    elif param.optional:
        entry["optional"] = True
    return entry


def argument_list(params: list[Param], outputs: Outputs) -> list[Any]:
    args: list[Any] = []
    for param in params:
        pair = [f"--{param.name}", {"inputValue": param.name}]
        args += [{"if": {"cond": {"isPresent": param.name}, "then": pair}}] if param.optional else pair
    if outputs.items:
        args += ["----output-paths"] + [{"outputPath": name} for name, _ in outputs.items]
    return args


def container_command(source: str, packages: list[str]) -> list[str]:
    python = ["python3", "-u", "-c", source]
    if not packages:
        return python
    quoted = " ".join(shlex.quote(p) for p in packages)
    pip = f"PIP_DISABLE_PIP_VERSION_CHECK=1 python3 -m pip install --quiet --no-warn-script-location {quoted}"
    return ["sh", "-c", f'({pip} || {pip} --user) && "$0" "$@"'] + python


def check_packages(packages: list[str]) -> None:
    bad = [p for p in packages if not PACKAGE_PATTERN.match(p)]
    if bad:
        raise FromFuncError(f"{mention('packages')}: {', '.join(map(repr, bad))} do not look like pip requirements "
                            "(e.g. numpy, pandas==2.2.0)", arguments=["packages"])


def function_to_spec(file: Path, func_name: str, base_image: str = PYTHON_IMAGE,
                     packages: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
    """The component spec (plain data) for ``func_name`` in ``file``."""
    source, tree = _parse_file(file)
    func = find_function(tree, func_name, str(file))
    problems = _Problems(str(file), func_name)
    params = read_params(func, problems)
    outputs = read_outputs(func, tree, problems)
    check_scope(func, problems)
    check_packages(list(packages))
    if problems.items:
        raise FromFuncError(problems=problems.items)
    return _spec_data(func, params, outputs, base_image, list(packages))


def _parse_file(file: Path) -> tuple[str, ast.Module]:
    try:
        source = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise FromFuncError(problems=[Problem(str(file), 0, 0, "", f"cannot read: {why}")]) from None
    try:
        return source, ast.parse(source, filename=str(file))
    except SyntaxError as exc:
        raise FromFuncError(problems=[Problem(str(file), exc.lineno or 0, exc.offset or 0, "",
                                              f"Python syntax error: {exc.msg}")]) from None


def _spec_data(func: ast.FunctionDef, params: list[Param], outputs: Outputs,
               image: str, packages: list[str]) -> dict[str, Any]:
    name = spec_name(func.name)
    description = ast.get_docstring(func) or ""
    data: dict[str, Any] = {"name": name}
    if description:
        data["description"] = description
    if params:
        data["inputs"] = [input_entry(p) for p in params]
    if outputs.items:
        data["outputs"] = [{"name": n, "type": t} for n, t in outputs.items]
    command = container_command(program(func, name, description, params, outputs), packages)
    data["implementation"] = {"container": {"image": image, "command": command,
                                            "args": argument_list(params, outputs)}}
    return data


def write_component(file: Path, func_name: str, out: Path, base_image: str = PYTHON_IMAGE,
                    packages: list[str] | tuple[str, ...] = ()) -> str:
    """Convert, validate the result as any component.yaml, and write it atomically."""
    data = function_to_spec(file, func_name, base_image, packages)
    text = dump(data, literal_blocks=True)  # the program stays readable as a | block
    if load_component_from_text(text, str(out)).to_dict() != data:
        raise FromFuncError(f"{out}: internal error: the written YAML does not read back as the spec")
    atomic_write(out, text.encode("utf-8"))
    return text
