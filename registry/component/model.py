"""The Kubeflow Pipelines v1 component spec: model, schema validation, semantic checks.

``load_component_from_text`` / ``load_component_from_file`` return an immutable
``ComponentSpec`` or raise ``SpecError`` carrying every problem of the file at once.  The
interface (name, description, inputs, outputs) is typed; the implementation stays a read-only
mapping in the KFP layout, which the op builder walks placeholder by placeholder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from registry.component.checks import semantic_findings
from registry.errors import Problem, SpecError, YamlError
from registry.resources import checker
from registry.sources.store import sha256_digest
from registry.yamlio import Document, PathKey, load_any, load_mapping, read_limited


SPEC_FILE = "component.yaml"  # the file name of a component in a folder (KFP's convention)


def digest_of(raw: bytes) -> str:
    """KFP's component digest: sha256 of the file bytes with CRLF turned into LF."""
    return sha256_digest(raw.replace(b"\r\n", b"\n"))


# A type is a name such as 'Integer', or frozen structure such as {GCSPath: {data_type: CSV}}.
TypeSpec = str | Mapping[str, Any] | tuple[Any, ...] | None
Default = str | int | float | bool | None  # what the schema allows as an input's default


def freeze(value: Any) -> Any:
    """Plain data -> read-only data (mappings become MappingProxyType, lists tuples)."""
    if isinstance(value, dict):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """Read-only data -> plain, JSON/YAML-serialisable data."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


@dataclass(frozen=True)
class InputSpec:
    """One input of a component spec."""

    name: str
    type: TypeSpec = None
    description: str | None = None
    default: Default = None  # None when no default is declared
    optional: bool = False
    annotations: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def required(self) -> bool:
        return not self.optional and self.default is None


@dataclass(frozen=True)
class OutputSpec:
    """One output of a component spec."""

    name: str
    type: TypeSpec = None
    description: str | None = None
    annotations: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class ComponentSpec:
    """A validated component.  ``implementation`` and ``metadata`` are read-only mappings."""

    name: str | None
    description: str | None
    inputs: tuple[InputSpec, ...]
    outputs: tuple[OutputSpec, ...]
    implementation: Mapping[str, Any]
    metadata: Mapping[str, Mapping[str, str]]  # annotations and labels
    digest: str
    source: str = ""  # file path or URL it was loaded from, for messages
    text: str = field(default="", repr=False)

    @property
    def container(self) -> Mapping[str, Any] | None:
        return self.implementation.get("container")

    @property
    def graph(self) -> Mapping[str, Any] | None:
        return self.implementation.get("graph")

    def input(self, name: str) -> InputSpec | None:
        return next((i for i in self.inputs if i.name == name), None)

    def output(self, name: str) -> OutputSpec | None:
        return next((o for o in self.outputs if o.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        """The spec as plain data, in the component.yaml layout."""
        return load_any(self.text, self.source)[0]


def _build(data: dict[str, Any], digest: str, source: str, text: str) -> ComponentSpec:
    """A validated document -> the spec (the schema allows null for every optional part)."""
    return ComponentSpec(
        name=data.get("name"), description=data.get("description"),
        inputs=tuple(_input(item) for item in _present(data, "inputs", [])),
        outputs=tuple(_output(item) for item in _present(data, "outputs", [])),
        implementation=freeze(_present(data, "implementation", {})),
        metadata=freeze(_present(data, "metadata", {})), digest=digest, source=source, text=text)


def _present(data: dict[str, Any], key: str, empty: Any) -> Any:
    """``data[key]``; ``empty`` when the key is absent or null (the schema allows both)."""
    value = data.get(key)
    return empty if value is None else value


def _input(item: dict[str, Any]) -> InputSpec:
    return InputSpec(item["name"], freeze(item.get("type")), item.get("description"), item.get("default"),
                     bool(item.get("optional")), freeze(_present(item, "annotations", {})))


def _output(item: dict[str, Any]) -> OutputSpec:
    return OutputSpec(item["name"], freeze(item.get("type")), item.get("description"),
                      freeze(_present(item, "annotations", {})))


def check_document(doc: Document) -> list[Problem]:
    """Every problem of a parsed component document (schema + semantic checks), sorted.

    The fast checker answers for valid files; jsonschema runs only to explain a failure.
    """
    findings: list[tuple[list[PathKey], str, bool]] = []  # (keys are text: the loader refuses others)
    if not checker("component.schema.json").is_valid(doc.data):
        from registry.component.schema import schema_findings  # lazy: start-up (jsonschema, for failures only)

        findings = schema_findings(doc.data) + _pipeline_hint(doc.data)
    findings += semantic_findings(doc.data)
    positions, data = doc.positions, doc.data
    return sorted(positions.problem(data, path, message, key=at_key) for path, message, at_key in findings)


def _pipeline_hint(data: Any) -> list[tuple[list[Any], str, bool]]:
    """A creg pipeline passed to a component command gets told which command it wants."""
    if isinstance(data, dict) and "tasks" in data and "implementation" not in data:
        return [([], "this looks like a creg pipeline (it has 'tasks'), not a component spec; "
                     "check it with 'creg lint'", False)]
    return []


def load_component_from_text(text: str | bytes, source: str = "") -> ComponentSpec:
    raw = text.encode("utf-8") if isinstance(text, str) else text
    doc = load_mapping(raw, source)
    problems = check_document(doc)
    if problems:
        raise SpecError(problems=problems)
    return _build(doc.data, digest_of(raw), source, doc.text)


def load_component_from_file(path: str | Path) -> ComponentSpec:
    try:
        raw = read_limited(path)  # a device, a FIFO or a huge file is refused before reading
    except YamlError as exc:
        raise SpecError(problems=exc.problems) from None
    return load_component_from_text(raw, str(path))
