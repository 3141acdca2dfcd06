"""Annotations and defaults as KFP 1.8.22 names and writes them, read from ``ast`` nodes.

KFP's ``annotation_to_type_struct`` works on live objects: a builtin type becomes its canonical
name (``int`` -> ``Integer``), another class its ``__name__``, a string itself, anything else its
``str()`` (``typing.List[int]``).  Here the same names come from the source text, knowing which
names the file imported from ``typing``.  ``serialize_default`` is KFP's ``serialize_value``.
"""

from __future__ import annotations

import ast
import json
from typing import Any

from registry.component.funcprogram import TypeStruct, short_type_name
from registry.component.funcsource import Module, leaf_name

BUILTIN_TYPES = {"str": "String", "int": "Integer", "float": "Float", "bool": "Boolean",
                 "list": "JsonArray", "dict": "JsonObject"}
TYPING_MODULES = {"typing", "typing_extensions"}
TYPING_ALIASES = {"Text": "String", "Any": "Any"}  # typing.Text is str; typing.Any a class (3.11+)


# --- types, as KFP's annotation_to_type_struct names them ------------------------------------


def typing_names(module: Module) -> tuple[set[str], dict[str, str]]:
    """(aliases of the typing module, local name -> typing member) from the file's imports."""
    modules, members = set(TYPING_MODULES), {}
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            modules.update(a.asname or a.name for a in node.names if a.name in TYPING_MODULES)
        elif isinstance(node, ast.ImportFrom) and node.module in TYPING_MODULES:
            members.update({a.asname or a.name: a.name for a in node.names})
    return modules, members


class TypeReader:
    """Annotation nodes -> KFP type names, knowing which names come from ``typing``."""

    def __init__(self, module: Module) -> None:
        self.module = module
        self.typing_modules, self.typing_members = typing_names(module)

    def typing_member(self, node: ast.expr) -> str | None:
        if isinstance(node, ast.Name):
            return self.typing_members.get(node.id)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in self.typing_modules:
            return node.attr
        return None

    def strip_optional(self, node: ast.expr | None) -> ast.expr | None:
        """``Optional[X]``, ``Union[X, None]``, ``X | None`` -> X (KFP's maybe_strip_optional...)."""
        if isinstance(node, ast.Subscript):
            member = self.typing_member(node.value)
            if member == "Optional":
                return node.slice
            if member == "Union" and isinstance(node.slice, ast.Tuple) and len(node.slice.elts) == 2 \
                    and is_none(node.slice.elts[1]):
                return node.slice.elts[0]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr) and is_none(node.right):
            return node.left
        return node

    def type_of(self, node: ast.expr | None) -> TypeStruct:
        if node is None or is_none(node):
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value  # KFP keeps a string annotation as the type name: 'CSV', 'URI'
        if isinstance(node, ast.Dict):  # a type struct such as {'GCSPath': {'data_type': 'CSV'}}
            value = literal(node)
            return value if isinstance(value, dict) and value and all(isinstance(k, str) for k in value) \
                else ast.unparse(node)
        member = self.typing_member(node)
        if member is not None:
            return TYPING_ALIASES.get(member, f"typing.{member}")
        if isinstance(node, ast.Name) and node.id in BUILTIN_TYPES:
            return BUILTIN_TYPES[node.id]
        if isinstance(node, (ast.Name, ast.Attribute)):
            return leaf_name(node)  # a class: KFP uses its __name__
        return self.render(node)

    def render(self, node: ast.expr) -> str:
        """What ``str()`` of a ``typing`` construct prints: ``typing.Dict[str, typing.Any]``."""
        if is_none(node):
            return "NoneType"
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return f"ForwardRef({node.value!r})"
        member = self.typing_member(node)
        if member is not None:
            return f"typing.{member}"
        if isinstance(node, ast.Subscript):
            return self._render_generic(node)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return f"{self.render(node.left)} | {self.render(node.right)}"
        return ast.unparse(node)

    def _render_generic(self, node: ast.Subscript) -> str:
        args = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        member = self.typing_member(node.value)
        if member == "Literal":  # its strings are values, not forward references
            return f"typing.Literal[{', '.join(ast.unparse(a) for a in args)}]"
        if member == "Union" and len(args) == 2 and any(is_none(a) for a in args):  # as typing prints it
            return f"typing.Optional[{self.render(args[1] if is_none(args[0]) else args[0])}]"
        return f"{self.render(node.value)}[{', '.join(self.render(a) for a in args)}]"


def is_none(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def literal(node: ast.expr) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


# --- defaults, as KFP's serialize_value writes them ------------------------------------------

_CANONICAL_OF_VALUE = {str: "String", int: "Integer", float: "Float", bool: "Boolean", list: "JsonArray",
                       dict: "JsonObject"}
_JSON_NAMES = {"JsonArray", "List", "list", "JsonObject", "Dictionary", "Dict", "dict", "Json"}


def serialize_default(value: object, kind: TypeStruct) -> str:
    """The text KFP 1.8.22 writes for a default; ValueError when KFP could not serialize it."""
    if isinstance(value, str):
        return value  # taken as already serialized
    outer = next(iter(kind)) if isinstance(kind, dict) and kind else kind
    name = short_type_name(outer if isinstance(outer, str) else None) if outer is not None else \
        _CANONICAL_OF_VALUE.get(type(value), type(value).__name__)
    if name in ("String", "str"):
        raise ValueError(f"{value!r} is not a string")
    if name in ("Integer", "int"):
        return _checked_text(value, (int,), "int")
    if name in ("Float", "float"):
        return _checked_text(value, (int, float), "float")
    if name in ("Boolean", "Bool", "bool"):
        return _checked_text(value, (bool,), "bool")
    if name in _JSON_NAMES:
        return json.dumps(value, sort_keys=True)
    raise ValueError(f"there is no serializer for type {name!r}")


def _checked_text(value: object, kinds: tuple[type, ...], label: str) -> str:
    if not isinstance(value, kinds):
        raise ValueError(f"{value!r} is not a {label}")
    return str(value)
