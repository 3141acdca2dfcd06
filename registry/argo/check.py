"""Self-validation of compiled Argo documents, before anything is written.

Two layers:

* Argo's published JSON Schema (``schemas/argo/schema.json``), adjusted in memory the way
  ``validate.py --strict --lenient`` adjusts it: unknown keys are rejected, and
  IntOrString / Quantity / AnyString fields accept numbers as Argo's Go types do.  A valid
  document is recognised by ``schemacheck`` (no jsonschema import, ~2 ms for 1,000 tasks);
  only a rejected one goes through jsonschema, for positioned messages.
* What the schema cannot say: the entrypoint and exit handler exist, every task names an
  existing template, ``depends`` names existing tasks without cycles, template names are
  unique, and a CronWorkflow's schedule is a valid cron expression.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from registry.cycles import find_cycle
from registry.errors import CregError, Problem, did_you_mean
from registry.argo.prepared import prepared_schema
from registry.resources import validator
from registry.schemacheck import SchemaChecker
from registry.schemareport import findings
from registry.yamlio import PathKey, json_path

SCHEMA = "argo/schema.json"
PREFIX = "io.argoproj.workflow.v1alpha1."
KINDS = ("Workflow", "WorkflowTemplate", "CronWorkflow", "ClusterWorkflowTemplate")  # fast-checked
_ANY_STRING = ["string", "number", "boolean"]


class ArgoError(CregError):
    """The compiler produced a document Argo would reject (a creg bug or an unsupported value)."""


def close_objects(node: Any) -> None:
    """``additionalProperties: false`` wherever properties are listed: a stray key is an error."""
    if isinstance(node, dict):
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            close_objects(value)
    elif isinstance(node, list):
        for value in node:
            close_objects(value)


_WIDENED = ((("io.k8s.apimachinery.pkg.util.intstr.IntOrString",), ["string", "integer"]),
            (("io.k8s.apimachinery.pkg.api.resource.Quantity",), ["string", "number"]),
            ((PREFIX + "Parameter", "properties", "value"), _ANY_STRING),
            ((PREFIX + "Parameter", "properties", "default"), _ANY_STRING),
            ((PREFIX + "Parameter", "properties", "description"), _ANY_STRING),
            ((PREFIX + "Parameter", "properties", "enum", "items"), _ANY_STRING),
            ((PREFIX + "ValueFrom", "properties", "default"), _ANY_STRING))


@functools.cache
def _lenient_definitions() -> dict[str, Any]:
    """validate.py --lenient's retyping, copied along each changed path only.

    The parsed schema stays shared and untouched, so the fast path pays for no deep copy.
    """
    defs = dict(prepared_schema(SCHEMA)["definitions"])
    for path, types in _WIDENED:
        node: dict[str, Any] = defs
        for key in path:
            if key not in node:
                break
            node[key] = dict(node[key])
            node = node[key]
        else:
            node["type"] = list(types)
    return defs


def schema_validator(kind: str) -> Any:
    """The strict + lenient jsonschema validator for one Argo kind (built once, by the shared factory)."""
    return validator(SCHEMA, entry="#/definitions/" + PREFIX + kind, adjust=_strict_lenient)


def _strict_lenient(root: dict[str, Any]) -> dict[str, Any]:
    return dict(root, definitions=_adjusted_definitions())


@functools.cache
def _adjusted_definitions() -> dict[str, Any]:
    """Lenient and strict, as a private deep copy (only the jsonschema path needs one)."""
    defs = json.loads(json.dumps(_lenient_definitions()))
    close_objects(defs)
    return defs


# DAG task fields whose schema (checked in ``_value_free``) constrains only types and keys.
_TASK_KEYS = frozenset({"name", "template", "depends", "dependencies", "when", "arguments",
                        "withItems", "withParam"})
_VALUE_KEYWORDS = frozenset({"enum", "pattern", "const", "format", "minLength", "maxLength", "minimum",
                             "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
                             "minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties"})


@functools.cache
def _value_free() -> bool:
    """True when no schema reachable from those DAG task fields looks at a value beyond its type.

    Then two tasks with the same shape (keys, list lengths, value types) validate identically,
    and validating one of them is validating both.  Checked against the vendored schema rather
    than assumed, so a future schema with such constraints turns the shortcut off.
    """
    defs = _adjusted_definitions()
    task = defs[PREFIX + "DAGTask"]["properties"]
    seen: set[str] = set()
    return all(_no_value_keywords(task[key], defs, seen) for key in _TASK_KEYS if key in task)


def _no_value_keywords(node: Any, defs: dict[str, Any], seen: set[str]) -> bool:
    if isinstance(node, list):
        return all(_no_value_keywords(v, defs, seen) for v in node)
    if not isinstance(node, dict):
        return True
    if _VALUE_KEYWORDS & node.keys():
        return False
    ref = node.get("$ref", "")
    name = ref.rsplit("/", 1)[-1]
    if ref and name not in seen:
        seen.add(name)
        if not _no_value_keywords(defs[name], defs, seen):
            return False
    children = [v for k, v in node.items() if k not in ("properties", "$ref", "description")]
    children += list(node.get("properties", {}).values())
    return all(_no_value_keywords(v, defs, seen) for v in children)


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple((k, _shape(v)) for k, v in value.items())
    if isinstance(value, list):
        return tuple(_shape(v) for v in value)
    return type(value).__name__


def _representatives(tasks: list[dict[str, Any]]) -> list[int]:
    """Indices of the tasks to validate: one per shape (every task if shapes cannot be trusted)."""
    if not _value_free():
        return list(range(len(tasks)))
    chosen: dict[Any, int] = {}
    keep = []
    for index, task in enumerate(tasks):
        if not isinstance(task, dict) or not task.keys() <= _TASK_KEYS:
            keep.append(index)
            continue
        shape = _shape(task)
        if shape not in chosen:
            chosen[shape] = index
            keep.append(index)
    return keep


def _reduced(doc: dict[str, Any]) -> tuple[dict[str, Any], dict[tuple[int, int], int]]:
    """A shallow copy of ``doc`` whose DAG task lists hold one task per shape, and the index map."""
    spec = doc["spec"].get("workflowSpec", doc["spec"])
    index_map: dict[tuple[int, int], int] = {}
    templates = []
    for t_index, template in enumerate(spec.get("templates", [])):
        tasks = template.get("dag", {}).get("tasks") if isinstance(template, dict) else None
        if isinstance(tasks, list) and len(tasks) > 1:
            keep = _representatives(tasks)
            index_map.update({(t_index, new): old for new, old in enumerate(keep)})
            template = dict(template, dag=dict(template["dag"], tasks=[tasks[i] for i in keep]))
        templates.append(template)
    new_spec = dict(spec, templates=templates)
    if "workflowSpec" in doc["spec"]:
        return dict(doc, spec=dict(doc["spec"], workflowSpec=new_spec)), index_map
    return dict(doc, spec=new_spec), index_map


@functools.cache
def fast_checker(kind: str) -> SchemaChecker:
    """A yes/no checker for one kind over the same adjusted schema (no jsonschema import)."""
    return SchemaChecker({"definitions": _lenient_definitions()},
                         {"$ref": "#/definitions/" + PREFIX + kind}, close_objects=True)


def schema_errors(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """(JSON path, message) for every schema violation; jsonschema runs only to explain a "no"."""
    if doc.get("kind") in KINDS and fast_checker(doc["kind"]).is_valid(doc):
        return []
    return _explained_errors(doc)


def _explained_errors(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """The shared reporter's findings on a copy with one DAG task per shape, paths put back."""
    reduced, index_map = _reduced(doc)
    offset = 2 if "workflowSpec" in doc["spec"] else 1
    found = findings(schema_validator(doc["kind"]).iter_errors(reduced))
    return [(json_path(_in_full(path, index_map, offset)), message) for path, message, _ in found]


def _in_full(path: list[PathKey], index_map: dict[tuple[int, int], int], offset: int) -> list[PathKey]:
    """A path into the reduced document, as the same path into the full one."""
    if len(path) > offset + 4 and path[offset] == "templates" and path[offset + 2:offset + 4] == ["dag", "tasks"]:
        template, task = path[offset + 1], path[offset + 4]
        if isinstance(template, int) and isinstance(task, int):
            return path[:offset + 4] + [index_map.get((template, task), task)] + path[offset + 5:]
    return path


# -- what the schema cannot say -------------------------------------------------------------------

_DEPENDS_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*(?:\.[A-Za-z]+)?")
_SIMPLE_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*\Z")


def semantic_errors(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """Template names, entrypoint/onExit, DAG references and cycles, cron schedules, and the
    names Argo restricts (parameters, artifacts, volumes)."""
    return _template_errors(doc) + _schedule_errors(doc) + _name_errors(doc)


# Argo's own rules (workflow/validate): parameter and artifact names; volumes are Kubernetes
# DNS labels.  A local run turns these names into paths, so '../x' must never pass.
_IO_NAME = re.compile(r"[-a-zA-Z0-9_]+\Z")
_VOLUME_NAME = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\Z")
_IO_RULE = "is not a valid Argo name: letters, digits, '-' and '_' only"
_VOLUME_RULE = "is not a valid volume name: lowercase letters, digits and '-', at most 63 characters"


def _name_errors(doc: dict[str, Any]) -> list[tuple[str, str]]:
    spec = doc["spec"].get("workflowSpec", doc["spec"])
    base = "$.spec.workflowSpec" if "workflowSpec" in doc["spec"] else "$.spec"
    found = [(f"{base}.arguments.{kind}", item) for kind in ("parameters", "artifacts")
             for item in enumerate(spec.get("arguments", {}).get(kind, []))]
    for index, template in enumerate(spec.get("templates", [])):
        for side in ("inputs", "outputs"):
            found += [(f"{base}.templates[{index}].{side}.{kind}", item) for kind in ("parameters", "artifacts")
                      for item in enumerate(template.get(side, {}).get(kind, []))]
        mounts = template.get("container", template.get("script", {})).get("volumeMounts", [])
        found += [(f"{base}.templates[{index}].container.volumeMounts", item) for item in enumerate(mounts)]
    out = [(f"{where}[{i}].name", f"{item.get('name')!r} {_rule(where)[1]}") for where, (i, item) in found
           if isinstance(item, dict) and not _rule(where)[0].match(str(item.get("name", "")))]
    volumes = [(f"{base}.volumes[{i}].name", v.get("name")) for i, v in enumerate(spec.get("volumes", []))]
    volumes += [(f"{base}.volumeClaimTemplates[{i}].metadata.name", v.get("metadata", {}).get("name"))
                for i, v in enumerate(spec.get("volumeClaimTemplates", []))]
    return out + [(where, f"{name!r} {_VOLUME_RULE}") for where, name in volumes
                  if not _VOLUME_NAME.match(str(name))]


def _rule(where: str) -> tuple[re.Pattern[str], str]:
    return (_VOLUME_NAME, _VOLUME_RULE) if where.endswith("volumeMounts") else (_IO_NAME, _IO_RULE)


def _template_errors(doc: dict[str, Any]) -> list[tuple[str, str]]:
    spec = doc["spec"].get("workflowSpec", doc["spec"])
    base = "$.spec.workflowSpec" if "workflowSpec" in doc["spec"] else "$.spec"
    templates = spec.get("templates", [])
    names = [t.get("name") for t in templates]
    out, seen = [], set()
    for i, name in enumerate(names):  # a set, not names[:i]: 50,000 templates must stay linear
        if name in seen:
            out.append((f"{base}.templates[{i}].name", f"duplicate template name {name!r}"))
        seen.add(name)
    for key in ("entrypoint", "onExit"):
        if key in spec and spec[key] not in seen:
            out.append((f"{base}.{key}", f"no template named {spec[key]!r}"))
    for index, template in enumerate(templates):
        if "dag" in template:
            out.extend(_dag_errors(template["dag"].get("tasks", []), set(names),
                                   f"{base}.templates[{index}].dag.tasks"))
    return out


def _schedule_errors(doc: dict[str, Any]) -> list[tuple[str, str]]:
    if doc["kind"] != "CronWorkflow":
        return []
    found = ((index, cron_problem(text)) for index, text in enumerate(doc["spec"].get("schedules", [])))
    out = [(f"$.spec.schedules[{index}]", why) for index, why in found if why]
    zone = doc["spec"].get("timezone")
    why = timezone_problem(zone) if isinstance(zone, str) and zone else None
    return out + [("$.spec.timezone", why)] if why else out


def timezone_problem(name: str) -> str | None:
    """Why ``name`` is not a zone of the IANA database (as Go's time.LoadLocation reads it), or None."""
    import zoneinfo  # lazy: only a schedule with a timezone needs it

    try:
        zoneinfo.ZoneInfo(name)
        return None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        known = zoneinfo.available_timezones()
        hint = did_you_mean(name, known) or " (e.g. 'Europe/Berlin', 'UTC')"
        return f"timezone {name!r} is not in the IANA time zone database{hint}"


def _dag_errors(tasks: list[dict[str, Any]], templates: set[str], where: str) -> list[tuple[str, str]]:
    out = []
    task_names = {t["name"] for t in tasks}
    graph: dict[str, set[str]] = {}
    for index, task in enumerate(tasks):
        if task.get("template") not in templates:
            out.append((f"{where}[{index}].template", f"no template named {task.get('template')!r}"))
        depends = task.get("depends", "")
        # one word, no '.' (``depends: t0``, most rows of a chain): the regex would find just it
        upstream = {depends} if _SIMPLE_WORD.match(depends) else \
            {w.split(".")[0] for w in _DEPENDS_WORD.findall(depends)}
        if "dependencies" in task:
            upstream |= set(task["dependencies"])
        missing = upstream - task_names
        for name in sorted(missing):
            out.append((f"{where}[{index}].depends", f"no task named {name!r} in this DAG"))
        graph[task["name"]] = upstream - missing if missing else upstream
    cycle = find_cycle(graph)
    if cycle:
        out.append((where, "tasks form a cycle: " + " -> ".join(cycle)))
    return out


# -- cron ---------------------------------------------------------------------------------------

_CRON_FIELDS = (("minute", 0, 59, ()), ("hour", 0, 23, ()), ("day of month", 1, 31, ()),
                ("month", 1, 12, ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep",
                                  "oct", "nov", "dec")),
                ("day of week", 0, 7, ("sun", "mon", "tue", "wed", "thu", "fri", "sat")))
_CRON_MACROS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}


def cron_problem(expression: str) -> str | None:
    """Why ``expression`` is not a valid 5-field cron expression (or macro), or None."""
    text = expression.strip()
    if text in _CRON_MACROS or re.fullmatch(r"@every \d+(ns|us|ms|s|m|h)(\d+(ns|us|ms|s|m|h))*", text):
        return None
    fields = text.split()
    if len(fields) != 5:
        return f"cron expression {expression!r} has {len(fields)} fields; expected 5 " \
               "(minute hour day-of-month month day-of-week) or a macro such as @daily"
    for value, (label, low, high, names) in zip(fields, _CRON_FIELDS):
        for part in value.split(","):
            why = _cron_part(part, low, high, names)
            if why:
                return f"cron expression {expression!r}: {label} field {value!r}: {why}"
    return None


def _cron_part(part: str, low: int, high: int, names: tuple[str, ...]) -> str | None:
    body, _, step = part.partition("/")
    if step and (not step.isdigit() or int(step) == 0):
        return f"step {step!r} must be a positive number"
    if body in ("*", "?"):
        return None
    bounds = body.split("-")
    if len(bounds) > 2:
        return f"{body!r} is not a number or range"
    numbers = [_cron_number(b, names) for b in bounds]
    if any(n is None or not low <= n <= high for n in numbers):
        return f"{body!r} is outside {low}-{high}"
    if len(numbers) == 2 and numbers[0] > numbers[1]:  # type: ignore[operator]
        return f"range {body!r} runs backwards"
    return None


def _cron_number(text: str, names: tuple[str, ...]) -> int | None:
    if text.isdigit():
        return int(text)
    lowered = text.lower()
    if lowered in names:
        return names.index(lowered) + (1 if len(names) == 12 else 0)
    return None


def validate(doc: dict[str, Any], source: str = "") -> None:
    """Raise ``ArgoError`` listing every schema and semantic problem of a compiled document."""
    problems = [Problem(source, 0, 0, path, message)
                for path, message in schema_errors(doc) + semantic_errors(doc)]
    if problems:
        raise ArgoError(problems=problems)

