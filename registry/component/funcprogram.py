"""The program a function component's container runs: the function, then a small launcher.

The launcher behaves as KFP 1.8.22's generated one does, so a creg component and KFP's give the
same outputs for the same arguments: values are read by type (``int``, ``float``, ``strtobool``
for booleans, ``json.loads`` for JSON types, ``str`` for any other), file inputs arrive as paths
or open files, file outputs get their folders made first, and returned values are written as
KFP writes them (JSON with sorted keys, a string passed through).  Unlike KFP's argparse it
takes values that start with ``-`` and gives every parameter a flag of its own name, so an input
and a file output that KFP names alike (``model_path``/``model_file``) cannot collide.  It must
run on the oldest Python a KFP image has (3.7): no newer syntax below.
"""

from __future__ import annotations

import ast
import re
import shlex
from dataclasses import dataclass
from typing import Any

TypeStruct = str | dict[str, Any] | None


@dataclass(frozen=True)
class Port:
    """An input or output: its component name and the parameter (if any) that carries it."""

    name: str
    type: TypeStruct
    style: str = "value"  # value | path | text | binary (parameters) or return (outputs returned)
    parameter: str | None = None
    optional: bool = False
    default: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Interface:
    inputs: tuple[Port, ...]
    outputs: tuple[Port, ...]
    single: bool  # the function returns one value rather than a tuple of them


def short_type_name(kind: TypeStruct) -> str | None:
    """KFP's get_short_type_name: 'typing.List[int]' -> 'List'; picks the (de)serializer."""
    if not isinstance(kind, str):
        return None
    match = re.match(r"(typing\.)?(?P<type>\w+)(?:\[.+\])?", kind)
    return match.group("type") if match else kind

_READERS = {"String": "str", "str": "str", "Integer": "int", "int": "int", "Float": "float", "float": "float",
            "Boolean": "_creg_bool", "Bool": "_creg_bool", "bool": "_creg_bool", "Base64Pickle": "_creg_unpickle"}
_WRITERS = {"String": "_creg_str", "str": "_creg_str", "Integer": "_creg_int", "int": "_creg_int",
            "Float": "_creg_float", "float": "_creg_float", "Boolean": "_creg_boolean", "Bool": "_creg_boolean",
            "bool": "_creg_boolean", "Base64Pickle": "_creg_pickle"}
_JSON_NAMES = ("JsonArray", "List", "list", "JsonObject", "Dictionary", "Dict", "dict", "Json")


def reader(kind: TypeStruct) -> str:
    short = short_type_name(kind)
    return "_creg_json.loads" if short in _JSON_NAMES else _READERS.get(short or "", "str")


def writer(kind: TypeStruct) -> str:
    short = short_type_name(kind)
    return "_creg_json_text" if short in _JSON_NAMES else _WRITERS.get(short or "", "str")


def stripped_source(func: ast.FunctionDef) -> str:
    """The function without decorators or annotations (they may name things the image lacks)."""
    clean = ast.parse(ast.unparse(func)).body[0]
    assert isinstance(clean, ast.FunctionDef)
    clean.decorator_list, clean.returns = [], None
    for arg in ast.walk(clean.args):
        if isinstance(arg, ast.arg):
            arg.annotation = None
    return ast.unparse(clean)


RUNNER = r'''
import json as _creg_json
import os as _creg_os
import sys as _creg_sys


def _creg_bool(text):
    # distutils.util.strtobool, as KFP's launcher reads booleans
    lowered = text.lower()
    if lowered in ("y", "yes", "t", "true", "on", "1"):
        return True
    if lowered in ("n", "no", "f", "false", "off", "0"):
        return False
    raise ValueError("invalid truth value %r" % (text,))


def _creg_unpickle(text):
    import base64
    import pickle
    return pickle.loads(base64.b64decode(text))


def _creg_checked(value, kinds, label):
    if isinstance(value, str):
        return value
    if not isinstance(value, kinds):
        raise TypeError('Value "%s" has type "%s" instead of %s.' % (value, type(value), label))
    return str(value)


def _creg_str(value):
    if not isinstance(value, str):
        raise TypeError('Value "%s" has type "%s" instead of str.' % (value, type(value)))
    return value


def _creg_int(value):
    return _creg_checked(value, (int,), "int")


def _creg_float(value):
    return _creg_checked(value, (float, int), "float")


def _creg_boolean(value):
    return _creg_checked(value, (bool,), "bool")


def _creg_json_text(value):
    if isinstance(value, str):
        return value

    def default(obj):
        if hasattr(obj, "to_struct"):
            return obj.to_struct()
        raise TypeError("Object of type '%s' is not JSON serializable and does not have .to_struct() method."
                        % type(obj).__name__)
    return _creg_json.dumps(value, default=default, sort_keys=True)


def _creg_pickle(value):
    import base64
    import pickle
    if isinstance(value, str):
        return value
    return base64.b64encode(pickle.dumps(value)).decode("ascii")


def _creg_fail(message):
    _creg_sys.stderr.write("%s: error: %s\n" % (_CREG_COMPONENT, message))
    _creg_sys.exit(2)


def _creg_parse(argv):
    """--PARAMETER VALUE pairs (a value may start with '-') and ----output-paths PATH..."""
    flags = dict(("--" + p[0], p[0]) for p in _CREG_INPUTS + _CREG_FILE_OUTPUTS)
    given, paths, index = {}, [], 0
    while index < len(argv):
        flag = argv[index]
        if flag == "----output-paths" and _CREG_RETURNS:
            paths = argv[index + 1:index + 1 + len(_CREG_RETURNS)]
            index += 1 + len(_CREG_RETURNS)
        elif flag in flags and index + 1 < len(argv) and flags[flag] not in given:
            given[flags[flag]] = argv[index + 1]
            index += 2
        else:
            _creg_fail("unexpected argument %r" % (flag,))
    missing = [p[0] for p in _CREG_INPUTS if p[3] and p[0] not in given]
    missing += [p[0] for p in _CREG_FILE_OUTPUTS if p[0] not in given]
    if missing or len(paths) != len(_CREG_RETURNS):
        _creg_fail("missing arguments: %s" % ", ".join(["--" + m for m in missing] or ["----output-paths"]))
    return given, paths


def _creg_make_parent(path):
    if _creg_os.path.dirname(path):
        _creg_os.makedirs(_creg_os.path.dirname(path), exist_ok=True)
    return path


def _creg_arguments(given, opened):
    arguments = {}
    for name, read, style, required in _CREG_INPUTS:
        if name not in given:
            continue
        text = given[name]
        if style == "value":
            try:
                arguments[name] = read(text)
            except ValueError as error:
                _creg_fail("--%s: %s" % (name, error))
        elif style == "path":
            arguments[name] = text
        else:
            arguments[name] = open(text, "rt" if style == "text" else "rb")
            opened.append(arguments[name])
    for name, style in _CREG_FILE_OUTPUTS:
        path = _creg_make_parent(given[name])
        if style == "path":
            arguments[name] = path
        else:
            arguments[name] = open(path, "wt" if style == "text" else "wb")
            opened.append(arguments[name])
    return arguments


def _creg_main():
    given, paths = _creg_parse(_creg_sys.argv[1:])
    opened = []
    try:
        outputs = _CREG_FUNCTION(**_creg_arguments(given, opened))
    finally:
        for handle in opened:
            handle.close()
    if _CREG_SINGLE:
        outputs = [outputs]
    for index, (write, path) in enumerate(zip(_CREG_RETURNS, paths)):
        text = write(outputs[index])
        with open(_creg_make_parent(path), "w") as handle:
            handle.write(text)


_creg_main()
'''


def program(func: ast.FunctionDef, name: str, description: str, interface: Interface, extra_code: str = "") -> str:
    """The whole ``python3 -c`` program; the launcher's tables hold Python literals only."""
    inputs = ", ".join(f"({p.parameter!r}, {reader(p.type) if p.style == 'value' else 'str'}, {p.style!r}, "
                       f"{not p.optional})" for p in interface.inputs)
    file_outputs = ", ".join(f"({p.parameter!r}, {p.style!r})" for p in interface.outputs if p.style != "return")
    returns = ", ".join(writer(p.type) for p in interface.outputs if p.style == "return")
    settings = (f"_CREG_COMPONENT = {name!r}\n_CREG_DESCRIPTION = {description!r}\n"
                f"_CREG_INPUTS = [{inputs}]\n_CREG_FILE_OUTPUTS = [{file_outputs}]\n"
                f"_CREG_RETURNS = [{returns}]\n_CREG_SINGLE = {interface.single!r}\n_CREG_FUNCTION = {func.name}\n")
    prefix = extra_code.strip("\n") + "\n\n\n" if extra_code.strip() else ""
    return prefix + stripped_source(func) + "\n\n" + RUNNER.replace("\n_creg_main()\n", "\n" + settings + "\n_creg_main()\n")


def container_command(source: str, packages: list[str]) -> list[str]:
    """``python3 -u -c PROGRAM``, behind KFP's pip wrapper when there are packages to install."""
    python = ["python3", "-u", "-c", source]
    if not packages:
        return python
    quoted = " ".join(shlex.quote(p) for p in packages)
    pip = f"PIP_DISABLE_PIP_VERSION_CHECK=1 python3 -m pip install --quiet --no-warn-script-location {quoted}"
    return ["sh", "-c", f'({pip} || {pip} --user) && "$0" "$@"'] + python
