"""A Python function -> a component spec, as KFP v1's ``create_component_from_func`` makes it.

The file is parsed with ``ast`` and never imported or executed: converting a function must
not run the user's module-level code (which may need packages, credentials or a GPU that the
author's laptop lacks).  The interface follows KFP 1.8.22 (``kfp/components/_python_op.py``):

* every annotation becomes a type as KFP names it: none -> untyped; ``int``/``float``/``str``/
  ``bool``/``list``/``dict`` -> Integer/Float/String/Boolean/JsonArray/JsonObject; another class
  -> its name; a string -> itself; ``typing`` generics -> their ``str()`` (``typing.List[int]``);
  ``Optional[X]`` (and ``X | None``) -> X;
* ``InputPath(T)``/``InputTextFile(T)``/``InputBinaryFile(T)`` parameters are file inputs and
  ``OutputPath(T)``/``OutputTextFile(T)``/``OutputBinaryFile(T)`` file outputs of type T, named
  without their ``_path`` (paths only) and ``_file`` suffixes;
* a default makes an input optional; it is written as KFP serializes it (``5`` -> ``'5'``,
  ``{}`` -> ``'{}'``), ``None`` gives no default;
* the return annotation gives the outputs: a ``NamedTuple`` one per field, another type one
  called ``Output``, none (or ``-> None``) no outputs;
* the name comes from the function's (``my_divmod`` -> ``My divmod``), the description from the
  docstring's first line, input descriptions from a Google-style ``Args:`` section.

What KFP would accept but make into a broken component is refused with ``file:line:col``
(``*args``, a default on a file output); what it would make into a component that fails when
it runs (a module-level name used in the body) is converted with a warning.
"""

from __future__ import annotations

import ast
import builtins
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from registry.component.funcdoc import argument_docs, summary
from registry.component.funcprogram import Interface, Port, TypeStruct, container_command, program
from registry.component.funcsource import (Conversion, FunctionNode, Module, SourceError, Unreadable,
                                           find_conversions, leaf_name, plain_conversion, read_module,
                                           static_value)
from registry.component.functypes import TypeReader, is_none, literal, serialize_default
from registry.component.model import load_component_from_text
from registry.errors import ArgumentError, CregError, Problem, did_you_mean, mention
from registry.sources.store import atomic_write
from registry.yamlio import dump

KFP_DEFAULT_IMAGE = "python:3.7"  # kfp.components._python_op.default_base_image_or_builder
PYTHON_IMAGE = KFP_DEFAULT_IMAGE
FILE_ANNOTATIONS = {"InputPath": ("input", "path"), "InputTextFile": ("input", "text"),
                    "InputBinaryFile": ("input", "binary"), "OutputPath": ("output", "path"),
                    "OutputTextFile": ("output", "text"), "OutputBinaryFile": ("output", "binary")}
SINGLE_OUTPUT = "Output"
PACKAGE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-\[\],<>=!~ +:/@#%]*$")
BUILTIN_NAMES = frozenset(dir(builtins)) | {"__name__", "__file__"}

class FromFuncError(CregError):
    """The function cannot become a component; every problem is listed."""


class TargetError(FromFuncError, ArgumentError):
    """The ``target`` argument is not ``FILE.py`` or ``FILE.py:FUNCTION``."""


class _Problems:
    def __init__(self, module: Module, func: str) -> None:
        self.module, self.func = module, func
        self.items: list[Problem] = []
        self.warnings: list[Problem] = []

    def add(self, node: ast.AST | None, message: str) -> None:
        self.items.append(self.module.problem(node, f"{self.func}(): {message}"))

    def warn(self, node: ast.AST | None, message: str) -> None:
        self.warnings.append(self.module.problem(node, f"{self.func}(): {message}", "warning"))


# --- finding the function --------------------------------------------------------------------


def parse_target(target: str) -> tuple[Path, str | None]:
    """``'file.py:func'`` -> ``(Path('file.py'), 'func')``; ``'file.py'`` -> ``(Path('file.py'), None)``."""
    file, sep, func = target.rpartition(":")
    if not sep:
        return Path(target), None
    if not file or not func.isidentifier():
        raise TargetError("target", f"'{target}': expected FILE.py or FILE.py:FUNCTION, e.g. ops.py:add")
    return Path(file), func


def find_function(module: Module, func: str) -> ast.FunctionDef:
    node = module.functions.get(func)
    if node is None:
        found = ", ".join(module.functions) or "none"
        raise FromFuncError(problems=[Problem(module.file, 0, 0, "", f"no top-level function '{func}'"
                                              f"{did_you_mean(func, module.functions)}; found: {found}")])
    if isinstance(node, ast.AsyncFunctionDef):
        raise FromFuncError(problems=[module.problem(node, f"{func}(): async functions cannot be components")])
    return node


# --- parameters and outputs ------------------------------------------------------------------


def unique(name: str, taken: set[str]) -> str:
    """KFP's _make_name_unique_by_adding_index: 'x', 'x_2', 'x_3'..."""
    candidate, index = name, 2
    while candidate in taken:
        candidate, index = f"{name}_{index}", index + 1
    taken.add(candidate)
    return candidate


def read_interface(func: ast.FunctionDef, module: Module, problems: _Problems) -> Interface:
    types = TypeReader(module)
    docs = argument_docs(ast.get_docstring(func))
    inputs: list[Port] = []
    outputs: list[Port] = []
    input_names: set[str] = set()
    output_names: set[str] = set()
    for arg, default in _parameters(func, problems):
        read = _parameter_port(arg, default, types, problems)
        if read is None:
            continue
        direction, port = read
        taken, into = (output_names, outputs) if direction == "output" else (input_names, inputs)
        into.append(Port(unique(port.name, taken), port.type, port.style, arg.arg, port.optional,
                         port.default, docs.get(arg.arg)))
    returned, single = _returned(func, types, problems)
    outputs += [Port(unique(name, output_names), kind, "return") for name, kind in returned]
    return Interface(tuple(inputs), tuple(outputs), single)


def _parameters(func: ast.FunctionDef, problems: _Problems) -> list[tuple[ast.arg, ast.expr | None]]:
    args = func.args
    for prefix, star in (("*", args.vararg), ("**", args.kwarg)):
        if star is not None:
            problems.add(star, f"'{prefix}{star.arg}' cannot become inputs; name every parameter")
    for arg in args.posonlyargs:
        problems.add(arg, f"parameter '{arg.arg}' is positional-only; the launcher passes every argument by name")
    positional = args.posonlyargs + args.args
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    return list(zip(positional, defaults)) + list(zip(args.kwonlyargs, args.kw_defaults))


def _parameter_port(arg: ast.arg, default: ast.expr | None, types: TypeReader,
                    problems: _Problems) -> tuple[str, Port] | None:
    annotation = types.strip_optional(arg.annotation)
    if isinstance(annotation, ast.Call) and leaf_name(annotation.func) in FILE_ANNOTATIONS:
        return _file_port(arg, annotation, default, types, problems)
    kind = types.type_of(annotation)
    if default is None:
        return "input", Port(arg.arg, kind)
    try:
        value = static_value(default, types.module)
    except Unreadable:
        problems.add(default, f"parameter '{arg.arg}': the default must be a literal (a number, string, "
                              f"True/False, None, list or dict) or a module-level constant")
        return None
    return "input", Port(arg.arg, kind, optional=True, default=_default_text(arg, value, kind, problems))


def _default_text(arg: ast.arg, value: object, kind: TypeStruct, problems: _Problems) -> str | None:
    if value is None:
        return None
    try:
        return serialize_default(value, kind)
    except (ValueError, TypeError) as exc:  # KFP warns too, and leaves the input optional without default
        problems.warn(arg, f"parameter '{arg.arg}': the default {value!r} cannot be written as type "
                           f"{kind!r} ({exc}); the input is optional without a default")
        return None


def _file_port(arg: ast.arg, annotation: ast.Call, default: ast.expr | None, types: TypeReader,
               problems: _Problems) -> tuple[str, Port] | None:
    wrapper = leaf_name(annotation.func) or ""
    direction, style = FILE_ANNOTATIONS[wrapper]
    if default is not None and not (wrapper == "InputPath" and is_none(default)):
        problems.add(default, f"parameter '{arg.arg}': {wrapper}() parameters take no default (InputPath() "
                              "only None, which makes the input optional)")
        return None
    name = arg.arg
    if wrapper in ("InputPath", "OutputPath") and name.endswith("_path"):
        name = name[: -len("_path")]
    if name.endswith("_file"):
        name = name[: -len("_file")]
    type_node = annotation.args[0] if annotation.args else next(
        (k.value for k in annotation.keywords if k.arg == "type"), None)
    return direction, Port(name, types.type_of(type_node), style, optional=default is not None)


def _returned(func: ast.FunctionDef, types: TypeReader, problems: _Problems) -> tuple[list[tuple[str, TypeStruct]], bool]:
    """The outputs the return annotation declares, and whether the function returns one value."""
    returns = func.returns
    if returns is None or is_none(returns):
        return [], False
    fields = _tuple_fields(returns, types.module)
    for item in _malformed_fields(returns):
        problems.add(item, f"NamedTuple field {ast.unparse(item)}: expected ('name', type)")
    if fields is not None:
        return [(name, types.type_of(node)) for name, node in fields], False
    if isinstance(returns, ast.Dict):  # KFP's deprecated {'name': type} form
        keys = [k.value for k in returns.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
        if len(keys) == len(returns.keys):
            return [(k, types.type_of(v)) for k, v in zip(keys, returns.values)], False
    return [(SINGLE_OUTPUT, types.type_of(returns))], True


def _tuple_fields(node: ast.expr, module: Module) -> list[tuple[str, ast.expr | None]] | None:
    """NamedTuple('X', [('a', int)]), NamedTuple('X', a=int), a class X(NamedTuple), namedtuple('X', 'a b')."""
    if isinstance(node, ast.Name):
        for statement in module.tree.body:
            if isinstance(statement, ast.ClassDef) and statement.name == node.id and \
                    any(leaf_name(base) == "NamedTuple" for base in statement.bases):
                fields: list[tuple[str, ast.expr | None]] = [
                    (s.target.id, s.annotation) for s in statement.body
                    if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)]
                return fields
        if node.id in module.constants:
            return _tuple_fields(module.constants[node.id], module)
    if isinstance(node, ast.Call) and leaf_name(node.func) == "NamedTuple":
        items = node.args[1] if len(node.args) > 1 else None
        pairs = items.elts if isinstance(items, (ast.List, ast.Tuple)) else []
        named: list[tuple[str, ast.expr | None]] = [
            (p.elts[0].value, p.elts[1]) for p in pairs if isinstance(p, ast.Tuple) and len(p.elts) == 2
            and isinstance(p.elts[0], ast.Constant) and isinstance(p.elts[0].value, str)]
        return named + [(k.arg, k.value) for k in node.keywords if k.arg]
    if isinstance(node, ast.Call) and leaf_name(node.func) == "namedtuple" and len(node.args) > 1:
        names = literal(node.args[1])
        names = names.replace(",", " ").split() if isinstance(names, str) else names
        if isinstance(names, (list, tuple)) and all(isinstance(n, str) for n in names):
            return [(n, None) for n in names]
    return None


def _malformed_fields(node: ast.expr) -> list[ast.expr]:
    """Entries of NamedTuple('X', [...]) that are not ('name', type) pairs (Python refuses them)."""
    if not (isinstance(node, ast.Call) and leaf_name(node.func) == "NamedTuple" and len(node.args) > 1):
        return []
    items = node.args[1]
    entries = items.elts if isinstance(items, (ast.List, ast.Tuple)) else [items]
    return [p for p in entries if not (isinstance(p, ast.Tuple) and len(p.elts) == 2 and
                                       isinstance(p.elts[0], ast.Constant) and isinstance(p.elts[0].value, str))]


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


def check_scope(func: ast.FunctionDef, problems: _Problems, extra_code: str = "") -> None:
    """KFP copies only the function (after ``extra_code``) into the container: a module-level name
    will not be there."""
    for node in ast.walk(func):
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            problems.warn(node, "'global'/'nonlocal' cannot reach the module inside a container; "
                                "pass values as parameters")
    defined = _names_bound_by(extra_code, problems)
    for name in free_names(func):
        if name.id not in defined:
            problems.warn(name, f"uses '{name.id}', a name from outside the function (a closure over a module "
                                f"global): it will not exist in the container; import it or define it inside the body")


def _names_bound_by(extra_code: str, problems: _Problems) -> set[str]:
    try:
        tree = ast.parse(extra_code)
    except SyntaxError as exc:
        problems.add(None, f"extra_code is not Python: {exc.msg} (its line {exc.lineno})")
        return set()
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    names |= {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    return names | {(a.asname or a.name).split(".")[0] for n in ast.walk(tree)
                    if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}


# --- the spec --------------------------------------------------------------------------------


def spec_name(func_name: str) -> str:
    """``my_divmod`` -> ``My divmod`` (KFP's _python_function_name_to_component_name)."""
    words = re.sub(" +", " ", func_name.replace("_", " ")).strip(" ")
    return words[:1].upper() + words[1:]


def check_packages(packages: list[str] | tuple[str, ...]) -> None:
    bad = [p for p in packages if not PACKAGE_PATTERN.match(p)]
    if bad:
        raise FromFuncError(f"{mention('packages')}: {', '.join(map(repr, bad))} do not look like pip requirements "
                            "(e.g. numpy, pandas==2.2.0)", arguments=["packages"])


@dataclass(frozen=True)
class Converted:
    """One converted function: the spec as plain data, where to write it, and the warnings."""

    conversion: Conversion
    data: dict[str, Any]
    warnings: tuple[Problem, ...]


def convert(module: Module, conversion: Conversion) -> Converted:
    """The component spec (plain data) the conversion asks for."""
    func = find_function(module, conversion.function)
    problems = _Problems(module, conversion.function)
    interface = read_interface(func, module, problems)
    check_scope(func, problems, conversion.extra_code)
    check_packages(conversion.packages)
    if problems.items:
        raise FromFuncError(problems=problems.items + problems.warnings)
    return Converted(conversion, _spec_data(module, func, conversion, interface), tuple(problems.warnings))


def _spec_data(module: Module, func: ast.FunctionDef, conversion: Conversion, interface: Interface) -> dict[str, Any]:
    name = conversion.name or spec_name(func.name)
    description = (conversion.description or summary(ast.get_docstring(func)) or "").strip()
    data: dict[str, Any] = {"name": name}
    if description:
        data["description"] = description
    if conversion.annotations:
        data["metadata"] = {"annotations": dict(conversion.annotations)}
    if interface.inputs:
        data["inputs"] = [_port_entry(p) for p in interface.inputs]
    if interface.outputs:
        data["outputs"] = [_port_entry(p) for p in interface.outputs]
    source = program(_with_literal_defaults(func, module), name, description, interface, conversion.extra_code)
    data["implementation"] = {"container": {
        "image": conversion.base_image or KFP_DEFAULT_IMAGE,
        "command": container_command(source, list(conversion.packages)),
        "args": argument_list(interface)}}
    return data


def _with_literal_defaults(func: ast.FunctionDef, module: Module) -> ast.FunctionDef:
    """A copy whose defaults naming module constants hold their values: only the function travels
    into the container, so ``threshold=THRESHOLD`` would fail there (as it does in KFP's)."""
    copy = ast.parse(ast.unparse(func)).body[0]
    assert isinstance(copy, ast.FunctionDef)
    copy.args.defaults = [_literal_node(d, module) for d in copy.args.defaults]
    copy.args.kw_defaults = [None if d is None else _literal_node(d, module) for d in copy.args.kw_defaults]
    return copy


def _literal_node(node: ast.expr, module: Module) -> ast.expr:
    if literal(node) is not None or is_none(node):
        return node
    try:
        return ast.parse(repr(static_value(node, module)), mode="eval").body
    except (Unreadable, SyntaxError):
        return node


def _port_entry(port: Port) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": port.name}
    if port.type is not None:
        entry["type"] = port.type
    if port.description:
        entry["description"] = port.description
    if port.default is not None:
        entry["default"] = port.default
    if port.optional:
        entry["optional"] = True
    return entry


def argument_list(interface: Interface) -> list[Any]:
    """KFP's order: inputs, file outputs, then ``----output-paths`` and the returned outputs."""
    args: list[Any] = []
    for port in interface.inputs:
        pair = [f"--{port.parameter}", {"inputPath" if port.style != "value" else "inputValue": port.name}]
        args += [{"if": {"cond": {"isPresent": port.name}, "then": pair}}] if port.optional else pair
    for port in interface.outputs:
        if port.style != "return":
            args += [f"--{port.parameter}", {"outputPath": port.name}]
    returned = [port.name for port in interface.outputs if port.style == "return"]
    if returned:
        args += ["----output-paths"] + [{"outputPath": name} for name in returned]
    return args


# --- what the command asks for ----------------------------------------------------------------


def conversions_for(module: Module, function: str | None, base_image: str | None = None,
                    packages: list[str] | tuple[str, ...] | None = None) -> list[Conversion]:
    """The file's own calls (for ``function`` only, when named); ``FILE.py:FUNCTION`` with no call
    converts it with KFP's defaults.  ``base_image``/``packages`` override what the calls say."""
    calls = find_conversions(module)
    if function is not None:
        find_function(module, function)
        calls = [c for c in calls if c.function == function] or [plain_conversion(module, function)]
    elif not calls:
        functions = ", ".join(module.functions) or "none"
        raise TargetError("target", problems=[Problem(module.file, 0, 0, "", "no create_component_from_func() or "
                                                      "func_to_container_op() call to follow; expected FILE.py:FUNCTION "
                                                      f"(functions: {functions})")])
    return [_override(c, base_image, packages) for c in calls]


def _override(conversion: Conversion, base_image: str | None, packages: list[str] | tuple[str, ...] | None) -> Conversion:
    from dataclasses import replace

    if base_image is not None:
        conversion = replace(conversion, base_image=base_image)
    if packages is not None:
        conversion = replace(conversion, packages=tuple(packages))
    return conversion


def function_to_spec(file: Path, func_name: str, base_image: str | None = None,
                     packages: list[str] | tuple[str, ...] | None = None) -> dict[str, Any]:
    """The component spec (plain data) for ``func_name`` in ``file``, with its call's options."""
    module = read_module(file)
    return convert(module, conversions_for(module, func_name, base_image, packages)[0]).data


def output_path(source: Path, conversion: Conversion) -> Path:
    """The file a call names (relative to the source's folder), else FUNCTION.component.yaml there."""
    named = Path(conversion.output_file) if conversion.output_file else Path(f"{conversion.function}.component.yaml")
    return named if named.is_absolute() else source.parent / named


def render(converted: Converted, out: Path, module: Module | None = None) -> str:
    """YAML text of the spec, checked as any component.yaml and to read back as the same spec.

    A spec KFP would write but creg refuses (two outputs that Argo names alike, 'Output' and
    'output') is reported at the function, since that is what the author must change."""
    text = dump(converted.data, literal_blocks=True)  # the program stays readable as a | block
    try:
        loaded = load_component_from_text(text, str(out))
    except CregError as exc:  # SpecError, or a YamlError for a type struct YAML cannot hold
        if module is None or not exc.problems:
            raise
        func = module.functions[converted.conversion.function]
        raise FromFuncError(problems=[module.problem(func, f"{func.name}(): the component would be invalid: "
                                                           f"{p.path}: {p.message}") for p in exc.problems]) from None
    if loaded.to_dict() != converted.data:
        raise FromFuncError(f"{out}: internal error: the written YAML does not read back as the spec")
    return text


def convert_file(file: Path, function: str | None = None, out: Path | None = None, base_image: str | None = None,
                 packages: list[str] | tuple[str, ...] | None = None) -> list[tuple[Path, Converted]]:
    """Convert every conversion asked for and write them all (or none when one fails)."""
    module = read_module(file)
    conversions = conversions_for(module, function, base_image, packages)
    if out is not None and len(conversions) != 1:
        listed = ", ".join(f"{c.function} (line {c.line})" for c in conversions)
        raise ArgumentError("out", f"{mention('out')}: {file} makes {len(conversions)} components ({listed}); "
                                   "give no output file, or name one FILE.py:FUNCTION")
    done = _convert_all(module, conversions)
    targets = [(out if out is not None else output_path(file, c.conversion), c) for c in done]
    _check_distinct(module, targets)
    texts = [render(converted, path, module) for path, converted in targets]  # all checked before any write
    for (path, converted), text in zip(targets, texts):
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, text.encode("utf-8"))
    return targets


def _convert_all(module: Module, conversions: list[Conversion]) -> list[Converted]:
    done: list[Converted] = []
    problems: list[Problem] = []
    for conversion in conversions:
        try:
            done.append(convert(module, conversion))
        except FromFuncError as exc:
            problems += exc.problems
    if problems:
        raise FromFuncError(problems=sorted(set(problems)))
    return done


def _check_distinct(module: Module, targets: list[tuple[Path, Converted]]) -> None:
    seen: dict[Path, Converted] = {}
    for path, converted in targets:
        first = seen.setdefault(path.resolve(), converted)
        if first is not converted:
            call = converted.conversion
            raise FromFuncError(problems=[Problem(module.file, call.line, call.column, "",
                                                  f"{call.function}: writes {path}, as line {first.conversion.line} does")])


def write_component(file: Path, func_name: str, out: Path, base_image: str | None = None,
                    packages: list[str] | tuple[str, ...] | None = None) -> str:
    """Convert one function, validate the result as any component.yaml, and write it atomically."""
    ((_, converted),) = convert_file(file, func_name, out, base_image, packages)
    return out.read_text(encoding="utf-8")


__all__ = ["Converted", "FromFuncError", "KFP_DEFAULT_IMAGE", "SourceError", "TargetError", "convert",
           "convert_file", "conversions_for", "function_to_spec", "output_path", "parse_target", "render",
           "write_component", "FunctionNode"]
