"""Check, before a local run starts, every ``{{...}}`` of a Workflow against what is in scope.

Argo refuses a workflow that names a variable nobody defines (``argo lint``: "failed to resolve
{{...}}"); the local runner must refuse it too, before any task runs, with the field that
holds it, instead of handing the literal text to a program or failing half-way with "task 'a'
has not run".  The scope of a field is the one Argo documents (docs/variables.md):

* everywhere: the ``workflow.*`` globals, with ``workflow.parameters.<NAME>`` for declared
  parameters only, and ``node.name``;
* in a template: its declared ``inputs.parameters.<NAME>`` / ``inputs.artifacts.<NAME>``;
  in a container or script: ``pod.name``, ``retries`` and the ``...path`` of its declared
  artifacts and output parameters;
* in a DAG task: ``tasks.<T>.*`` of the tasks it depends on (directly or not), with the outputs
  T's template declares; in a steps group: ``steps.<S>.*`` of earlier groups; ``item`` and
  ``item.<KEY>`` only in a task with ``withItems`` / ``withParam``.

Templates the runner cannot run (resource, suspend, http, templateRef, ...) are refused here
too, with the reason, so a run never stops half-way on them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from registry.errors import did_you_mean
from registry.local.conditions import depends_names
from registry.local.variables import NODE_FIELDS, STRFTIME_CHARS, is_argo_variable

PathKey = str | int
Finding = tuple[list[PathKey], str]

_TAG = re.compile(r"\{\{(.*?)\}\}", re.S)
_STRING = re.compile(r"""'[^']*'|"[^"]*\"""")
_CHAIN = re.compile(r"""[A-Za-z_]\w*(?:\s*(?:\.\s*[A-Za-z_][\w-]*|\[\s*(?:'[^']*'|"[^"]*")\s*\]))*""")
_EXPR_WORDS = {"true", "false", "nil", "and", "or", "not", "in", "matches", "contains", "startsWith",
               "endsWith", "let", "if", "else"}
RUNNABLE = ("container", "script", "dag", "steps")
_KINDS = ("resource", "suspend", "http", "plugin", "containerSet", "data")


@dataclass
class Nodes:
    """What ``tasks.<T>...`` (or ``steps.<S>...``) a field may read.

    Worked out per reference, not listed up front: listing every output of every ancestor of
    every task made the check quadratic in a long chain's length.
    """

    kind: str  # "tasks" or "steps"
    visible: Callable[[str], bool]  # whether the field may read that task at all
    tasks: Mapping[str, Any]
    templates: Mapping[str, Any]

    def allows(self, parts: list[str], partial: bool) -> bool:
        if parts[1:] == ["name"]:
            return True
        if len(parts) < 2 or parts[1] not in self.tasks or not self.visible(parts[1]):
            return False
        rest = parts[2:]
        if partial and len(rest) <= 2 and rest[:1] in ([], ["outputs"]):
            return True  # a map named whole in an expression: tasks['a'].outputs.parameters[...]
        if (len(rest) == 1 and rest[0] in NODE_FIELDS) or rest in (["outputs", "result"], ["outputs", "parameters"]):
            return True
        if len(rest) == 3 and rest[0] == "outputs" and rest[1] in ("parameters", "artifacts"):
            declared = self.outputs(parts[1], rest[1])
            return declared is None or rest[2] in declared
        return False

    def outputs(self, task: str, section: str) -> set[str] | None:
        """The outputs the task's template declares (None: not known here, a templateRef)."""
        target = self.templates.get(self.tasks[task].get("template")) if isinstance(self.tasks[task], dict) else None
        if not isinstance(target, dict):
            return None
        return {str(item.get("name")) for item in (target.get("outputs") or {}).get(section) or []}

    def candidates(self, task: str) -> list[str]:
        if task not in self.tasks:
            return []
        names = [f"{self.kind}.{task}.{f}" for f in NODE_FIELDS] + [f"{self.kind}.{task}.outputs.result"]
        for section in ("parameters", "artifacts"):
            names += [f"{self.kind}.{task}.outputs.{section}.{o}" for o in sorted(self.outputs(task, section) or ())]
        return names


@dataclass
class Scope:
    """Names a field may use: exact ones, prefixes under which any name is allowed, and nodes."""

    names: set[str] = field(default_factory=set)
    open_prefixes: set[str] = field(default_factory=set)
    nodes: Nodes | None = None

    def plus(self, names: Iterable[str] = (), prefixes: Iterable[str] = (), nodes: Nodes | None = None) -> Scope:
        return Scope(self.names | set(names), self.open_prefixes | set(prefixes), nodes or self.nodes)

    def allows(self, name: str, partial: bool = False) -> bool:
        if name in self.names or any(name.startswith(p) for p in self.open_prefixes):
            return True
        parts = name.split(".")
        if self.nodes is not None and parts[0] == self.nodes.kind:
            return self.nodes.allows(parts, partial)
        # Inside an expression a map may be named whole and indexed later (inputs.parameters).
        return partial and any(n.startswith(name + ".") for n in self.names | self.open_prefixes)


def check_workflow(doc: Mapping[str, Any]) -> list[Finding]:
    """Every problem found: (path in the document, message)."""
    cron = doc.get("kind") == "CronWorkflow"
    spec = (doc.get("spec") or {}).get("workflowSpec", {}) if cron else (doc.get("spec") or {})
    base: list[PathKey] = ["spec", "workflowSpec"] if cron else ["spec"]
    templates = {str(t.get("name")): t for t in spec.get("templates") or [] if isinstance(t, dict)}
    checker = _Checker(templates, _globals(doc.get("metadata") or {}, spec, cron), base)
    for index, template in enumerate(spec.get("templates") or []):
        checker.template(template, base + ["templates", index])
    checker.reachable(spec)
    if "workflowTemplateRef" in spec:
        checker.findings.append((base + ["workflowTemplateRef"], "workflowTemplateRef needs the cluster's "
                                 "WorkflowTemplates; the local runner runs only templates of this Workflow"))
    return checker.findings


def _globals(metadata: Mapping[str, Any], spec: Mapping[str, Any], cron: bool) -> Scope:
    names = {"workflow.name", "workflow.namespace", "workflow.uid", "workflow.serviceAccountName",
             "workflow.mainEntrypoint", "workflow.priority", "workflow.duration", "workflow.status",
             "workflow.failures", "workflow.creationTimestamp", "workflow.creationTimestamp.RFC3339",
             "workflow.parameters", "workflow.parameters.json", "workflow.labels.json",
             "workflow.annotations.json", "node.name"}
    names |= {f"workflow.creationTimestamp.{c}" for c in STRFTIME_CHARS}
    names |= {f"workflow.scheduledTime" for _ in [cron] if cron}
    parameters = (spec.get("arguments") or {}).get("parameters") or []
    names |= {f"workflow.parameters.{p.get('name')}" for p in parameters if isinstance(p, dict)}
    names |= {f"workflow.labels.{k}" for k in metadata.get("labels") or {}}
    names |= {f"workflow.annotations.{k}" for k in metadata.get("annotations") or {}}
    names |= {f"workflow.outputs.{kind}.{item['globalName']}" for kind, item in _all_outputs(spec)
              if isinstance(item, dict) and item.get("globalName")}
    return Scope(names)


def _all_outputs(spec: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    for template in spec.get("templates") or []:
        outputs = template.get("outputs") or {} if isinstance(template, dict) else {}
        for kind in ("parameters", "artifacts"):
            for item in outputs.get(kind) or []:
                yield kind, item


class _Checker:
    def __init__(self, templates: Mapping[str, Any], globals_: Scope, base: list[PathKey]) -> None:
        self.templates, self.globals, self.base = templates, globals_, base
        self.findings: list[Finding] = []

    def template(self, template: Mapping[str, Any], path: list[PathKey]) -> None:
        scope = self.globals.plus(_template_names(template))
        for key, value in template.items():
            if key not in ("dag", "steps", "outputs"):
                self.strings(value, path + [key], scope)
        if "dag" in template:
            self.dag(template, path, scope)
        elif "steps" in template:
            self.steps(template, path, scope)
        else:
            self.strings(template.get("outputs"), path + ["outputs"], scope)

    def dag(self, template: Mapping[str, Any], path: list[PathKey], scope: Scope) -> None:
        tasks = [t for t in (template.get("dag") or {}).get("tasks") or [] if isinstance(t, dict)]
        by_name = {str(t.get("name")): t for t in tasks}
        for index, task in enumerate(tasks):
            nodes = Nodes("tasks", functools.partial(_is_ancestor, task=task, tasks=by_name), by_name, self.templates)
            self.task(task, path + ["dag", "tasks", index], scope.plus(nodes=nodes))
        everyone = scope.plus(nodes=Nodes("tasks", lambda name: True, by_name, self.templates))
        self.strings(template.get("outputs"), path + ["outputs"], everyone)

    def steps(self, template: Mapping[str, Any], path: list[PathKey], scope: Scope) -> None:
        earlier: dict[str, Any] = {}
        for g, group in enumerate(template.get("steps") or []):
            for s, step in enumerate(group or []):
                if isinstance(step, dict):
                    inner = scope.plus(nodes=Nodes("steps", lambda name: True, dict(earlier), self.templates))
                    self.task(step, path + ["steps", g, s], inner)
            earlier.update({str(step.get("name")): step for step in group or [] if isinstance(step, dict)})
        everyone = scope.plus(nodes=Nodes("steps", lambda name: True, earlier, self.templates))
        self.strings(template.get("outputs"), path + ["outputs"], everyone)

    def task(self, task: Mapping[str, Any], path: list[PathKey], scope: Scope) -> None:
        if "template" in task and task["template"] not in self.templates:
            self.findings.append((path + ["template"], f"template {task['template']!r} is not defined"
                                                       f"{did_you_mean(str(task['template']), self.templates)}"))
        loop = "withItems" in task or "withParam" in task or "withSequence" in task
        inner = scope.plus({"item"}, {"item."}) if loop else scope
        for key, value in task.items():
            if key not in ("name", "template", "depends", "dependencies"):
                self.strings(value, path + [key], scope if key in ("withParam", "withItems") else inner)

    def strings(self, value: object, path: list[PathKey], scope: Scope) -> None:
        for where, text in _strings(value, path):
            for match in _TAG.finditer(text):
                problem = _problem(match.group(1), scope)
                if problem:
                    self.findings.append((where, problem))

    def reachable(self, spec: Mapping[str, Any]) -> None:
        """Templates a run would reach must be ones a host process can run."""
        seen: set[str] = set()
        todo = [(spec.get("entrypoint"), self.base + ["entrypoint"]), (spec.get("onExit"), self.base + ["onExit"])]
        while todo:
            name, path = todo.pop()
            if not name or name in seen or name not in self.templates:
                continue
            seen.add(name)
            todo.extend(self._visit(self.templates[name], name))

    def _visit(self, template: Mapping[str, Any], name: str) -> list[tuple[str, list[PathKey]]]:
        path = self.base + ["templates", list(self.templates).index(name)]
        kind = next((k for k in _KINDS if k in template), None)
        if kind is not None or not any(k in template for k in RUNNABLE):
            self.findings.append((path, f"template {name!r} is a {kind or 'kind of'} template, which needs a "
                                        "cluster; the local runner runs container, script, steps and dag templates"))
            return []
        for key in ("sidecars", "initContainers"):
            if template.get(key):
                self.findings.append((path + [key], f"template {name!r} has {key}, which run beside its program in a "
                                                    "pod; the local runner runs one program per task"))
        nested = [(t, p) for t, p in _tasks(template, path)]
        for task, task_path in nested:
            for key in ("templateRef", "inline"):
                if key in task:
                    self.findings.append((task_path + [key], f"{key} needs templates the cluster holds; the local "
                                                             "runner runs only templates of this Workflow"))
        return [(str(t["template"]), p) for t, p in nested if "template" in t]


def _tasks(template: Mapping[str, Any], path: list[PathKey]) -> Iterator[tuple[Mapping[str, Any], list[PathKey]]]:
    for index, task in enumerate((template.get("dag") or {}).get("tasks") or []):
        if isinstance(task, dict):
            yield task, path + ["dag", "tasks", index]
    for g, group in enumerate(template.get("steps") or []):
        for s, step in enumerate(group or []):
            if isinstance(step, dict):
                yield step, path + ["steps", g, s]


def _template_names(template: Mapping[str, Any]) -> set[str]:
    inputs, outputs = template.get("inputs") or {}, template.get("outputs") or {}
    names = {"inputs.parameters"}
    names |= {f"inputs.parameters.{p.get('name')}" for p in inputs.get("parameters") or []}
    names |= {f"inputs.artifacts.{a.get('name')}" for a in inputs.get("artifacts") or []}
    if "container" in template or "script" in template:
        names |= {"pod.name", "retries"}
        names |= {f"inputs.artifacts.{a.get('name')}.path" for a in inputs.get("artifacts") or []}
        names |= {f"outputs.artifacts.{a.get('name')}.path" for a in outputs.get("artifacts") or []}
        names |= {f"outputs.parameters.{p.get('name')}.path" for p in outputs.get("parameters") or []}
    if "retryStrategy" in template:
        names |= {f"lastRetry.{f}" for f in ("exitCode", "status", "duration", "message")}
    return names


def _is_ancestor(name: str, task: Mapping[str, Any], tasks: Mapping[str, Any]) -> bool:
    """Whether ``task`` waits for ``name``, directly (the usual case, answered at once) or not."""
    seen: set[str] = set()
    todo = list(_waits_for(task))
    while todo:
        earlier = todo.pop()
        if earlier == name:
            return True
        if earlier not in seen and earlier in tasks:
            seen.add(earlier)
            todo.extend(_waits_for(tasks[earlier]))
    return False


def _waits_for(task: Mapping[str, Any]) -> set[str]:
    try:
        return depends_names(str(task["depends"])) if task.get("depends") else set(task.get("dependencies") or [])
    except Exception:  # a malformed depends is the runner's to report, with its own message
        return set()


def _strings(value: object, path: list[PathKey]) -> Iterator[tuple[list[PathKey], str]]:
    if isinstance(value, str):
        if "{{" in value:
            yield path, value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, path + [index])
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, path + [key])


def _problem(tag: str, scope: Scope) -> str | None:
    """Why ``{{tag}}`` cannot be resolved here, or None (also for a tag that is not Argo's)."""
    if not is_argo_variable(tag.strip()):
        return None
    if tag.startswith("="):
        for name in expression_names(tag[1:]):
            if not scope.allows(name, partial=True):
                return _unknown(name, scope, f"{{{{{tag}}}}}")
        return None
    name = tag.strip()
    return None if scope.allows(name) else _unknown(name, scope, f"{{{{{tag}}}}}")


def _unknown(name: str, scope: Scope, shown: str) -> str:
    head = name.split(".")[0]
    nodes = scope.nodes
    if nodes is not None and head == nodes.kind and name.count(".") >= 1:
        task = name.split(".")[1]
        if task not in nodes.tasks or not nodes.visible(task):
            return (f"{shown}: {task!r} is not a {head[:-1]} this one waits for "
                    f"(a {head[:-1]} reads only the outputs of {head} it depends on)")
        return f"{shown}: unknown variable {name!r}{did_you_mean(name, nodes.candidates(task))}"
    if head == "item":
        return f"{shown}: 'item' exists only in a task with withItems or withParam"
    return f"{shown}: unknown variable {name!r}{did_you_mean(name, sorted(scope.names))}"


def expression_names(text: str) -> list[str]:
    """The variables an ``expr`` expression reads: ``inputs.parameters['a-b']`` -> ``inputs.parameters.a-b``."""
    names = []
    for chunk in _unquoted(text):
        for match in _CHAIN.finditer(chunk):
            after = chunk[match.end():].lstrip()
            name = re.sub(r"""\s*\[\s*['"]([^'"]*)['"]\s*\]""", r".\1", match.group(0))
            name = re.sub(r"\s*\.\s*", ".", name)
            if after.startswith("(") or name.split(".")[0] in _EXPR_WORDS or name.startswith("sprig."):
                continue
            names.append(name)
    return names


def _unquoted(text: str) -> list[str]:
    """The expression with string literals blanked, except keys in ``[...]`` (they name things)."""
    out, position = [], 0
    for match in _STRING.finditer(text):
        keep = text[:match.start()].rstrip().endswith("[")
        out.append(text[position:match.start()] + (match.group(0) if keep else " ''"))
        position = match.end()
    return ["".join(out) + text[position:]]
