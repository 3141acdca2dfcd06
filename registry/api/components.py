"""Components in the public API: loading them from anywhere, making them from Python functions.

``Component`` is a ``ComponentSpec`` (so everything that takes a spec takes it) that also
displays itself in a notebook and writes itself out.  ``component_from_func`` accepts a
function defined in a notebook cell: its source is read with ``inspect`` and converted
statically by ``registry.component.fromfunc``, as ``creg component from-func`` converts a file;
the function is never called here.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from registry.component import model
from registry.component.model import ComponentSpec
from registry.errors import ArgumentError, CregError, CregWarning, Problem, mention

if TYPE_CHECKING:
    from registry.component.view import FileResult

__all__ = ["Component", "component_from_func", "load_component", "load_component_from_file",
           "load_component_from_text", "load_component_from_url", "validate_components"]


class Component(ComponentSpec):
    """A validated component spec with a notebook display (``_repr_html_``) and ``save``."""

    @classmethod
    def of(cls, spec: ComponentSpec) -> "Component":
        """The same spec as a ``Component`` (a spec that already is one is returned as is)."""
        if isinstance(spec, Component):
            return spec
        return cls(**{f.name: getattr(spec, f.name) for f in dataclasses.fields(ComponentSpec)})

    def to_yaml(self) -> str:
        """The component.yaml text, byte for byte as it was read or generated."""
        return self.text

    def save(self, path: str | Path) -> Path:
        """Write the component.yaml text to ``path`` atomically; return the path."""
        from registry.sources.store import atomic_write  # lazy: only saving writes files

        atomic_write(path, self.text.encode("utf-8"))
        return Path(path)

    @property
    def image(self) -> str | None:
        """The container image, or None for a graph component."""
        return None if self.container is None else str(self.container.get("image"))

    def __repr__(self) -> str:
        inputs = ", ".join(f"{i.name}: {type_text(i.type)}" for i in self.inputs)
        outputs = ", ".join(f"{o.name}: {type_text(o.type)}" for o in self.outputs)
        where = self.image if self.image is not None else "graph"
        return f"<Component {self.name or '(unnamed)'!r} ({inputs}) -> ({outputs}) {where} {self.digest}>"

    def _repr_html_(self) -> str:
        from registry.api.html import escape, section, table  # lazy: start-up (notebooks only)

        header = table(["", ""], [("image", self.image or "(graph component)"), ("digest", self.digest),
                                  ("source", self.source or "")])
        description = f"<p>{escape(self.description.strip())}</p>" if self.description else ""
        inputs = table(["input", "type", "default", "description"],
                       [(i.name, type_text(i.type), _default_text(i), i.description or "") for i in self.inputs])
        outputs = table(["output", "type", "description"],
                        [(o.name, type_text(o.type), o.description or "") for o in self.outputs])
        return section(f"component {self.name or '(unnamed)'}", description + header + inputs + outputs)


def type_text(value: model.TypeSpec) -> str:
    """A type as ``creg show`` writes it: its name, or compact JSON for a structured type."""
    if value is None:
        return "(any)"
    if isinstance(value, str):
        return value
    import json  # lazy: only structured types need it

    return json.dumps(model.thaw(value), separators=(",", ":"))


def _default_text(item: model.InputSpec) -> str:
    if item.default is not None:
        return repr(item.default)
    return "(optional)" if item.optional else "(required)"


def load_component_from_file(path: str | Path) -> Component:
    """Read and validate a component.yaml; raise ``SpecError`` with every ``file:line:col`` problem.

    >>> load_component_from_file("components/add/1.0.0/component.yaml").name
    'Add'
    """
    return Component.of(model.load_component_from_file(path))


def load_component_from_text(text: str | bytes, source: str = "") -> Component:
    """Validate component.yaml text; ``source`` names it in problems (``source:line:col``)."""
    return Component.of(model.load_component_from_text(text, source))


def load_component_from_url(url: str) -> Component:
    """Download (http, https or file URL, or a path) and validate a component.yaml.

    The download is bounded in size and time, as every download creg makes.
    """
    from registry.sources.fetch import download_bytes  # lazy: requests costs start-up time

    from registry.yamlio import MAX_BYTES  # the most a component file may hold

    return load_component_from_text(download_bytes(url, limit=MAX_BYTES), url)


def validate_components(paths: Iterable[str | Path]) -> list[FileResult]:
    """Validate component files, and folders searched for component.yaml and *.component.yaml.

    One result per file (``valid``, ``problems`` sorted by position), as ``creg validate`` reports.
    """
    from registry.component.view import validate_paths  # lazy: start-up

    return validate_paths(paths)


def load_component(ref: str, registries: Iterable[str] | None = None, offline: bool | None = None,
                   lockfile: str | Path | None = None, frozen: bool = False) -> Component:
    """``load_component("add@^1")``: the verified component from the registries.

    ``registries`` defaults to ``$CREG_REGISTRIES`` plus the config file; the built-in registry
    is always searched last.  With ``lockfile``, loads must match it (``frozen``: every ref
    must be in it).
    """
    from registry.index import resolve  # lazy: the cache and HTTP are only needed here

    return Component.of(resolve.load_component(ref, registries, offline, lockfile, frozen))


def component_from_func(func_or_source: Callable[..., Any] | str | Path, function: str | None = None, *,
                        base_image: str | None = None, packages: Iterable[str] | None = None) -> Component:
    """A Python function as a component, as ``creg component from-func`` (and KFP's
    ``create_component_from_func``) makes it.

    ``func_or_source`` is a function (for instance one defined in a notebook cell: its source
    is read with ``inspect``; it is never called), ``"FILE.py:FUNCTION"``, or a file path with
    ``function`` naming the function in it.  Annotations give the types, a NamedTuple return
    annotation several outputs.  ``base_image`` must have python3 (default: the one the
    function's own ``create_component_from_func`` call names, else KFP's ``python:3.7``);
    ``packages`` are pip requirements installed when the container starts.  Problems are
    ``file:line:col`` of the function's source (``FromFuncError``); what would only fail when
    the container runs (a name from outside the function) is a ``CregWarning``.
    """
    wanted = None if packages is None else [part for item in packages for part in str(item).split()]
    if callable(func_or_source) and not isinstance(func_or_source, (str, Path)):
        return _component_of_function(func_or_source, base_image, wanted)
    file, name = _file_target(func_or_source, function)
    return _converted(file, name, base_image, wanted, f"{file}:{name}", lambda problem: problem)


def _file_target(target: str | Path, function: str | None) -> tuple[Path, str]:
    from registry.component import fromfunc  # lazy: start-up

    if function is None and isinstance(target, str):
        target, function = fromfunc.parse_target(target)
    if function is None:
        raise ArgumentError("function", f"{mention('function')}: name the function to convert in {target} "
                                        "(or give FILE.py:FUNCTION)")
    if not function.isidentifier():
        raise ArgumentError.bad_value("function", f"{function!r} is not a Python function name")
    return Path(target), function


def _converted(file: Path, name: str, base_image: str | None, packages: list[str] | None, source: str,
               place: Callable[[Problem], Problem]) -> Component:
    """Convert ``name`` in ``file``; ``place`` moves each problem to where the author wrote it."""
    import warnings  # lazy: start-up

    from registry.component import fromfunc  # lazy: start-up (ast, the program template)

    try:
        module = fromfunc.read_module(file)
        converted = fromfunc.convert(module, fromfunc.conversions_for(module, name, base_image, packages)[0])
        text = fromfunc.render(converted, Path(source), module)
    except CregError as exc:
        if not exc.problems:
            raise
        raise fromfunc.FromFuncError(problems=[place(p) for p in exc.problems], arguments=exc.arguments) from None
    for warning in converted.warnings:
        warnings.warn(CregWarning(place(warning).format()), stacklevel=3)
    return load_component_from_text(text, source)


def _component_of_function(func: Callable[..., Any], base_image: str | None, packages: list[str] | None) -> Component:
    """Convert a live function through its source text; problems point into its real source."""
    name = getattr(func, "__name__", "")
    try:
        lines, first = inspect.getsourcelines(func)
        origin = inspect.getsourcefile(func) or inspect.getfile(func)
    except (OSError, TypeError) as exc:
        raise ArgumentError.bad_value("func_or_source", f"cannot read the source of {name or func!r}: {exc}") from None
    if not name.isidentifier() or name == "<lambda>":
        raise ArgumentError.bad_value("func_or_source", "expected a function defined with 'def', not a lambda")
    import tempfile  # lazy: start-up (~5 ms; only functions need a scratch file)
    import textwrap

    raw = "".join(lines)
    source = textwrap.dedent(raw)
    indent = len(raw.splitlines()[0]) - len(source.splitlines()[0]) if source.strip() else 0
    program = source + _named_tuple_source(source, name, getattr(func, "__globals__", {}))
    with tempfile.TemporaryDirectory(prefix="creg-func-") as folder:
        file = Path(folder) / f"{name}.py"
        file.write_text(program, encoding="utf-8")

        def place(problem: Problem) -> Problem:
            if problem.file != str(file):
                return problem
            return dataclasses.replace(problem, file=origin, line=problem.line + first - 1 if problem.line else 0,
                                       column=problem.column + indent if problem.line else 0)

        return _converted(file, name, base_image, packages, f"{name} (from a function)", place)


def _named_tuple_source(source: str, name: str, namespace: dict[str, Any]) -> str:
    """A ``class X(NamedTuple)`` the return annotation names but the function's source lacks.

    In a notebook the class usually lives in another cell; its fields are read from the live
    class (names and type names only), so the converter sees what it would see in a file.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ""  # the converter reports the syntax error with its position
    func = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name), None)
    if func is None or not isinstance(func.returns, ast.Name):
        return ""
    cls = namespace.get(func.returns.id)
    fields = getattr(cls, "__annotations__", None)
    if not isinstance(cls, type) or not hasattr(cls, "_fields") or not isinstance(fields, dict):
        return ""
    body = "".join(f"    {field}: {_annotation_text(kind)}\n" for field, kind in fields.items() if field.isidentifier())
    empty = "    pass\n"
    return f"\n\nclass {func.returns.id}(NamedTuple):\n{body or empty}"


def _annotation_text(kind: object) -> str:
    forward = getattr(kind, "__forward_arg__", None)  # typing.ForwardRef('float'), from a string annotation
    if isinstance(forward, str):
        return forward
    if isinstance(kind, str):
        return kind
    if isinstance(kind, type) and kind.__module__ == "builtins":
        return kind.__name__
    return repr(kind).replace("typing.", "")
