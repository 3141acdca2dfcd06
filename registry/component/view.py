"""What ``creg validate`` and ``creg show`` do, as library functions (no click here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from registry.errors import ArgumentError, CregError, Problem
from registry.component.model import ComponentSpec, load_component_from_file, thaw

COMPONENT_FILE = "component.yaml"
COMPONENT_SUFFIX = ".component.yaml"


def is_component_file(path: Path) -> bool:
    return path.name == COMPONENT_FILE or path.name.endswith(COMPONENT_SUFFIX)


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
    """A component's interface, implementation and digest as plain data."""
    return {
        "name": spec.name,
        "description": spec.description,
        "digest": spec.digest,
        "source": spec.source,
        "inputs": [_describe_input(item) for item in spec.inputs],
        "outputs": [{"name": o.name, "type": thaw(o.type), "description": o.description} for o in spec.outputs],
        "implementation": _describe_implementation(spec),
    }


def _describe_input(item: Any) -> dict[str, Any]:
    return {"name": item.name, "type": thaw(item.type), "default": item.default,
            "optional": item.optional, "required": item.required, "description": item.description}


def _describe_implementation(spec: ComponentSpec) -> dict[str, Any]:
    if spec.container is not None:
        container = thaw(spec.container)
        return {"kind": "container", "image": container["image"],
                **{key: container[key] for key in ("command", "args", "env") if container.get(key)}}
    if spec.graph is not None:
        tasks = thaw(spec.graph).get("tasks") or {}
        return {"kind": "graph", "tasks": [_describe_task(name, task) for name, task in tasks.items()]}
    return {"kind": "none"}


def _describe_task(name: str, task: dict[str, Any]) -> dict[str, Any]:
    ref = task.get("componentRef") or {}
    what = ref.get("name") or ref.get("url") or (ref.get("spec") or {}).get("name") or ref.get("digest")
    return {"name": name, "component": what}


def render_text(info: dict[str, Any]) -> str:
    """The human rendering of ``describe``."""
    lines = [f"name:        {info['name'] or '(unnamed)'}"]
    if info["description"]:
        first, *rest = str(info["description"]).strip().splitlines() or [""]
        lines.append(f"description: {first}" + (" ..." if rest else ""))
    lines.append(f"digest:      {info['digest']}")
    lines += _render_implementation(info["implementation"])
    lines += _render_table("inputs", [_input_row(i) for i in info["inputs"]])
    lines += _render_table("outputs", [[o["name"], _type_text(o["type"]), ""] for o in info["outputs"]])
    return "\n".join(lines)


def _render_implementation(impl: dict[str, Any]) -> list[str]:
    if impl["kind"] == "container":
        return [f"image:       {impl['image']}"]
    if impl["kind"] == "graph":
        lines = [f"image:       graph ({len(impl['tasks'])} tasks)"]
        return lines + [f"  - {t['name']}: {t['component'] or '?'}" for t in impl["tasks"]]
    return ["image:       (no implementation)"]


def _input_row(item: dict[str, Any]) -> list[str]:
    if item["default"] is not None:
        note = f"default: {item['default']!r}"
    else:
        note = "optional" if item["optional"] else "required"
    if item["optional"] and item["default"] is not None:
        note += ", optional"
    return [item["name"], _type_text(item["type"]), note]


def _type_text(value: Any) -> str:
    if value is None:
        return "(any)"
    if isinstance(value, str):
        return value
    import json

    return json.dumps(value, separators=(",", ":"))


def _render_table(title: str, rows: list[list[str]]) -> list[str]:
    if not rows:
        return [f"{title}: (none)"]
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    return [f"{title}:"] + [f"  {r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]}".rstrip() for r in rows]
