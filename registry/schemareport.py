"""Why a document fails its JSON Schema, as positioned problems a person can act on.

The one translator from jsonschema's errors to ``Problem``s, for every format creg reads
(pipelines, component specs, registry indexes) and for the Argo documents it writes.
jsonschema words its errors for schema authors ("Additional properties are not allowed",
"is not valid under any of the given schemas" followed by every alternative); here each
failure becomes one message at the place to fix:

* an unknown key is reported at the key, with a did-you-mean or the keys expected;
* a bad key (``propertyNames``) is reported at the key, not at the mapping holding it;
* a ``oneOf``/``anyOf`` failure is explained by the alternative the author evidently meant,
  at the place inside it that is wrong;
* a ``pattern`` failure says in words what is expected, from a table each format extends;
* a ``type`` failure says "expected X, found Y" in the words of YAML.

What a format adds of its own (pattern wording, its own explanation of some errors) comes
in through ``Rules``.  jsonschema itself is never imported here: callers ask the fast
checker (``schemacheck``) first and build a validator (``resources.validator``) only to
explain a "no", so a valid document never pays for this module's work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Iterable, Mapping, Protocol, Sequence

from registry.errors import Problem, did_you_mean, one_of
from registry.yamlio import Document, PathKey

# (path, message, at_key): ``at_key`` locates the mapping key at the end of ``path``, not its value.
Finding = tuple[list[PathKey], str, bool]


class SchemaError(Protocol):
    """What the reporter reads of a ``jsonschema.ValidationError`` (jsonschema has no type hints)."""

    validator: str  # the failing keyword, e.g. "type"
    validator_value: Any  # that keyword's value in the schema
    instance: Any  # the failing value
    schema: Any  # the (sub)schema holding the keyword
    message: str
    absolute_path: Sequence[PathKey]
    absolute_schema_path: Sequence[str | int]
    relative_path: Sequence[PathKey]
    relative_schema_path: Sequence[str | int]
    context: Sequence[SchemaError] | None  # a oneOf/anyOf's errors, one or more per alternative


Special = Callable[[SchemaError], "Iterable[Finding] | None"]


@dataclass(frozen=True)
class Rules:
    """What one format adds to the generic rules.

    ``patterns`` words a failed ``pattern`` by the pattern itself ("is not a duration: use
    ..."), on top of ``PATTERNS``.  ``special`` explains an error the format's own way, or
    returns None to leave it to the generic rules; it sees every error, including the ones
    inside a ``oneOf`` that the reporter explains.
    """

    patterns: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    special: Special | None = None


GENERIC = Rules()

# Patterns more than one format uses; a format's own table is looked up first.
PATTERNS: Mapping[str, str] = MappingProxyType({
    "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$":
        "is not a valid name: use lowercase letters, digits and '-', starting and ending with "
        "a letter or digit, at most 63 characters",
    "^sha256:[0-9a-f]{64}$": "is not a digest: expected 'sha256:' and 64 lowercase hex digits",
})

MAX_MESSAGE = 300  # jsonschema's own messages quote whole values; a compiled workflow's can be huge


# -- the API --------------------------------------------------------------------------------------

# A document can be invalid in a million places (a hostile index of 6 MB is): explaining each
# costs time and memory on every command that reads it, and nobody reads past the first few.
MAX_REPORTED = 200


def report(doc: Document, errors: Iterable[SchemaError], rules: Rules = GENERIC) -> list[Problem]:
    """The errors of ``doc`` (at most ``MAX_REPORTED``) as problems at their line and column,
    sorted, each reported once; a last problem says when the rest were not looked at."""
    positions, data = doc.positions, doc.data
    found = findings(errors, rules, limit=MAX_REPORTED)
    problems = sorted({positions.problem(data, path, message, key=at_key) for path, message, at_key in found})
    if len(found) >= MAX_REPORTED:
        problems.append(Problem(positions.file, 0, 0, "$", f"stopped after {MAX_REPORTED} problems; "
                                                           "fix these first"))
    return problems


def findings(errors: Iterable[SchemaError], rules: Rules = GENERIC, base: Sequence[PathKey] = (),
             limit: int | None = None) -> list[Finding]:
    """Every error explained (the first ``limit``), in the errors' order, each finding once.

    ``base`` is put before every path: the place of a value that was validated on its own.
    Errors come lazily, so stopping at ``limit`` also stops the validator's work.
    """
    found: dict[tuple[tuple[PathKey, ...], str, bool], Finding] = {}
    for error in errors:
        for path, message, at_key in explain(error, rules):
            full = [*base, *path]
            found.setdefault((tuple(full), message, at_key), (full, message, at_key))
        if limit is not None and len(found) >= limit:
            break
    return list(found.values())


def explain(error: SchemaError, rules: Rules = GENERIC) -> list[Finding]:
    """One error as findings: the format's own explanation if it has one, else its keyword's rule."""
    own = rules.special(error) if rules.special is not None else None
    if own is not None:
        return list(own)
    rule = _BY_KEYWORD.get(error.validator, _as_jsonschema_says)
    # a rule that finds nothing to say must not hide the failure: jsonschema's words then
    return rule(error, rules) or _as_jsonschema_says(error, rules)


# -- wording shared with the formats' own explanations -------------------------------------------

_KIND = {str: "a string", int: "an integer", float: "a number", bool: "a boolean",
         type(None): "null", list: "a list", dict: "a mapping"}
_TYPE_NAME = {"string": "a string", "integer": "an integer", "number": "a number",
              "boolean": "a boolean", "null": "null", "array": "a list", "object": "a mapping"}


def kind_of(value: Any) -> str:
    """'an integer (5)', 'a string ('x')', 'a boolean (true)', 'a list', ... for "found ...".

    Containers and long strings are named, not quoted; booleans are spelt as in YAML.
    """
    kind = _KIND.get(type(value), type(value).__name__)
    if value is None or isinstance(value, (list, dict)) or (isinstance(value, str) and len(value) > 40):
        return kind
    return f"{kind} ({str(value).lower() if isinstance(value, bool) else repr(value)})"


def expected_types(types: str | Sequence[str]) -> str:
    """JSON Schema type names in YAML words: ['string', 'null'] -> 'a string or null'."""
    names = [_TYPE_NAME.get(t, t) for t in ([types] if isinstance(types, str) else types)]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def unknown_name(name: Any, known: Sequence[str], noun: str = "key") -> str:
    """The words for a name nobody declared: a did-you-mean, or the names expected when none is close."""
    hint = did_you_mean(str(name), known) or \
        (f" (expected one of {one_of(known)})" if known else " (none is allowed here)")
    return f"unknown {noun} '{name}'{hint}"


def branch_keys(branches: Any) -> list[str]:
    """Every key some alternative (or an alternative of one) declares, in schema order."""
    keys: dict[str, None] = {}
    for branch in branches if isinstance(branches, list) else []:
        if isinstance(branch, dict):
            keys.update(dict.fromkeys(branch.get("properties", {})))
            for nested in ("oneOf", "anyOf"):
                keys.update(dict.fromkeys(branch_keys(branch.get(nested))))
    return list(keys)


# -- one rule per keyword ------------------------------------------------------------------------

Rule = Callable[[SchemaError, Rules], list[Finding]]


def _where(error: SchemaError) -> tuple[list[PathKey], bool]:
    """Where to report ``error``: at the key itself when the key is what failed (``propertyNames``);
    jsonschema gives the mapping holding it."""
    path = list(error.absolute_path)
    steps = list(error.absolute_schema_path)
    about_a_key = any(step == "propertyNames" and (i == 0 or steps[i - 1] != "properties")
                      for i, step in enumerate(steps))
    return (path + [error.instance], True) if about_a_key else (path, False)


def _said(error: SchemaError, message: str) -> list[Finding]:
    path, at_key = _where(error)
    return [(path, message, at_key)]


def _as_jsonschema_says(error: SchemaError, rules: Rules) -> list[Finding]:
    message = " ".join(error.message.split())
    return _said(error, message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE - 3] + "...")


def _unknown_keys(error: SchemaError, rules: Rules) -> list[Finding]:
    """``additionalProperties: false``: each unknown key, at the key."""
    if error.validator_value is not False or not isinstance(error.instance, dict):
        return _as_jsonschema_says(error, rules)
    declared = error.schema.get("properties", {})
    known = [str(k) for k in declared]
    path = list(error.absolute_path)
    return [(path + [key], unknown_name(key, known), True) for key in error.instance if key not in declared]


def _missing_keys(error: SchemaError, rules: Rules) -> list[Finding]:
    # jsonschema yields one error per missing key without saying which: name them all, once each
    present = error.instance if isinstance(error.instance, dict) else {}
    missing = [name for name in error.validator_value if name not in present]
    return [(list(error.absolute_path), f"missing required key '{name}'", False) for name in missing]


def _wrong_type(error: SchemaError, rules: Rules) -> list[Finding]:
    return _said(error, f"expected {expected_types(error.validator_value)}, found {kind_of(error.instance)}")


def _not_a_choice(error: SchemaError, rules: Rules) -> list[Finding]:
    choices = [str(c) for c in error.validator_value]
    hint = did_you_mean(str(error.instance), choices)
    return _said(error, f"{_shown(error.instance)}{hint} is not one of {one_of(choices)}")


def _not_the_constant(error: SchemaError, rules: Rules) -> list[Finding]:
    return _said(error, f"expected {error.validator_value!r}, found {kind_of(error.instance)}")


def _no_match(error: SchemaError, rules: Rules) -> list[Finding]:
    if error.instance == "":  # the same words as minLength's, so one problem is reported, not two
        return _said(error, "must not be empty")
    pattern = error.validator_value
    wording = rules.patterns.get(pattern) or PATTERNS.get(pattern) or f"must match {pattern!r}"
    return _said(error, f"{_shown(error.instance)} {wording}")


def _key_count(error: SchemaError, rules: Rules) -> list[Finding]:
    """min/maxProperties: a mapping that takes exactly one of its keys says so."""
    names = [str(k) for k in error.schema.get("properties", {})]
    if error.schema.get("maxProperties") == 1 and names:
        return _said(error, f"expected exactly one of the keys {one_of(names)}")
    return _too_short(error, rules)


def _too_short(error: SchemaError, rules: Rules) -> list[Finding]:
    """minItems/minLength/minProperties: an empty value is "empty", whatever its kind."""
    return _said(error, "must not be empty") if not error.instance else _as_jsonschema_says(error, rules)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else kind_of(value)


# -- oneOf / anyOf: the alternative the author meant -----------------------------------------------

def _alternatives(error: SchemaError, rules: Rules) -> list[Finding]:
    """A failed ``oneOf``/``anyOf``, explained by the alternative the author evidently meant.

    When no alternative takes the value's type, the types are the answer; when none declares
    any of a mapping's keys, the keys are unknown; otherwise the closest alternative's own
    complaint is, at its own place (see ``_distance``).
    """
    if not error.context:  # a oneOf that more than one alternative accepts
        return _said(error, "matches more than one alternative; expected exactly one")
    wanted = _types_wanted(error)
    if wanted:
        return _said(error, f"expected {expected_types(wanted)}, found {kind_of(error.instance)}")
    unknown = _keys_no_alternative_knows(error)
    if unknown:
        return unknown
    return explain(min(error.context, key=lambda alternative: _distance(error, alternative)), rules)


def _distance(error: SchemaError, alternative: SchemaError) -> tuple[int, bool, bool, int]:
    """Sort key of an alternative's error, closest first.

    The alternative that declares most of the value's keys is the one the author most
    likely meant (``{secrte: s, key: k}`` is a secret reference with a typo, not a broken
    param reference); among equals, one whose type matched and which got furthest into the value.
    """
    return (-_known_keys(error, alternative), alternative.validator == "type",
            alternative.validator == "required", -len(alternative.relative_path))


def _branch_of(alternative: SchemaError) -> int | None:
    index = alternative.relative_schema_path[0] if alternative.relative_schema_path else None
    return index if isinstance(index, int) else None


def _known_keys(error: SchemaError, alternative: SchemaError) -> int:
    """How many of the failing mapping's keys the alternative that produced this error declares."""
    branches, index = error.validator_value, _branch_of(alternative)
    if not isinstance(error.instance, dict) or index is None or index >= len(branches):
        return 0
    return len(set(error.instance) & set(branch_keys([branches[index]])))


def _keys_no_alternative_knows(error: SchemaError) -> list[Finding]:
    """A mapping none of whose keys any alternative declares: each key is unknown, at the key."""
    value = error.instance
    known = branch_keys(error.validator_value)
    if not isinstance(value, dict) or not value or any(key in known for key in value):
        return []
    path = list(error.absolute_path)
    return [(path + [key], unknown_name(key, known), True) for key in value]


def _types_wanted(error: SchemaError) -> list[str]:
    """The types of all alternatives when each one fails on the value's type alone, else []."""
    by_branch: dict[int | None, list[SchemaError]] = {}
    for alternative in error.context or ():
        by_branch.setdefault(_branch_of(alternative), []).append(alternative)
    wanted: list[str] = []
    for failures in by_branch.values():
        here = [f for f in failures if not f.relative_path]
        if any(f.validator == "type" for f in here):
            types = next(f.validator_value for f in here if f.validator == "type")
            wanted += [types] if isinstance(types, str) else types
        elif len(here) == 1 and here[0].validator in ("oneOf", "anyOf") and _types_wanted(here[0]):
            wanted += _types_wanted(here[0])
        else:
            return []
    return list(dict.fromkeys(wanted))


_BY_KEYWORD: dict[str, Rule] = {
    "additionalProperties": _unknown_keys, "required": _missing_keys, "type": _wrong_type,
    "enum": _not_a_choice, "const": _not_the_constant, "pattern": _no_match,
    "minProperties": _key_count, "maxProperties": _key_count, "minItems": _too_short,
    "minLength": _too_short, "oneOf": _alternatives, "anyOf": _alternatives}
