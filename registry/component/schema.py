"""Turn JSON Schema failures of a component into findings people can act on.

jsonschema reports a bad placeholder as "is not valid under any of the given schemas" plus
a dump of every alternative.  Here each failure becomes one message at the right place:
unknown keys are reported at the key with a did-you-mean, a ``oneOf`` is resolved to the
one alternative the value was evidently meant to be (by its single key) and explained from
there, or to a short list of what was expected.

This module is only imported when the fast checker (``schemacheck``) has found a problem, so
its cost is paid by invalid files alone.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator

from registry.errors import did_you_mean, one_of
from registry.resources import validator
from registry.yamlio import PathKey

SCHEMA = "component.schema.json"

# (path, message, at_key): at_key reports the position of the mapping key, not its value.
Finding = tuple[list[PathKey], str, bool]

PLACEHOLDERS = frozenset({"inputValue", "inputPath", "outputPath", "inputUri", "outputUri", "inputMetadata",
                          "inputOutputPortName", "outputMetadata", "executorInput", "concat", "if", "isPresent"})

_KIND = {str: "a string", int: "an integer", float: "a number", bool: "a boolean",
         type(None): "null", list: "a list", dict: "a mapping"}
_TYPE_NAME = {"string": "a string", "integer": "an integer", "number": "a number",
              "boolean": "a boolean", "null": "null", "array": "a list", "object": "a mapping"}


def kind_of(value: Any) -> str:
    """'an integer (5)', 'a list', ... for 'found ...' messages."""
    kind = _KIND.get(type(value), type(value).__name__)
    if isinstance(value, (bool, int, float)) or value is None:
        return kind if value is None else f"{kind} ({value!r})"
    if isinstance(value, str):
        return f"{kind} ({value!r})" if len(value) <= 40 else kind
    return kind


def expected_types(types: str | list[str]) -> str:
    names = [_TYPE_NAME.get(t, t) for t in ([types] if isinstance(types, str) else types)]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def schema_findings(data: Any) -> list[Finding]:
    """Every schema problem of ``data`` as findings (empty when it conforms)."""
    found: list[Finding] = []
    seen: set[tuple[tuple[str, ...], str]] = set()
    for finding in _explain_all(validator(SCHEMA).iter_errors(data), []):
        key = (tuple(map(str, finding[0])), finding[1])
        if key not in seen:
            seen.add(key)
            found.append(finding)
    return found


def _explain_all(errors: Iterable[Any], base: list[PathKey]) -> Iterator[Finding]:
    for error in errors:
        yield from _explain(error, base)


def _explain(error: Any, base: list[PathKey]) -> Iterator[Finding]:
    path = base + list(error.absolute_path)
    kind = error.validator
    if kind == "additionalProperties":
        yield from _unknown_keys(error, path)
    elif kind == "required":
        for name in error.validator_value:
            if name not in error.instance:
                yield path, f"missing required key '{name}'", False
    elif kind == "type":
        yield path, f"expected {expected_types(error.validator_value)}, found {kind_of(error.instance)}", False
    elif kind in ("minProperties", "maxProperties"):
        names = one_of(list(error.schema.get("properties", {})))
        yield path, f"expected exactly one of the keys {names}", False
    elif kind in ("oneOf", "anyOf"):
        yield from _explain_choice(error.schema[kind], error.instance, path)
    else:
        yield path, error.message, False


def _unknown_keys(error: Any, path: list[PathKey]) -> Iterator[Finding]:
    allowed = list(error.schema.get("properties", {}))
    for key in error.instance:
        if key not in allowed:
            hint = did_you_mean(str(key), allowed) or f" (expected one of {one_of(allowed)})"
            yield path + [key], f"unknown key '{key}'{hint}", True


# -- oneOf: pick the alternative the author meant -------------------------------------------

def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    root = validator(SCHEMA).schema
    return root if ref == "#" else root["$defs"][ref.rsplit("/", 1)[1]]


def _alternatives(branches: list[dict[str, Any]]) -> tuple[list[str], dict[str, dict[str, Any]], dict[str, Any] | None]:
    """Flatten nested choices into (scalar types, {single key: schema}, list schema)."""
    scalars: list[str] = []
    keyed: dict[str, dict[str, Any]] = {}
    array: dict[str, Any] | None = None
    for branch in map(_resolve, branches):
        if "oneOf" in branch:
            more = _alternatives(branch["oneOf"])
            scalars += more[0]
            keyed.update(more[1])
            array = array or more[2]
        elif branch.get("type") == "object" and "required" in branch and len(branch["required"]) == 1:
            keyed[branch["required"][0]] = branch
        elif branch.get("type") == "object" or branch is validator(SCHEMA).schema:
            keyed.update({key: branch for key in branch.get("properties", {})})
        elif branch.get("type") == "array":
            array = branch
        else:
            types = branch.get("type", [])
            scalars += [types] if isinstance(types, str) else types
    return scalars, keyed, array


def _explain_choice(branches: list[dict[str, Any]], value: Any, path: list[PathKey]) -> Iterator[Finding]:
    scalars, keyed, array = _alternatives(branches)
    if isinstance(value, dict) and keyed:
        yield from _explain_keyed(keyed, value, path)
    elif isinstance(value, list) and array is not None:
        yield from _descend(array, value, path)
    else:
        yield path, f"expected {_describe(scalars, keyed, array)}, found {kind_of(value)}", False


def _explain_keyed(keyed: dict[str, dict[str, Any]], value: dict[Any, Any], path: list[PathKey]) -> Iterator[Finding]:
    word = _noun(keyed)
    if "name" in keyed and "implementation" in keyed:  # a whole component (componentRef.spec)
        yield from _descend(keyed["name"], value, path)
    elif len(value) != 1:
        found = one_of([str(k) for k in value]) if value else "none"
        yield path, f"a {word} mapping has exactly one key such as {_example(keyed)}; found keys {found}", False
    else:
        key = next(iter(value))
        if key in keyed:
            yield from _descend(keyed[key], value, path)
        elif key == "isPresent" and "inputValue" in keyed:
            yield path + [key], "'isPresent' is only allowed as an if condition: {if: {cond: {isPresent: NAME}, then: ...}}", True
        elif key in PLACEHOLDERS:
            yield path + [key], f"placeholder '{key}' is not allowed here (expected one of {one_of(list(keyed))})", True
        else:
            hint = did_you_mean(str(key), keyed) or f" (expected one of {one_of(list(keyed))})"
            yield path + [key], f"unknown {word} '{key}'{hint}", True


def _descend(schema: dict[str, Any], value: Any, path: list[PathKey]) -> Iterator[Finding]:
    sub = validator(SCHEMA).evolve(schema=schema)
    yield from _explain_all(sub.iter_errors(value), path)


def _noun(keyed: dict[str, Any]) -> str:
    if "implementation" in keyed:
        return "component"
    if "inputValue" in keyed:
        return "placeholder"
    return "predicate" if "==" in keyed else "argument"


def _example(keyed: dict[str, Any]) -> str:
    if "inputValue" in keyed:
        return "{inputValue: NAME}"
    if "implementation" in keyed:
        return "{name: ..., implementation: ...}"
    return "{graphInput: {inputName: NAME}}" if "graphInput" in keyed else f"{{{next(iter(keyed))}: ...}}"


def _describe(scalars: list[str], keyed: dict[str, Any], array: dict[str, Any] | None) -> str:
    parts = [expected_types(sorted(set(scalars), key=scalars.index))] if scalars else []
    if array is not None:
        parts.append("a list")
    if keyed:
        noun = _noun(keyed)
        parts.append(f"{'an' if noun[0] in 'aeiou' else 'a'} {noun} mapping such as {_example(keyed)}")
    return " or ".join(parts) if parts else "something else"
