"""Checks of a component that a JSON Schema cannot express.

The KFP SDK checks these when it builds its model (``ComponentSpec._post_init``,
``GraphSpec._post_init``): input and output names are unique, placeholders and
``fileOutputs`` name declared inputs/outputs of the right side, graph arguments name
declared inputs and existing tasks, ``outputValues`` name declared outputs, tasks have no
dependency cycle, a ``componentRef`` says something.  Every check here tolerates data that
failed the schema, so all problems of a file are reported at once.
"""

from __future__ import annotations

import graphlib
from typing import Any, Iterator

from registry.component.naming import collisions, leaves_its_folder
from registry.errors import did_you_mean, one_of
from registry.component.schema import Finding
from registry.yamlio import PathKey

INPUT_PLACEHOLDERS = frozenset({"inputValue", "inputPath", "inputUri", "inputMetadata",
                                "inputOutputPortName", "isPresent"})
OUTPUT_PLACEHOLDERS = frozenset({"outputPath", "outputUri"})


class Names:
    """The declared input and output names of one component."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.inputs = _names(data.get("inputs"))
        self.outputs = _names(data.get("outputs"))

    def undeclared(self, side: str, name: Any) -> str | None:
        """The message for a reference to an undeclared input/output, or None if it is fine."""
        declared, other = (self.inputs, self.outputs) if side == "input" else (self.outputs, self.inputs)
        if name in declared:
            return None
        listed = one_of(declared) if declared else "none"
        hint = did_you_mean(str(name), declared)
        if not hint and name in other:
            hint = f" ('{name}' is an {'output' if side == 'input' else 'input'})"
        return f"undeclared {side} '{name}' (declared: {listed}){hint}"


def _names(items: Any) -> list[str]:
    if not isinstance(items, list):
        return []
    names = (item.get("name") for item in items if isinstance(item, dict))
    return list(dict.fromkeys(name for name in names if isinstance(name, str)))


def semantic_findings(data: dict[str, Any], base: list[PathKey] | None = None) -> list[Finding]:
    """Every semantic problem of a component (``base`` locates a nested ``componentRef.spec``)."""
    base = [] if base is None else base
    names = Names(data)
    found = list(_unique_names(data, base))
    implementation = data.get("implementation")
    if isinstance(implementation, dict):
        container, graph = implementation.get("container"), implementation.get("graph")
        if isinstance(container, dict):
            found += _container(container, names, base + ["implementation", "container"])
        if isinstance(graph, dict):
            found += _graph(graph, names, base + ["implementation", "graph"])
    return found


def _unique_names(data: dict[str, Any], base: list[PathKey]) -> Iterator[Finding]:
    for side in ("inputs", "outputs"):
        items = data.get(side)
        seen: set[str] = set()
        named: list[tuple[int, str]] = []
        for index, item in enumerate(items if isinstance(items, list) else []):
            name = item.get("name") if isinstance(item, dict) else None
            if isinstance(name, str) and name in seen:
                yield base + [side, index, "name"], f"duplicate {side[:-1]} name '{name}'", False
            elif isinstance(name, str):
                seen.add(name)
                named.append((index, name))
        yield from _colliding_names(named, side, base)


def _colliding_names(named: list[tuple[int, str]], side: str, base: list[PathKey]) -> Iterator[Finding]:
    """Names that would reach the program as one value, or as a file outside its folder."""
    folder = "/tmp/inputs/" if side == "inputs" else "/tmp/outputs/"
    for index, name in named:
        if leaves_its_folder(name):
            yield (base + [side, index, "name"], f"{side[:-1]} name '{name}' would be the file "
                   f"{folder}{name}/data, outside {folder}; choose another name", False)
    for position, earlier, made in collisions([name for _, name in named]):
        index, name = named[position]
        yield (base + [side, index, "name"], f"{side[:-1]} '{name}' and {side[:-1]} '{earlier}' both become "
               f"{made}, so a program would get one value for both; rename one", False)


# -- container ---------------------------------------------------------------------------------

def _container(container: dict[str, Any], names: Names, base: list[PathKey]) -> list[Finding]:
    found: list[Finding] = []
    file_outputs = container.get("fileOutputs")
    if isinstance(file_outputs, dict):
        for name in file_outputs:
            message = names.undeclared("output", name)
            if message:
                found.append((base + ["fileOutputs", name], f"fileOutputs: {message}", True))
    for field in ("command", "args"):
        items = container.get(field)
        if isinstance(items, list):
            for index, item in enumerate(items):
                found += _placeholder(item, names, base + [field, index])
    return found


def _placeholder(value: Any, names: Names, path: list[PathKey]) -> list[Finding]:
    """Name references inside one command-line item, recursing through concat and if."""
    if isinstance(value, list):
        return [f for index, item in enumerate(value) for f in _placeholder(item, names, path + [index])]
    if not isinstance(value, dict) or len(value) != 1:
        return []
    key, inner = next(iter(value.items()))
    if key in INPUT_PLACEHOLDERS or key in OUTPUT_PLACEHOLDERS:
        side = "input" if key in INPUT_PLACEHOLDERS else "output"
        message = names.undeclared(side, inner) if isinstance(inner, str) else None
        return [(path + [key], message, False)] if message else []
    if key == "concat":
        return _placeholder(inner, names, path + [key])
    if key == "if" and isinstance(inner, dict):
        return [f for part in ("cond", "then", "else") if part in inner
                for f in _placeholder(inner[part], names, path + [key, part])]
    return []


# -- graph -------------------------------------------------------------------------------------

def _graph(graph: dict[str, Any], names: Names, base: list[PathKey]) -> list[Finding]:
    listed = graph.get("tasks")
    tasks: dict[str, Any] = listed if isinstance(listed, dict) else {}  # not a mapping: the schema said so
    found: list[Finding] = []
    dependencies: dict[str, set[str]] = {}
    for task_id, task in tasks.items():
        path = base + ["tasks", task_id]
        dependencies[task_id] = set()
        if isinstance(task, dict):
            found += _task(task, names, tasks, path, dependencies[task_id])
    found += _output_values(graph.get("outputValues"), names, tasks, base + ["outputValues"])
    found += _cycles(dependencies, base + ["tasks"])
    return found


def _task(task: dict[str, Any], names: Names, tasks: dict[str, Any], path: list[PathKey],
          depends_on: set[str]) -> list[Finding]:
    found = _component_ref(task.get("componentRef"), path + ["componentRef"])
    arguments = task.get("arguments")
    if isinstance(arguments, dict):
        for name, argument in arguments.items():
            found += _graph_argument(argument, names, tasks, path + ["arguments", name], depends_on)
    return found


def _component_ref(ref: Any, path: list[PathKey]) -> list[Finding]:
    if not isinstance(ref, dict):
        return []
    if not any(ref.get(key) for key in ("name", "digest", "tag", "url", "spec")):
        return [(path, "a componentRef needs at least one of 'name', 'digest', 'tag', 'url' or 'spec'", False)]
    spec = ref.get("spec")
    return semantic_findings(spec, path + ["spec"]) if isinstance(spec, dict) else []


def _graph_argument(argument: Any, names: Names, tasks: dict[str, Any], path: list[PathKey],
                    depends_on: set[str]) -> list[Finding]:
    if not isinstance(argument, dict) or len(argument) != 1:
        return []
    graph_input, task_output = argument.get("graphInput"), argument.get("taskOutput")
    if isinstance(graph_input, dict) and isinstance(graph_input.get("inputName"), str):
        message = names.undeclared("input", graph_input["inputName"])
        return [(path + ["graphInput", "inputName"], message, False)] if message else []
    if isinstance(task_output, dict) and isinstance(task_output.get("taskId"), str):
        task_id = task_output["taskId"]
        if task_id in tasks:
            depends_on.add(task_id)
            return []
        listed = one_of(list(tasks)) if tasks else "none"
        message = f"unknown task '{task_id}' (tasks: {listed}){did_you_mean(task_id, tasks)}"
        return [(path + ["taskOutput", "taskId"], message, False)]
    return []


def _output_values(values: Any, names: Names, tasks: dict[str, Any], path: list[PathKey]) -> list[Finding]:
    if not isinstance(values, dict):
        return []
    found: list[Finding] = []
    for name, argument in values.items():
        message = names.undeclared("output", name)
        if message:
            found.append((path + [name], f"outputValues: {message}", True))
        if not (isinstance(argument, dict) and "taskOutput" in argument):
            # KFP's structure would admit a constant or a graph input here; a graph's output
            # must come from one of its tasks for creg (and for Argo's DAG outputs).
            found.append((path + [name], "an output value must be {taskOutput: {taskId: ..., outputName: ...}}",
                          False))
            continue
        found += _graph_argument(argument, names, tasks, path + [name], set())
    return found


def _cycles(dependencies: dict[str, set[str]], path: list[PathKey]) -> list[Finding]:
    try:
        graphlib.TopologicalSorter(dependencies).prepare()
    except graphlib.CycleError as exc:
        cycle = exc.args[1]
        chain = " -> ".join(f"'{task}'" for task in reversed(cycle))
        return [(path + [cycle[0]], f"tasks form a dependency cycle: {chain}", True)]
    return []
