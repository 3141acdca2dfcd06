"""What ``creg validate`` and ``creg show`` do, as library functions (no click here)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from registry.errors import ArgumentError, CregError, Problem
from registry.component.model import (SPEC_FILE, ComponentSpec, InputSpec, TypeSpec, load_component_from_file,
                                      thaw)

COMPONENT_SUFFIX = ".component.yaml"


def is_component_file(path: Path) -> bool:
    return path.name == SPEC_FILE or path.name.endswith(COMPONENT_SUFFIX)


def find_component_files(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given, directories searched recursively; a missing path is an ``ArgumentError``."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            matches = sorted(p for p in path.rglob("*.yaml") if p.is_file() and is_component_file(p))
            if not matches:
                raise ArgumentError("paths", f"{path}: no component.yaml or *.component.yaml files in this folder")
            found += matches
        elif path.exists():
            found.append(path)
        else:
            raise ArgumentError("paths", f"{path}: no such file or folder")
    return list(dict.fromkeys(found))


@dataclass
class FileResult:
    path: Path
    spec: ComponentSpec | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.spec is not None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"file": str(self.path), "valid": self.valid}
        if self.spec is not None:
            data["digest"] = self.spec.digest
        data["problems"] = [p.as_dict() for p in self.problems]
        return data


def validate_file(path: Path) -> FileResult:
    try:
        return FileResult(path, spec=load_component_from_file(path))
    except CregError as exc:
        problems = exc.problems or [Problem(str(path), 0, 0, "", str(exc))]
        return FileResult(path, problems=problems)


def validate_paths(paths: Iterable[str | Path]) -> list[FileResult]:
    return [validate_file(path) for path in find_component_files(paths)]


def describe(spec: ComponentSpec) -> dict[str, Any]:
    """A component's interface, implementation and digest as plain data (``show --format json``)."""
    return {
        "name": spec.name,
        "description": spec.description,
        "digest": spec.digest,
        "source": spec.source,
        "inputs": [_describe_input(item) for item in spec.inputs],
        "outputs": [{"name": o.name, "type": thaw(o.type), "description": o.description} for o in spec.outputs],
        "implementation": _describe_implementation(spec),
    }


def _describe_input(item: InputSpec) -> dict[str, Any]:
    return {"name": item.name, "type": thaw(item.type), "default": item.default,
            "optional": item.optional, "required": item.required, "description": item.description}


def _describe_implementation(spec: ComponentSpec) -> dict[str, Any]:
    if spec.container is not None:
        container = thaw(spec.container)
        return {"kind": "container", "image": container["image"],
                **{key: container[key] for key in ("command", "args", "env") if container.get(key)}}
    if spec.graph is not None:
        return {"kind": "graph", "tasks": [{"name": name, "component": component}
                                           for name, component in _graph_tasks(spec.graph)]}
    return {"kind": "none"}


def _graph_tasks(graph: Mapping[str, Any]) -> list[tuple[str, str | None]]:
    """``(task name, what its componentRef names)`` of every task (the schema requires both keys)."""
    tasks: Mapping[str, Mapping[str, Any]] = graph["tasks"]
    return [(name, _ref_text(task["componentRef"])) for name, task in tasks.items()]


def _ref_text(ref: Mapping[str, Any]) -> str | None:
    inline = ref.get("spec")
    return ref.get("name") or ref.get("url") or (inline.get("name") if inline else None) or ref.get("digest")


def render_text(spec: ComponentSpec) -> str:
    """What ``creg show`` prints: the interface as two tables under a short header."""
    lines = [f"name:        {spec.name or '(unnamed)'}"]
    if spec.description:
        first, *rest = spec.description.strip().splitlines() or [""]
        lines.append(f"description: {first}" + (" ..." if rest else ""))
    lines.append(f"digest:      {spec.digest}")
    lines += _implementation_lines(spec)
    lines += _table("inputs", [[i.name, _type_text(i.type), _input_note(i)] for i in spec.inputs])
    lines += _table("outputs", [[o.name, _type_text(o.type), ""] for o in spec.outputs])
    return "\n".join(lines)


def _implementation_lines(spec: ComponentSpec) -> list[str]:
    if spec.container is not None:
        return [f"image:       {spec.container['image']}"]
    if spec.graph is not None:
        tasks = _graph_tasks(spec.graph)
        return [f"image:       graph ({len(tasks)} tasks)"] + [f"  - {name}: {what or '?'}" for name, what in tasks]
    return ["image:       (no implementation)"]


def _input_note(item: InputSpec) -> str:
    if item.default is not None:
        note = f"default: {item.default!r}"
    else:
        note = "optional" if item.optional else "required"
    if item.optional and item.default is not None:
        note += ", optional"
    return note


def _type_text(value: TypeSpec) -> str:
    if value is None:
        return "(any)"
    if isinstance(value, str):
        return value
    return json.dumps(thaw(value), separators=(",", ":"))


def _table(title: str, rows: list[list[str]]) -> list[str]:
    if not rows:
        return [f"{title}: (none)"]
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    return [f"{title}:"] + [f"  {r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]}".rstrip() for r in rows]
