"""A hand-written yes/no check equivalent to ``schemas/component.schema.json``.

jsonschema needs milliseconds for a component with a dozen placeholders; almost every
file people load is valid, so ``conforms`` answers "does it conform?" in microseconds and
jsonschema (through ``specschema``) runs only to explain a file that does not.  The two
must agree on every document: ``tests/test_spec.py`` checks ``conforms(d) ==
validator.is_valid(d)`` over the whole corpus, the project's test data and thousands of
mutations of them.  Change both together.

Type tests follow jsonschema's Python semantics: bool is not a number, 3.0 is an integer.
"""

from __future__ import annotations

from typing import Any, Callable

Check = Callable[[Any], bool]


def _is_str(v: Any) -> bool:
    return isinstance(v, str)


def _is_opt_str(v: Any) -> bool:
    return v is None or isinstance(v, str)


def _is_number(v: Any) -> bool:
    return (isinstance(v, (int, float))) and not isinstance(v, bool)


def _is_integer(v: Any) -> bool:
    if isinstance(v, bool):
        return False
    return isinstance(v, int) or (isinstance(v, float) and v.is_integer())


def _is_opt_dict(v: Any) -> bool:
    return v is None or isinstance(v, dict)


def _is_type_spec(v: Any) -> bool:
    return v is None or isinstance(v, (str, dict, list))


def _is_string_map(v: Any) -> bool:
    if v is None:
        return True
    return isinstance(v, dict) and all(isinstance(x, str) for x in v.values())


def _fields(v: Any, checks: dict[str, Check], required: tuple[str, ...] = ()) -> bool:
    """An object whose keys are all known, whose required keys exist and whose values pass."""
    if not isinstance(v, dict):
        return False
    for key, value in v.items():
        check = checks.get(key) if isinstance(key, str) else None
        if check is None or not check(value):
            return False
    return all(key in v for key in required)


def _list_of(v: Any, item: Check, nullable: bool = True) -> bool:
    if v is None:
        return nullable
    return isinstance(v, list) and all(item(x) for x in v)


def _map_of(v: Any, item: Check, nullable: bool) -> bool:
    if v is None:
        return nullable
    return isinstance(v, dict) and all(item(x) for x in v.values())


# -- interface -------------------------------------------------------------------------------

_METADATA = {"annotations": _is_string_map, "labels": _is_string_map}
_INPUT: dict[str, Check] = {
    "name": _is_str, "type": _is_type_spec, "description": _is_opt_str,
    "default": lambda v: v is None or isinstance(v, (str, int, float)),  # bool is an int
    "optional": lambda v: v is None or isinstance(v, bool), "annotations": _is_opt_dict,
}
_OUTPUT: dict[str, Check] = {
    "name": _is_str, "type": _is_type_spec, "description": _is_opt_str, "annotations": _is_opt_dict,
}


def _input(v: Any) -> bool:
    return _fields(v, _INPUT, ("name",))


def _output(v: Any) -> bool:
    return _fields(v, _OUTPUT, ("name",))


# -- container placeholders --------------------------------------------------------------------

_NAME_PLACEHOLDERS = frozenset({"inputValue", "inputPath", "outputPath", "inputUri", "outputUri",
                                "inputMetadata", "inputOutputPortName"})
_NULL_PLACEHOLDERS = frozenset({"outputMetadata", "executorInput"})


def _argument(v: Any) -> bool:
    """One command-line item: a string or a placeholder mapping with exactly one key."""
    if isinstance(v, str):
        return True
    if not isinstance(v, dict) or len(v) != 1:
        return False
    key, value = next(iter(v.items()))
    if key in _NAME_PLACEHOLDERS:
        return isinstance(value, str)
    if key in _NULL_PLACEHOLDERS:
        return value is None
    if key == "concat":
        return _list_of(value, _argument, nullable=False)
    if key == "if":
        return _fields(value, _IF, ("cond", "then"))
    return False


def _condition(v: Any) -> bool:
    if isinstance(v, (bool, str)):
        return True
    if not isinstance(v, dict) or len(v) != 1:
        return False
    key, value = next(iter(v.items()))
    return key in ("isPresent", "inputValue") and isinstance(value, str)


def _branch(v: Any) -> bool:
    return _argument(v) or (isinstance(v, list) and all(_argument(x) for x in v))


_IF: dict[str, Check] = {"cond": _condition, "then": _branch, "else": lambda v: v is None or _branch(v)}

_CONTAINER: dict[str, Check] = {
    "image": _is_str,
    "command": lambda v: _list_of(v, _argument),
    "args": lambda v: _list_of(v, _argument),
    "env": _is_string_map,
    "fileOutputs": _is_string_map,
}


# -- graph -------------------------------------------------------------------------------------

_GRAPH_INPUT = {"inputName": _is_str, "type": _is_type_spec}
_TASK_OUTPUT = {"outputName": _is_str, "taskId": _is_str, "type": _is_type_spec}


def _graph_argument(v: Any) -> bool:
    if isinstance(v, (str, int, float)):  # bool included, as the schema's "boolean"
        return True
    if not isinstance(v, dict) or len(v) != 1:
        return False
    key, value = next(iter(v.items()))
    if key == "graphInput":
        return _fields(value, _GRAPH_INPUT, ("inputName",))
    if key == "taskOutput":
        return _fields(value, _TASK_OUTPUT, ("outputName", "taskId"))
    return False


_COMPARISONS = frozenset({"==", "!=", ">", ">=", "<", "<="})
_OPERANDS = {"op1": _graph_argument, "op2": _graph_argument}


def _predicate(v: Any) -> bool:
    if _graph_argument(v):
        return True
    if not isinstance(v, dict) or len(v) != 1:
        return False
    key, value = next(iter(v.items()))
    if key in _COMPARISONS:
        return _fields(value, _OPERANDS, ("op1", "op2"))
    if key == "not":
        return _predicate(value)
    if key in ("and", "or"):
        return _fields(value, _BOOLEAN_OPERANDS, ("op1", "op2"))
    return False


_BOOLEAN_OPERANDS = {"op1": _predicate, "op2": _predicate}

_EXECUTION_OPTIONS: dict[str, Check] = {
    "retryStrategy": lambda v: v is None or _fields(v, {"maxRetries": _is_integer}, ("maxRetries",)),
    "cachingStrategy": lambda v: v is None or _fields(v, {"maxCacheStaleness": _is_opt_str}),
}

_COMPONENT_REF: dict[str, Check] = {
    "name": _is_opt_str, "digest": _is_opt_str, "tag": _is_opt_str, "url": _is_opt_str,
    "spec": lambda v: v is None or conforms(v),
}

_TASK: dict[str, Check] = {
    "componentRef": lambda v: _fields(v, _COMPONENT_REF),
    "arguments": lambda v: _map_of(v, _graph_argument, nullable=True),
    "isEnabled": lambda v: v is None or _predicate(v),
    "executionOptions": lambda v: v is None or _fields(v, _EXECUTION_OPTIONS),
    "annotations": _is_opt_dict,
}

_GRAPH: dict[str, Check] = {
    "tasks": lambda v: _map_of(v, lambda t: _fields(t, _TASK, ("componentRef",)), nullable=False),
    "outputValues": lambda v: _map_of(v, _graph_argument, nullable=True),
}


def _implementation(v: Any) -> bool:
    if v is None:
        return True
    if not isinstance(v, dict) or len(v) != 1:
        return False
    key, value = next(iter(v.items()))
    if key == "container":
        return _fields(value, _CONTAINER, ("image",))
    if key == "graph":
        return _fields(value, _GRAPH, ("tasks",))
    return False


_COMPONENT: dict[str, Check] = {
    "name": _is_opt_str, "description": _is_opt_str, "version": _is_opt_str,
    "metadata": lambda v: v is None or _fields(v, _METADATA),
    "inputs": lambda v: _list_of(v, _input),
    "outputs": lambda v: _list_of(v, _output),
    "implementation": _implementation,
}


def conforms(data: Any) -> bool:
    """True exactly when ``data`` is valid against component.schema.json."""
    return _fields(data, _COMPONENT)
