"""Hypothesis strategies and outcome checks for ``tests/test_tool_fuzz.py``.

The documents are mostly *near-valid*: a valid file (a built-in component, an example
pipeline, the built-in index) or a small valid document built from scratch, then a few
mutations — a value replaced by any YAML type, a key renamed to a colliding or boolean-looking
name, a list item duplicated under a name that collides after sanitizing, a reference or
placeholder aimed at something else.  Purely random text would mostly test the YAML parser.

Data is written with PyYAML's dumper, so it cannot express everything a user can type.  A
string ``RAWx<n>x`` anywhere in the data (a value or a key) is replaced in the text by
``RAW[n]``, verbatim: ``yes`` and ``on`` as task ids (YAML 1.1 reads them as booleans), an
integer longer than Python's 4,300-digit limit, tags, aliases, timestamps.
"""

from __future__ import annotations

import copy
import json
import math
import re
from pathlib import Path
from typing import Any, Callable

import yaml
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent

# -- raw YAML snippets ------------------------------------------------------------------------

RAW = ["yes", "no", "on", "off", "Yes", "ON", "y", "~", "null", "true", "False", "1", "-0", "0x1F", "0o17",
       "0b101", "1_000", "12:30:45", "1e3", ".inf", "-.inf", ".nan", "2001-12-14", "2001-12-14t21:59:43.10-05:00",
       "9" * 4301, "-" + "7" * 5000, "1" * 4300, "0." + "1" * 5000, "1e999999", "!!binary aGVsbG8=",
       "!!set {a, b}", "!!omap [a: 1]", "!!python/object/apply:os.system [true]", "!!str 1", "!!int x",
       "!!float abc", "!custom x", "&anchor x", "*undefined", "'yes'", '"\\U0001F680"', '"\\ud83d\\ude80"',
       '"\\x00"', "[]", "{}", "<<", "|-\n  block", "?", "@reserved", "`tick", "%percent"]
_RAW_TOKEN = re.compile(r"RAWx(\d+)x")


def raw(snippet: str) -> str:
    """The token that ``to_text`` turns into ``snippet`` verbatim."""
    return f"RAWx{RAW.index(snippet)}x"


raw_tokens = st.integers(0, len(RAW) - 1).map(lambda i: f"RAWx{i}x")
BOOLEAN_WORDS = [raw(w) for w in ("yes", "no", "on", "off", "Yes", "ON", "true", "False", "null", "~", "1", "0x1F")]


def to_text(data: Any) -> str:
    """Plain data -> YAML text, with raw tokens spliced in."""
    text = yaml.dump(data, Dumper=yaml.SafeDumper, allow_unicode=True, sort_keys=False,
                     default_flow_style=False, width=4096)
    return _RAW_TOKEN.sub(lambda m: RAW[int(m.group(1))], text)


# -- hostile values -----------------------------------------------------------------------------

SPECIAL_CHARS = ["\U0001F680", "\U0010FFFF", "\U00020000", "\x00", "\x01", "\x07", "\x1b", "\x7f", "\x85",
                 "\u2028", "\u2029", "\ufeff", "\ufffe", "\uffff", "\t", "\n", "\r", "\r\n", " ", "'", '"',
                 "\\", "{", "}", "[", "]", ":", "#", "&", "*", "!", "%", "@", "`", "|", ">", ",", "-", "?",
                 "$", "/", ".", "_", "İ", "ß", "ﬁ", "\u212a", "\u0301", "\u200b", "\u202e"]
SPECIAL_STRINGS = ["", " ", ".", "..", "/", "../x", "a/../../b", "/etc/passwd", "x y", "x_y", "x-y", "X Y", "A",
                   "a", "\U0001F680", "a\U0001F680", "{{workflow.name}}", "{{inputs.parameters.a}}",
                   "{{tasks.t.outputs.parameters.o}}", "$(a)", "${a}", "yes", "no", "on", "off", "null", "~",
                   "true", "1", "1e3", "0x10", "-", "--", "a: b", "- x", "# c", "&a", "*a", "!t", "%", "@x",
                   "'", '"', "\\", "\\U0001F680", "\\ud83d\\ude80", "NaN", "-inf", "value", "data", "GCS path",
                   "gcs-path", "gcs_path", "İ", "ß", "\u212a", "a" * 70, "x" * 300, "\x00", "\u2028"]


def _join(parts: list[str]) -> str:
    return "".join(parts)


hostile_text = st.one_of(
    st.sampled_from(SPECIAL_STRINGS),
    st.text(max_size=10),
    st.lists(st.one_of(st.sampled_from(SPECIAL_CHARS), st.characters()), min_size=1, max_size=6).map(_join),
    st.tuples(st.sampled_from(SPECIAL_STRINGS), st.sampled_from(SPECIAL_CHARS),
              st.sampled_from(SPECIAL_STRINGS)).map(_join),
)

numbers = st.one_of(
    st.integers(-(2 ** 70), 2 ** 70),
    st.sampled_from([0, -1, 1, 2 ** 31, 2 ** 63, -(2 ** 63) - 1, 10 ** 100, -(10 ** 300), 10 ** 4000]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.5, -0.0, 1e308, 5e-324, 1e-7]),
)

scalars = st.one_of(st.none(), st.booleans(), numbers, hostile_text, raw_tokens)
keys = st.one_of(hostile_text, st.integers(-5, 5), st.booleans(), raw_tokens)
any_value = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                          st.dictionaries(keys, inner, max_size=3)),
                         max_leaves=6)


def mostly(usual: Any, rare: Any, odds: int = 8) -> Any:
    """``usual``, except about once in ``odds + 1`` draws ``rare`` (shrinking goes to ``usual``)."""
    return st.integers(0, odds).flatmap(lambda i: rare if i == odds else usual)


# Text that is legal wherever a string is: any Unicode, control characters, YAML syntax.
strings = mostly(st.sampled_from(["hello", "a b", "x", "1", "true", "", "{{workflow.name}}", "--flag=1"]),
                 hostile_text, 3)


@st.composite
def deep_values(draw: Any) -> Any:
    """A list/mapping nested around the loader's 64-level limit."""
    value: Any = draw(scalars)
    for _ in range(draw(st.integers(30, 70))):
        value = [value] if draw(st.booleans()) else {"k": value}
    return value


def collisions(name: str) -> list[str]:
    """Names a user could think distinct that collide after case folding or sanitizing."""
    out = [name.upper(), name.lower(), name.swapcase(), name.replace("_", " "), name.replace(" ", "_"),
           name.replace("-", "_"), name.replace("_", "-"), name + " ", " " + name, name + "!", name + ".",
           name + "\U0001F680", "..", ".", name + "/..", "-" + name, name + "-"]
    return [o for o in dict.fromkeys(out) if o != name] or [name + "_"]


@st.composite
def variant_of(draw: Any, value: Any, names: list[str]) -> Any:
    """A value like ``value`` but wrong in one near-valid way."""
    if isinstance(value, bool) or value is None:
        return draw(st.one_of(st.sampled_from(BOOLEAN_WORDS), scalars))
    if isinstance(value, str):
        choices = [st.sampled_from(collisions(value)), st.sampled_from(names or ["x"]),
                   st.tuples(st.just(value), st.sampled_from(SPECIAL_CHARS)).map(_join),
                   hostile_text, raw_tokens]
        return draw(st.one_of(*choices))
    if isinstance(value, (int, float)):
        return draw(st.one_of(numbers, st.just(str(value)), st.sampled_from(BOOLEAN_WORDS),
                              st.sampled_from([raw("9" * 4301), raw("-" + "7" * 5000), raw(".nan")])))
    if isinstance(value, dict):
        return draw(st.sampled_from([[value], {}, next(iter(value.values()), None), json.dumps(value)[:50],
                                     {**value, **{"extra": 1}}]))
    if isinstance(value, list):
        return draw(st.sampled_from([[], value * 2, value[:1], {"0": value}, value[0] if value else None,
                                     [value]]))
    return draw(scalars)


# -- the mutation engine ----------------------------------------------------------------------------

def slots(node: Any, out: list[tuple[Any, Any]] | None = None) -> list[tuple[Any, Any]]:
    """Every (container, key/index) pair of a document, in reading order."""
    out = [] if out is None else out
    if isinstance(node, dict):
        for key in list(node):
            out.append((node, key))
            slots(node[key], out)
    elif isinstance(node, list):
        for index in range(len(node)):
            out.append((node, index))
            slots(node[index], out)
    return out


def short_strings(node: Any) -> list[str]:
    """Names found in a document (keys and short values): targets for references."""
    found: list[str] = []
    for parent, key in slots(node):
        if isinstance(key, str) and len(key) < 30:
            found.append(key)
        value = parent[key]
        if isinstance(value, str) and len(value) < 30:
            found.append(value)
    return list(dict.fromkeys(found))[:60]


def _rename(mapping: dict[Any, Any], old: Any, new: Any) -> None:
    items = [(new if k == old else k, v) for k, v in mapping.items()]
    mapping.clear()
    mapping.update(items)


@st.composite
def mutated(draw: Any, base: Any, fields: list[str], references: Callable[[list[str]], Any],
            most: int = 4) -> Any:
    """``base`` (plain data, not changed) after 0..``most`` mutations."""
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(0, most))):
        places = slots(doc)
        if not places:
            break
        parent, key = places[draw(st.integers(0, len(places) - 1))]
        names = short_strings(doc)
        current = parent[key]
        action = draw(st.sampled_from(["variant", "variant", "replace", "reference", "delete", "add",
                                       "rename", "duplicate", "swap", "deep"]))
        if action == "variant":
            parent[key] = draw(variant_of(current, names))
        elif action == "replace":
            parent[key] = draw(any_value)
        elif action == "reference":
            parent[key] = draw(references(names))
        elif action == "delete":
            del parent[key]
        elif action == "add" and isinstance(current, dict):
            current[draw(st.one_of(st.sampled_from(fields), keys))] = draw(st.one_of(any_value, references(names)))
        elif action == "add" and isinstance(current, list):
            current.insert(draw(st.integers(0, len(current))), draw(st.one_of(any_value, references(names))))
        elif action == "rename" and isinstance(parent, dict):
            new = draw(st.one_of(st.sampled_from(collisions(str(key))), st.sampled_from(fields),
                                 st.sampled_from(BOOLEAN_WORDS), keys))
            if new not in parent:
                _rename(parent, key, new)
        elif action == "duplicate" and isinstance(current, list) and current:
            twin = copy.deepcopy(current[draw(st.integers(0, len(current) - 1))])
            if isinstance(twin, dict) and isinstance(twin.get("name"), str):
                twin["name"] = draw(st.sampled_from(collisions(twin["name"])))
            current.append(twin)
        elif action == "duplicate" and isinstance(current, dict) and current:
            old = draw(st.sampled_from(list(current)))
            new = draw(st.sampled_from(collisions(str(old))))
            if new not in current:
                current[new] = copy.deepcopy(current[old])
        elif action == "swap":
            _, other_key = other = places[draw(st.integers(0, len(places) - 1))]
            parent[key] = copy.deepcopy(other[0][other_key])
        elif action == "deep":
            parent[key] = draw(deep_values())
    return doc


@st.composite
def text_damage(draw: Any, text: str) -> str:
    """Now and then, damage the text itself (a stray character, a cut, a repeated line)."""
    kind = draw(st.sampled_from(["none"] * 12 + ["insert", "cut", "repeat", "dedent"]))
    if kind == "none" or not text:
        return text
    at = draw(st.integers(0, len(text)))
    if kind == "insert":
        return text[:at] + draw(st.sampled_from(SPECIAL_CHARS)) + text[at:]
    if kind == "cut":
        return text[:at]
    lines = text.splitlines(keepends=True)
    index = draw(st.integers(0, len(lines) - 1))
    if kind == "repeat":
        return "".join(lines[:index + 1] + lines[index:])
    return "".join(lines[:index] + [lines[index].lstrip(" ")] + lines[index + 1:])


@st.composite
def encoded(draw: Any, text: str) -> bytes:
    """The text as file bytes: usually plain UTF-8; sometimes a BOM, CRLF or a bad byte."""
    kind = draw(st.sampled_from(["utf-8"] * 16 + ["bom", "crlf", "bad-byte", "latin-1"]))
    raw_bytes = text.encode("utf-8")
    if kind == "bom":
        return b"\xef\xbb\xbf" + raw_bytes
    if kind == "crlf":
        return raw_bytes.replace(b"\n", b"\r\n")
    if kind == "bad-byte":
        at = draw(st.integers(0, len(raw_bytes)))
        return raw_bytes[:at] + b"\xff" + raw_bytes[at:]
    if kind == "latin-1":
        return text.encode("latin-1", "replace")
    return raw_bytes


# -- component specs --------------------------------------------------------------------------------

def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


COMPONENT_FILES = sorted(ROOT.glob("components/*/*/component.yaml")) + \
    sorted((ROOT / "tests/data/specs/valid").glob("*.yaml")) + \
    sorted((ROOT / "tests/data/pipelines/components").glob("*.yaml"))
COMPONENT_BASES = [_load(p) for p in COMPONENT_FILES]
COMPONENT_FIELDS = ['annotations', 'args', 'arguments', 'command', 'componentRef', 'concat', 'cond', 'container',
                    'default', 'description', 'else', 'env', 'fileOutputs', 'graph', 'graphInput', 'if', 'image',
                    'implementation', 'inputName', 'inputPath', 'inputUri', 'inputValue', 'inputs', 'isPresent',
                    'metadata', 'name', 'optional', 'outputName', 'outputPath', 'outputUri', 'outputValues',
                    'outputs', 'spec', 'tag', 'taskId', 'taskOutput', 'tasks', 'then', 'type', 'url', 'digest']
INPUT_NAMES = ["a", "A", "b", "x y", "x_y", "x-y", "X Y", "..", ".", "GCS path", "gcs-path", "gcs_path", "data",
               "Data", "\U0001F680", "a\U0001F680", "value", "-", "_", "", "a/b", "İ", "i̇"]
KFP_TYPES = ["String", "Integer", "Float", "Boolean", "JsonArray", "JsonObject", "URI", "GCSPath", "str", "int",
             "float", "bool", "list", "dict"]


def placeholders(names: list[str]) -> Any:
    """KFP placeholders aimed at ``names`` (declared or not) or at values of the wrong type."""
    target = st.one_of(st.sampled_from(names or ["a"]), st.sampled_from(INPUT_NAMES), scalars,
                       st.just({"inputValue": "a"}), st.just(["a"]))
    simple = st.builds(lambda kind, name: {kind: name},
                       st.sampled_from(["inputValue", "inputPath", "outputPath", "inputUri", "outputUri",
                                        "isPresent", "inputValu"]), target)
    return st.recursive(simple, lambda inner: st.one_of(
        st.builds(lambda parts: {"concat": parts}, st.lists(st.one_of(inner, hostile_text), max_size=3)),
        st.builds(lambda cond, then, other: {"if": {"cond": cond, "then": then, "else": other}},
                  st.one_of(st.builds(lambda n: {"isPresent": n}, target), st.booleans(), hostile_text),
                  st.lists(inner, max_size=2), st.lists(inner, max_size=2))), max_leaves=4)


@st.composite
def component_from_scratch(draw: Any) -> dict[str, Any]:
    """A small container component whose input names collide, with placeholders for them."""
    names = draw(st.lists(mostly(st.sampled_from(INPUT_NAMES), hostile_text, 3), min_size=1, max_size=4))
    if draw(st.integers(0, 2)) > 0:  # a pair that differs only in case or in what a sanitizer rewrites
        names.insert(draw(st.integers(0, len(names))), draw(st.sampled_from(collisions(names[0]))))
    inputs = []
    for name in names:
        item: dict[str, Any] = {"name": name}
        if draw(st.booleans()):
            item["type"] = draw(mostly(st.sampled_from(KFP_TYPES), any_value))
        if draw(st.booleans()):
            item["default"] = draw(mostly(st.sampled_from(["1", "x", "\U0001F680", "0.5", "true"]), scalars, 3))
        if draw(st.integers(0, 3)) == 0:
            item["optional"] = draw(mostly(st.booleans(), scalars))
        if draw(st.booleans()):
            item["description"] = draw(strings)
        inputs.append(item)
    outputs = [{"name": n} for n in draw(st.lists(st.sampled_from(INPUT_NAMES), max_size=2, unique=True))]
    refs: list[Any] = []
    for n in names:
        kind = draw(st.sampled_from(["inputValue", "inputValue", "inputPath", "if"]))
        refs.append({"if": {"cond": {"isPresent": n}, "then": ["--" + str(n), {"inputValue": n}]}}
                    if kind == "if" else {kind: n})
    refs += [{"outputPath": o["name"]} for o in outputs]
    command = ["sh", "-c", "true"] + draw(st.permutations(refs))
    if draw(st.integers(0, 3)) == 0:
        command.append(draw(placeholders(names)))
    if draw(st.integers(0, 3)) == 0:
        command.append(draw(strings))
    container: dict[str, Any] = {"image": draw(mostly(st.just("alpine:3.19"), strings, 3)), "command": command}
    if draw(st.integers(0, 3)) == 0:
        container["env"] = draw(st.dictionaries(mostly(st.just("E"), strings), mostly(strings, scalars), max_size=2))
    doc: dict[str, Any] = {"name": draw(mostly(st.just("Fuzz"), strings, 3))}
    if draw(st.booleans()):
        doc["description"] = draw(strings)
    doc.update({"inputs": inputs, "outputs": outputs, "implementation": {"container": container}})
    return doc


@st.composite
def component_documents(draw: Any) -> dict[str, Any]:
    """A mutated valid component (mostly) or a mutated small one built to collide."""
    if draw(st.booleans()):
        return draw(mutated(draw(component_from_scratch()), COMPONENT_FIELDS, placeholders, most=1))
    return draw(mutated(draw(st.sampled_from(COMPONENT_BASES)), COMPONENT_FIELDS, placeholders))


# -- pipelines ------------------------------------------------------------------------------------------

PIPELINE_FILES = sorted(ROOT.glob("examples/*.yaml")) + [ROOT / "tests/data/pipelines/features.yaml",
                                                         ROOT / "tests/data/pipelines/graph.yaml"]
PIPELINE_BASES = [_load(p) for p in PIPELINE_FILES]
PIPELINE_COMPONENTS = ROOT / "tests/data/pipelines/components"
PIPELINE_FIELDS = ['after', 'args', 'artifactRepository', 'command', 'component', 'cron', 'default', 'defaults',
                   'description', 'env', 'file', 'finally', 'image', 'item', 'items', 'key', 'loop', 'mounts',
                   'name', 'nodeSelector', 'output', 'outputs', 'parallelism', 'param', 'params', 'resources',
                   'retries', 'schedule', 'secret', 'serviceAccount', 'tasks', 'timeout', 'tolerations', 'type',
                   'volumes', 'when', 'cpu', 'memory', 'limit', 'policy', 'claim', 'size', 'accessMode']
TASK_IDS = ["t", "first", "add-1", "A", "x y", "..", "t\U0001F680", "-t", "t.x", "a" * 64, "İ"] + \
    [raw(w) for w in ("yes", "on", "no", "off", "true", "null", "1", "0x1F", "y")]
SAFE_COMMANDS = [["sh", "-c", "true"], ["echo"], ["sh", "-c", 'echo "$0" "$@"']]
WRITER = ["sh", "-c", 'mkdir -p "${0%/*}" && echo 1 > "$0"', "/tmp/outputs/o/data"]


def references(names: list[str]) -> Any:
    """Pipeline references aimed at ``names`` (declared or not) or at values of the wrong type."""
    target = st.one_of(st.sampled_from(names or ["t"]), st.sampled_from(TASK_IDS), scalars,
                       st.just({"param": "a"}), st.just(["t"]))
    kind = st.sampled_from(["param", "output", "file", "item", "parm", "outputs", "secret"])
    return st.one_of(st.builds(lambda k, t: {k: t}, kind, target),
                     st.builds(lambda t, o: {"output": f"{t}.{o}"}, st.sampled_from(names or ["t"]),
                               st.sampled_from(names or ["o"])))


@st.composite
def when_expressions(draw: Any, params: list[str], tasks: list[str]) -> Any:
    operand = st.one_of(st.sampled_from([f"param.{p}" for p in params] or ["1"]),
                        st.sampled_from([f"output.{t}" for t in tasks] or ["'a'"]),
                        st.sampled_from(["1", "-2.5", "'text'", '"x"', "true", "false", "1e999", "9" * 5000,
                                         "'\U0001F680'", "param.", "output.a.b.c", "{{x}}", "'a\\'b'"]))
    comparison = st.builds(lambda a, op, b: f"{a} {op} {b}", operand,
                           st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "=", "=>"]), operand)
    expression = st.recursive(comparison, lambda inner: st.one_of(
        st.builds(lambda a, op, b: f"{a} {op} {b}", inner, st.sampled_from(["and", "or", "&&"]), inner),
        inner.map(lambda e: f"not {e}"), inner.map(lambda e: f"({e})")), max_leaves=4)
    return draw(st.one_of(
        expression,
        st.builds(lambda n, e: "(" * n + e + ")" * n, st.sampled_from([1, 2, 30, 200, 500, 1000]), expression),
        st.builds(lambda n, e: "not " * n + e, st.sampled_from([1, 2, 3, 100, 1000, 3000, 5000]), expression),
        st.builds(lambda n, e: "(" * n + e, st.sampled_from([1, 2, 500]), expression),
        hostile_text, scalars))


@st.composite
def inline_pipelines(draw: Any) -> dict[str, Any]:
    """A small pipeline of inline containers whose commands are harmless (``sh -c true``,
    ``echo``), so that whatever of it compiles can also be run.  Names are mostly valid;
    strings (descriptions, defaults, arguments, env) are often hostile."""
    params = {}
    for name in draw(st.lists(mostly(st.sampled_from(["p", "P", "n", "x_y", "x-y"]), hostile_text),
                              max_size=3, unique=True)):
        body: dict[str, Any] = {}
        if draw(st.integers(0, 2)) == 0:
            body["type"] = draw(st.sampled_from(KFP_TYPES))
        if draw(st.booleans()):
            body["default"] = draw(mostly(st.one_of(strings, st.sampled_from(['["a", "b"]', "[1]", "1", "0.5"])),
                                          scalars, 4))
        if draw(st.integers(0, 2)) == 0:
            body["description"] = draw(strings)
        params[name] = body
    ids = draw(st.lists(mostly(st.sampled_from(["t", "first", "add-1", "b"]), st.sampled_from(TASK_IDS), 4),
                        min_size=1, max_size=4, unique=True))
    tasks: dict[Any, Any] = {}
    producers: list[str] = []
    for index, task_id in enumerate(ids):
        earlier = ids[:index]
        produces = draw(st.booleans())
        body = {"image": draw(mostly(st.just("alpine:3.19"), strings, 4))}
        body["command"] = list(WRITER) if produces else draw(st.sampled_from(SAFE_COMMANDS))
        args = []
        for _ in range(draw(st.integers(0, 3))):
            args.append(draw(st.one_of(
                strings, mostly(strings, scalars, 3),
                st.sampled_from([{"param": p} for p in params] or [{"param": "p"}]),
                st.sampled_from([{"output": t} for t in producers] or ["no-producer"]),
                st.sampled_from([{"file": t} for t in producers] or ["no-producer"]),
                st.just({"item": None}))))
        if args:
            body["args"] = args
        if produces:
            body["outputs"] = {"o": "/tmp/outputs/o/data"}
        if draw(st.integers(0, 2)) == 0:
            body["when"] = draw(when_expressions(list(params), producers))
        if earlier and draw(st.integers(0, 2)) == 0:
            body["after"] = draw(st.one_of(st.sampled_from(earlier), st.lists(st.sampled_from(earlier), min_size=1,
                                                                               max_size=2, unique=True)))
        if draw(st.integers(0, 3)) == 0:
            body["loop"] = draw(st.one_of(
                st.builds(lambda items: {"items": items},
                          st.lists(st.one_of(strings, st.just({"f": 1})), min_size=1, max_size=3)),
                st.sampled_from([{"param": p} for p in params] or [{"param": "p"}])))
        if draw(st.integers(0, 3)) == 0:
            body["env"] = draw(st.dictionaries(mostly(st.sampled_from(["E", "F"]), hostile_text),
                                               st.one_of(strings, st.sampled_from([{"param": p} for p in params]
                                                                                   or [{"param": "p"}])),
                                               max_size=2))
        if draw(st.integers(0, 4)) == 0:
            body["retries"] = draw(st.one_of(st.integers(0, 3), st.just({"limit": 1, "policy": "Always"})))
        tasks[task_id] = body
        if produces:
            producers.append(task_id)
    doc: dict[str, Any] = {"name": draw(mostly(st.just("fuzz"), strings, 6)), "timeout": 60}
    if draw(st.booleans()):
        doc["description"] = draw(strings)
    if params:
        doc["params"] = params
    if draw(st.integers(0, 3)) == 0:
        doc["env"] = draw(st.dictionaries(mostly(st.just("G"), hostile_text), strings, max_size=2))
    doc["tasks"] = tasks
    if draw(st.integers(0, 4)) == 0:
        doc["finally"] = {"done": {"image": "alpine:3.19", "command": ["echo"], "args": ["{{workflow.status}}"]}}
    return doc


@st.composite
def pipeline_documents(draw: Any) -> dict[str, Any]:
    """A mutated example pipeline, or a mutated small inline one."""
    if draw(st.booleans()):
        return draw(mutated(draw(inline_pipelines()), PIPELINE_FIELDS, references, most=2))
    return draw(mutated(draw(st.sampled_from(PIPELINE_BASES)), PIPELINE_FIELDS, references))


# -- indexes ----------------------------------------------------------------------------------------------

INDEX_BASE = _load(ROOT / "index.yaml")
INDEX_FIELDS = ['allowBreaking', 'apiVersion', 'archive', 'archiveDigest', 'components', 'created', 'deprecated',
                'description', 'digest', 'homepage', 'member', 'message', 'name', 'path', 'registry',
                'replacement', 'source', 'url', 'version']
VERSIONS = ["1.0.0", "1.0", "1", "0.2.5", "2.0.0-rc.1", "1.0.0+build", "v1.2.3", "01.0.0", "latest", "nightly",
            "1." + "9" * 5000 + ".0", "9" * 4000 + ".0.0", "", " ", "\U0001F680", raw("1e3"), raw("1"),
            raw("0x1F"), raw("yes")]
SPECS = [None, "latest", "1.0.0", "^1", "~1.2", ">=1,<2", "^", "~", ">=", "1.x", "*", "sha256:", "sha256:abc1234",
         "sha256:" + "0" * 64, "^" + "9" * 5000, ">=1," * 200, "\U0001F680", " ", "^1 || ^2", "!=1.0.0", "=1",
         "<" + "1." * 50]


def index_references(names: list[str]) -> Any:
    return st.one_of(st.sampled_from(names or ["add"]), st.sampled_from(VERSIONS), scalars,
                     st.just({"path": "components/add/1.0.0/component.yaml"}), st.just({"url": "file:///etc/passwd"}))


@st.composite
def index_documents(draw: Any, digest: str) -> dict[str, Any]:
    """The built-in index, or one whose entries point at ``component.yaml`` (digest ``digest``), mutated."""
    if draw(st.booleans()):
        return draw(mutated(INDEX_BASE, INDEX_FIELDS, index_references))
    components: dict[Any, Any] = {}
    for name in draw(st.lists(st.one_of(st.sampled_from(["c", "C", "a/b", "x y", "..", "c.d", "add"]), hostile_text,
                                        st.sampled_from(BOOLEAN_WORDS)), min_size=1, max_size=3, unique=True)):
        entries = []
        for version in draw(st.lists(st.sampled_from(VERSIONS), min_size=1, max_size=3)):
            entries.append({"version": version, "digest": draw(st.sampled_from([digest, digest[:20], "sha256:x"])),
                            "description": draw(st.one_of(st.just("d"), hostile_text)), "created": "2024-01-01",
                            "source": draw(st.sampled_from([{"path": "component.yaml"}, {"path": "../component.yaml"},
                                                            {"path": "missing.yaml"}, {"url": "https://127.0.0.1:9/c"},
                                                            {"path": "/etc/passwd"}, {}]))})
        components[name] = entries
    doc = {"apiVersion": "creg/v1", "registry": {"name": draw(st.one_of(st.just("fuzz"), hostile_text))},
           "components": components}
    return draw(mutated(doc, INDEX_FIELDS, index_references, most=2))


# -- checking outcomes ------------------------------------------------------------------------------------

def same(a: Any, b: Any) -> bool:
    """Equality of plain data, with NaN equal to itself."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def short(value: Any, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"
