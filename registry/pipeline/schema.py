"""The pipeline schema's verdict, as positioned problems with readable messages.

A fast yes/no checker answers for valid files; jsonschema runs only to explain a failure.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from registry.errors import Problem, did_you_mean, one_of
from registry.yamlio import Document


def schema_problems(doc: Document, located: Callable[[], Document] | None = None) -> list[Problem]:
    """Problems the JSON Schema finds, each located in the file, unknown keys with did-you-mean.

    A fast yes/no checker answers for valid files; jsonschema runs only to explain a failure.
    ``located`` gives the document with positions when ``doc`` was loaded without them.
    """
    from registry.resources import checker

    if checker("pipeline.schema.json").is_valid(doc.data):
        return []
    if located is not None:
        doc = located()
    errors = pipeline_validator().iter_errors(doc.data)
    return [p for error in errors for p in _schema_problem(doc, error)]


@functools.cache
def pipeline_validator() -> Any:
    """The pipeline schema with its (non-recursive) ``$ref``s inlined, compiled once.

    jsonschema resolves a ``$ref`` on every visit; a pipeline with thousands of tasks would
    spend most of its validation time there.
    """
    import jsonschema

    from registry.resources import load_schema

    schema = load_schema("pipeline.schema.json")
    inlined = _inline_refs(schema, schema["$defs"], {})
    return jsonschema.Draft202012Validator(inlined)


def _inline_refs(node: Any, defs: dict[str, Any], done: dict[str, Any]) -> Any:
    """``node`` with every ``#/$defs/NAME`` replaced by that (shared, already inlined) schema."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            name = ref[len("#/$defs/"):]
            if name not in done:
                done[name] = _inline_refs(defs[name], defs, done)
            rest = {k: v for k, v in node.items() if k != "$ref"}
            return {**done[name], **_inline_refs(rest, defs, done)} if rest else done[name]
        return {k: _inline_refs(v, defs, done) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline_refs(v, defs, done) for v in node]
    return node


def _schema_problem(doc: Document, error: Any) -> list[Problem]:
    path = list(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = list(error.schema.get("properties", {}))
        return [doc.positions.problem(doc.data, path + [key],
                                      f"unknown key '{key}'{did_you_mean(str(key), known)}; "
                                      f"expected one of {one_of(known)}", key=True)
                for key in error.instance if key not in known]
    if error.validator in ("oneOf", "anyOf") and error.context:
        return [doc.positions.problem(doc.data, path, _alternatives(error))]
    if error.validator == "pattern" and "propertyNames" in error.absolute_schema_path:
        # jsonschema reports a bad key at its parent mapping; point at the key itself
        what = _PATTERNS.get(error.validator_value, f"must match {error.validator_value!r}")
        return [doc.positions.problem(doc.data, path + [error.instance], f"{error.instance!r} {what}",
                                      key=True)]
    if error.validator == "pattern":
        what = _PATTERNS.get(error.validator_value, f"must match {error.validator_value!r}")
        return [doc.positions.problem(doc.data, path, f"{error.instance!r} {what}")]
    if error.validator == "propertyNames":
        return [doc.positions.problem(doc.data, path, f"invalid name: {error.message}")]
    return [doc.positions.problem(doc.data, path, _plain(error))]


_PATTERNS = {
    "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$":
        "is not a valid name: use lowercase letters, digits and '-', starting and ending with "
        "a letter or digit, at most 63 characters",
    "^[0-9]+(s|m|h|d)$": "is not a duration: use seconds (an integer) or e.g. 30s, 5m, 2h, 1d",
    "^/": "is not an absolute path: mount paths start with '/' (e.g. /data)",
    "^[A-Za-z_][A-Za-z0-9_.-]*$": "is not a valid environment variable name: use letters, digits, '_', "
                                  "'.' and '-', not starting with a digit",
    "^[A-Za-z_][A-Za-z0-9_-]*$": "is not a valid param name: use letters, digits, '_' and '-', "
                                 "not starting with a digit",
    "^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|K|M|G|T|P)?$": "is not a storage size: use e.g. 5Gi, 500Mi or 1T",
}


def _alternatives(error: Any) -> str:
    """A readable message for a oneOf/anyOf failure: the closest alternative's complaint.

    The alternative that knows most of the value's keys is the one the author most likely
    meant (``{secrte: s, key: k}`` is a secret reference with a typo, not a broken param
    reference); among equals, the one whose type matched and which got furthest into the value.
    """
    if isinstance(error.instance, dict) and not any(_known_keys(error, e) for e in error.context):
        return _unknown_keys(error.instance, _branch_keys(error.validator_value))
    best = min(error.context, key=lambda e: (-_known_keys(error, e), e.validator == "type",
                                              e.validator == "required", -len(e.relative_path)))
    where = "".join(f".{p}" if isinstance(p, str) else f"[{p}]" for p in best.relative_path)
    detail = _detail(best)
    return f"{detail} (at {where[1:] if where.startswith('.') else where})" if where else detail


def _known_keys(error: Any, alternative_error: Any) -> int:
    """How many of the failing mapping's keys the alternative that produced this error declares."""
    branches = error.validator_value
    index = alternative_error.relative_schema_path[0] if alternative_error.relative_schema_path else None
    if not isinstance(error.instance, dict) or not isinstance(index, int) or index >= len(branches):
        return 0
    branch = branches[index]
    return len(set(error.instance) & set(branch.get("properties", {}))) if isinstance(branch, dict) else 0


def _branch_keys(branches: Any) -> list[str]:
    """Every key any alternative (or alternative of an alternative) declares, in order."""
    keys: dict[str, None] = {}
    for branch in branches if isinstance(branches, list) else []:
        if not isinstance(branch, dict):
            continue
        keys.update(dict.fromkeys(branch.get("properties", {})))
        for nested in ("oneOf", "anyOf"):
            keys.update(dict.fromkeys(_branch_keys(branch.get(nested))))
    return list(keys)


def _unknown_keys(instance: dict[Any, Any], known: list[str]) -> str:
    unknown = [str(k) for k in instance if k not in known]
    return "; ".join(f"unknown key '{k}'{did_you_mean(k, known)}" for k in unknown) + \
        f"; expected one of {one_of(known)}"


def _detail(error: Any) -> str:
    """jsonschema's message, rewritten where it would not tell the author what to type."""
    if error.validator == "pattern":
        return f"{error.instance!r} " + _PATTERNS.get(error.validator_value, f"must match {error.validator_value!r}")
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        return _unknown_keys(error.instance, list(error.schema.get("properties", {})))
    if error.validator == "enum":
        choices = [str(c) for c in error.validator_value]
        return f"{error.instance!r}{did_you_mean(str(error.instance), choices)} is not one of {one_of(choices)}"
    return _plain(error)


_JSON_TYPES = {"object": "a mapping", "array": "a list", "string": "a string", "integer": "an integer",
               "number": "a number", "boolean": "true or false", "null": "nothing"}


def _plain(error: Any) -> str:
    """jsonschema's wording for type/required/emptiness, in the terms a YAML author uses."""
    if error.validator == "type":
        wanted = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        return f"expected {' or '.join(_JSON_TYPES.get(t, t) for t in wanted)}, got {_yaml_kind(error.instance)}"
    if error.validator == "required":
        missing = [k for k in error.validator_value if k not in (error.instance or {})]
        return f"missing required key {one_of(missing)}"
    if error.validator in ("minProperties", "minItems") and not error.instance:
        return "must not be empty"
    return " ".join(error.message.split())


def _yaml_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return f"a boolean ({value})"
    if isinstance(value, str):
        return f"the string {value!r}"
    return f"the number {value}" if value is not None else "nothing (null)"
