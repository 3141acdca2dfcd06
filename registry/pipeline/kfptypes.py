"""KFP v1's rules for types and constants: which types agree, which constants fit an input,
and the text a constant becomes when Argo passes it."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping

from registry.component.model import TypeSpec, thaw

# A KFP type as a spec or a pipeline writes it: 'Integer', {GCSPath: {data_type: CSV}}, or
# None for untyped.
KfpType = TypeSpec  # as the component model holds it

_ALIASES = {"int": "integer", "float": "float", "bool": "boolean", "str": "string",
            "text": "string", "dict": "jsonobject", "list": "jsonarray", "json": "json"}


def type_name(kfp_type: KfpType) -> str | None:
    """A comparable name for a KFP type (``{GCSPath: {...}}`` -> ``gcspath``); None if untyped."""
    if kfp_type is None:
        return None
    if type(kfp_type) is str:  # the usual case, ahead of the (slow) abstract Mapping check
        return _plain_type_name(kfp_type)
    if isinstance(kfp_type, Mapping):
        if len(kfp_type) != 1:
            return json.dumps(thaw(kfp_type), sort_keys=True)
        kfp_type = next(iter(kfp_type))
    return _plain_type_name(str(kfp_type))


@functools.lru_cache(maxsize=1024)
def _plain_type_name(text: str) -> str:
    name = text.strip().lower()
    return _ALIASES.get(name, name)


def compatible(given: KfpType, expected: KfpType) -> bool:
    """KFP v1's rule: untyped on either side passes; otherwise the types must agree."""
    a, b = type_name(given), type_name(expected)
    return a is None or b is None or a == b


def constant_fits(value: object, expected: KfpType) -> str | None:
    """Why a constant cannot feed an input of ``expected`` type, or None when it can."""
    name = type_name(expected)
    if name == "integer" and not _is_int(value):
        return f"expected an Integer, got {value!r}"
    if name == "float" and not _is_float(value):
        return f"expected a Float, got {value!r}"
    if name == "boolean" and not isinstance(value, bool) and str(value).lower() not in ("true", "false"):
        return f"expected a Boolean, got {value!r}"
    return None


def _is_int(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    try:
        int(str(value))
        return True
    except ValueError:
        return False


def _is_float(value: object) -> bool:
    if isinstance(value, bool):
        return False
    try:
        float(str(value))
        return True
    except ValueError:
        return False


def serialize(value: object) -> str:
    """A constant as the string Argo passes (KFP v1's serialisation)."""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (dict, list, tuple, Mapping)):
        return json.dumps(thaw(value), sort_keys=False, separators=(", ", ": "))
    return str(value)
