"""A yes/no JSON Schema checker for a closed set of keywords, without importing jsonschema.

Importing jsonschema costs ~33 ms and its per-keyword dispatch dominates validating a large
compiled workflow, yet a valid document (the usual case) only needs a yes.  So the success
path asks this checker, and callers run jsonschema only to explain a "no" with positioned
messages (``registry.schemareport``).  That split is only sound if both agree, hence:

* the schema is audited when the checker is built: any keyword outside ``ASSERTIONS`` and
  the annotations raises ``UnsupportedSchema``, so a rule can never be skipped silently;
* every assertion follows jsonschema's Draft 2020-12 behaviour in Python terms (``bool`` is
  not a number, ``3.0`` is an integer, ``1 == 1.0`` but ``True != 1`` for const/enum,
  ``pattern`` is ``re.search``, ``format`` is an annotation);
* ``tests/test_base_schemacheck.py`` compares both on real documents and seeded mutations.

``$ref`` targets are compiled on first use: a workflow touches a small part of Argo's schema.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterable, Mapping, Sequence

Check = Callable[[Any], bool]

ASSERTIONS = frozenset({
    "type", "$ref", "properties", "items", "required", "additionalProperties", "const", "enum",
    "oneOf", "anyOf", "not", "pattern", "propertyNames", "minimum", "minLength", "minItems",
    "minProperties", "maxProperties"})
ANNOTATIONS = frozenset({
    "description", "title", "default", "examples", "format", "$comment", "$id", "$schema",
    "deprecated", "readOnly", "writeOnly", "definitions", "$defs"})
_SCHEMA_VALUED = ("items", "additionalProperties", "not", "propertyNames")
_SCHEMA_LISTS = ("oneOf", "anyOf")
_SCHEMA_MAPS = ("properties", "definitions", "$defs")


class UnsupportedSchema(ValueError):
    """The schema uses something this checker does not implement."""


def _always(instance: Any) -> bool:
    return True


def _never(instance: Any) -> bool:
    return False


# -- audit --------------------------------------------------------------------------------------

def audit(schema: Any, root: Mapping[str, Any]) -> None:
    """Raise ``UnsupportedSchema`` naming the first keyword or ``$ref`` the checker cannot honour.

    Covers ``schema`` and everything its ``$ref``s reach, which is every rule a check can
    apply (a workflow reaches half of Argo's definitions).  A tight loop without path
    bookkeeping, since it runs in every process that validates; ``_explain`` retraces the
    path only on a failure.
    """
    pending = [schema]
    refs: set[str] = set()
    while pending:
        node = pending.pop()
        if type(node) is not dict:
            if node is True or node is False:
                continue
            raise _explain(schema, root)
        if not _KNOWN.issuperset(node) and _has_unknown_keyword(node):
            raise _explain(schema, root)
        types = node.get("type")
        if types is not None and (types not in _TYPES if type(types) is str else not _known_types(types)):
            raise _explain(schema, root)
        ref = node.get("$ref")
        if ref is not None and ref not in refs:
            refs.add(ref)
            pending.append(resolve(root, ref))
        if not _NESTING.isdisjoint(node):
            _push_children(node, pending)


def _push_children(node: dict[str, Any], pending: list[Any]) -> None:
    for key, value in node.items():
        if key in _SCHEMA_VALUED:
            pending.append(value)  # a list here (tuple-form items) fails when popped
        elif key in _SCHEMA_MAPS:
            pending.extend(value.values() if type(value) is dict else [value])
        elif key in _SCHEMA_LISTS:
            pending.extend(value if type(value) is list else [value])


def _has_unknown_keyword(node: Mapping[str, Any]) -> bool:
    """True when some key of ``node`` is neither known nor an ``x-`` extension."""
    return any(key not in _KNOWN and not key.startswith("x-") for key in node)


def _known_types(types: Any) -> bool:
    return all(name in _TYPES for name in ([types] if isinstance(types, str) else types))


def _explain(schema: Any, root: Mapping[str, Any]) -> UnsupportedSchema:
    """The slow, path-tracking walk behind ``audit``'s error message."""
    pending: list[tuple[Any, tuple[Any, ...]]] = [(schema, ())]
    refs: set[str] = set()
    while pending:
        node, where = pending.pop()
        if isinstance(node, bool):
            continue
        if not isinstance(node, dict):
            return UnsupportedSchema(f"{_pointer(where)}: a schema must be an object or a boolean")
        unknown = sorted(k for k in node if k not in _KNOWN and not k.startswith("x-"))
        if unknown:
            return UnsupportedSchema(f"{_pointer(where)}: keyword {unknown[0]!r} is not supported")
        if "items" in node and not isinstance(node["items"], (dict, bool)):
            return UnsupportedSchema(f"{_pointer(where)}/items: only a single schema is supported")
        if "type" in node and not _known_types(node["type"]):
            return UnsupportedSchema(f"{_pointer(where)}/type: unknown type in {node['type']!r}")
        if node.get("$ref") not in refs | {None}:
            refs.add(node["$ref"])
            pending.append((resolve(root, node["$ref"]), tuple(node["$ref"][1:].split("/")[1:])))
        for key in _NESTING & node.keys():
            pending.extend(_children(key, node[key], where))
    return UnsupportedSchema("the schema is not supported")  # pragma: no cover - audit found a reason


_KNOWN = ASSERTIONS | ANNOTATIONS
_NESTING = frozenset(_SCHEMA_VALUED + _SCHEMA_LISTS + _SCHEMA_MAPS)


def _pointer(where: tuple[Any, ...]) -> str:
    return "#" + "".join(f"/{part}" for part in where)


def _children(key: str, value: Any, where: tuple[Any, ...]) -> Iterable[tuple[Any, tuple[Any, ...]]]:
    if key in _SCHEMA_VALUED and not isinstance(value, list):
        yield value, where + (key,)
    elif key in _SCHEMA_LISTS:
        yield from ((v, where + (key, i)) for i, v in enumerate(value))
    elif key in _SCHEMA_MAPS:
        yield from ((v, where + (key, k)) for k, v in value.items())


def resolve(root: Mapping[str, Any], ref: str) -> Any:
    """The schema a local ``#/a/b`` reference points to."""
    if not isinstance(ref, str) or not ref.startswith("#"):
        raise UnsupportedSchema(f"$ref {ref!r}: only references inside the document are supported")
    node: Any = root
    for part in filter(None, ref[1:].split("/")):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, Mapping) or part not in node:
            raise UnsupportedSchema(f"$ref {ref!r} does not resolve")
        node = node[part]
    return node


# -- values as jsonschema compares and types them -------------------------------------------------

def equal(one: Any, two: Any) -> bool:
    """jsonschema's equality for const/enum: booleans differ from numbers, containers recurse."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, list) and isinstance(two, list):
        return len(one) == len(two) and all(equal(a, b) for a, b in zip(one, two))
    if isinstance(one, dict) and isinstance(two, dict):
        return one.keys() == two.keys() and all(equal(v, two[k]) for k, v in one.items())
    if isinstance(one, bool) or isinstance(two, bool):
        return isinstance(one, bool) and isinstance(two, bool) and one == two
    return bool(one == two)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_integer(value: Any) -> bool:
    if isinstance(value, float):
        return value.is_integer()
    return isinstance(value, int) and not isinstance(value, bool)


_TYPES: dict[str, Check] = {
    "string": lambda v: isinstance(v, str), "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list), "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None, "number": _is_number, "integer": _is_integer}


def type_check(names: str | Sequence[str]) -> Check:
    if isinstance(names, str):
        return _TYPES[names]
    checks = tuple(_TYPES[n] for n in names)
    return lambda value: any(check(value) for check in checks)


# -- compiling ----------------------------------------------------------------------------------

def all_of(checks: list[Check]) -> Check:
    if not checks:
        return _always
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda value: first(value) and second(value)
    frozen = tuple(checks)
    return lambda value: all(check(value) for check in frozen)


class SchemaChecker:
    """``is_valid(instance)`` for ``entry`` (default: the whole ``root``), resolving refs in ``root``.

    Construction audits ``entry`` and all it references (all of ``root`` without an entry).
    """

    def __init__(self, root: Mapping[str, Any], entry: Any = None, close_objects: bool = False) -> None:
        audit(root if entry is None else entry, root)
        self.root = root
        # validate.py --strict: a schema listing properties admits no others unless it says so
        self.close_objects = close_objects
        self._refs: dict[str, Check] = {}
        self.is_valid: Check = self.compile(root if entry is None else entry)

    def compile(self, schema: Any) -> Check:
        if schema is True or schema is False:
            return _always if schema else _never
        checks = [self.ref(schema["$ref"])] if "$ref" in schema else []
        # ``type: object`` is folded into the object keywords' check: one call per object, not two
        typed_object = schema.get("type") == "object" and not _OBJECT_KEYS.isdisjoint(schema.keys())
        if "type" in schema and not typed_object:
            checks.append(type_check(schema["type"]))
        checks += _value_checks(schema)
        checks += self.object_checks(schema, typed_object) + self.array_checks(schema) + self.combinators(schema)
        return all_of(checks)

    def ref(self, ref: str) -> Check:
        """A check that compiles its target on first call (refs may be recursive)."""
        found = self._refs.get(ref)
        if found is None:
            target = resolve(self.root, ref)
            compiled: list[Check] = []

            def found(value: Any) -> bool:
                if not compiled:
                    compiled.append(self.compile(target))
                return compiled[0](value)

            self._refs[ref] = found
        return found

    def object_checks(self, schema: Mapping[str, Any], typed: bool) -> list[Check]:
        if _OBJECT_KEYS.isdisjoint(schema.keys()):
            return []
        props = {k: self.compile(v) for k, v in (schema.get("properties") or {}).items()}
        extra = schema.get("additionalProperties")
        if extra is None and self.close_objects and "properties" in schema:
            extra = False
        names = schema.get("propertyNames")
        return [_object(props, None if extra is None else self.compile(extra),
                        tuple(schema.get("required", ())), int(schema.get("minProperties", 0)),
                        schema.get("maxProperties"), None if names is None else self.compile(names), typed)]

    def array_checks(self, schema: Mapping[str, Any]) -> list[Check]:
        if "items" not in schema and "minItems" not in schema:
            return []
        item = self.compile(schema["items"]) if "items" in schema else None
        return [_array(item, int(schema.get("minItems", 0)))]

    def combinators(self, schema: Mapping[str, Any]) -> list[Check]:
        out: list[Check] = []
        if "anyOf" in schema:
            options = tuple(self.compile(s) for s in schema["anyOf"])
            out.append(lambda value: any(check(value) for check in options))
        if "oneOf" in schema:
            out.append(_one_of(tuple(self.compile(s) for s in schema["oneOf"])))
        if "not" in schema:
            negated = self.compile(schema["not"])
            out.append(lambda value: not negated(value))
        return out


_OBJECT_KEYS = frozenset({"properties", "additionalProperties", "required", "minProperties",
                          "maxProperties", "propertyNames"})


def _value_checks(schema: Mapping[str, Any]) -> list[Check]:
    out: list[Check] = []
    if "const" in schema:
        const = schema["const"]
        out.append(lambda value: equal(value, const))
    if "enum" in schema:
        options = tuple(schema["enum"])
        out.append(lambda value: any(equal(option, value) for option in options))
    if "pattern" in schema:
        search = re.compile(schema["pattern"]).search
        out.append(lambda value: not isinstance(value, str) or search(value) is not None)
    if "minLength" in schema:
        shortest = schema["minLength"]
        out.append(lambda value: not isinstance(value, str) or len(value) >= shortest)
    if "minimum" in schema:
        least = schema["minimum"]
        out.append(lambda value: not _is_number(value) or not value < least)  # NaN passes, as in jsonschema
    return out


def _object(props: dict[Any, Check], extra: Check | None, required: tuple[str, ...],
            fewest: int, most: int | None, names: Check | None, typed: bool) -> Check:
    """properties/additionalProperties/required/min-/maxProperties/propertyNames in one pass.

    Other values pass, unless ``typed`` (the schema also says ``type: object``).
    """
    def check(value: Any) -> bool:
        if not isinstance(value, dict):
            return not typed
        if len(value) < fewest or (most is not None and len(value) > most):
            return False
        for key in required:
            if key not in value:
                return False
        for key, item in value.items():
            sub = props.get(key, extra)
            if sub is not None and not sub(item):
                return False
            if names is not None and not names(key):
                return False
        return True
    return check


def _array(item: Check | None, fewest: int) -> Check:
    def check(value: Any) -> bool:
        if not isinstance(value, list):
            return True
        if len(value) < fewest:
            return False
        return item is None or all(map(item, value))
    return check


def _one_of(options: tuple[Check, ...]) -> Check:
    def check(value: Any) -> bool:
        matched = 0
        for option in options:
            if option(value):
                matched += 1
                if matched > 1:
                    return False
        return matched == 1
    return check
