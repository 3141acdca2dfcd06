"""The component format's own explanations of JSON Schema failures: its one-key mappings.

Everything generic (unknown keys, types, required keys, patterns) is the shared reporter's
(``registry.schemareport``).  What is a component's own: placeholders, graph arguments and
predicates are one-key mappings (``{inputValue: NAME}``, ``{graphInput: ...}``, ``{==: ...}``)
in ``oneOf`` lists of up to a dozen alternatives, where jsonschema only says "valid under
none".  Here the key says which alternative the author meant, and the value is checked
against that one alone; an unknown key is an unknown *placeholder* (or argument, or
predicate) with a did-you-mean; anything else gets a short list of what was expected.

This module is only imported when the fast checker (``schemacheck``) has found a problem, so
its cost is paid by invalid files alone.
"""

from __future__ import annotations

from typing import Any, Iterator

from registry.errors import one_of
from registry.resources import validator
# Finding is also what the semantic checks (registry.component.checks) report.
from registry.schemareport import Finding, Rules, SchemaError, expected_types, findings, kind_of, unknown_name
from registry.yamlio import PathKey

SCHEMA = "component.schema.json"

PLACEHOLDERS = frozenset({"inputValue", "inputPath", "outputPath", "inputUri", "outputUri", "inputMetadata",
                          "inputOutputPortName", "outputMetadata", "executorInput", "concat", "if", "isPresent"})


def schema_findings(data: Any) -> list[Finding]:
    """Every schema problem of ``data`` as findings (empty when it conforms)."""
    return findings(validator(SCHEMA).iter_errors(data), RULES)


def _choice(error: SchemaError) -> list[Finding] | None:
    """Every oneOf/anyOf of the schema is a component's own: explained here, not generically."""
    if error.validator not in ("oneOf", "anyOf"):
        return None
    return list(_explain_choice(error.validator_value, error.instance, list(error.absolute_path)))


RULES = Rules(special=_choice)


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
            yield path + [key], unknown_name(key, list(keyed), noun=word), True


def _descend(schema: dict[str, Any], value: Any, path: list[PathKey]) -> Iterator[Finding]:
    """``value`` checked against the one alternative it was meant to be."""
    yield from findings(validator(SCHEMA).evolve(schema=schema).iter_errors(value), RULES, base=path)


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
