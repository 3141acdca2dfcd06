"""Files shipped with creg: JSON Schemas, the built-in components and their index.

In a wheel they live in ``registry/_data/`` (see pyproject's force-include); in a source
checkout or an editable install they are the top-level ``schemas/``, ``components/`` and
``index.yaml`` next to the package.  Everything else reads them through this module, and
gets the two kinds of schema validators here: the fast yes/no ``checker`` and the jsonschema
``validator`` that explains a "no" (to ``registry.schemareport``).

The folder is found from this module's own path, not with ``importlib.resources``: creg is
always installed as plain files (everything here is read by path), and importing
``importlib.resources`` pulls in zipfile, tempfile and shutil, about 5 ms of every command.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, Callable

from registry.schemacheck import SchemaChecker, resolve


PACKAGE = Path(__file__).parent


@functools.cache
def data_root() -> Path:
    """``registry/_data`` in a wheel, else the source checkout's top folder."""

    packaged = PACKAGE / "_data"
    if packaged.is_dir():
        return packaged
    return PACKAGE.parent


def builtin_root() -> Path:
    """Directory holding the built-in ``index.yaml`` and ``components/``."""
    return data_root()


def schema_path(name: str) -> Path:
    return data_root() / "schemas" / name


@functools.cache
def load_schema(name: str) -> dict[str, Any]:
    """A vendored JSON Schema by file name, parsed once per process."""
    return json.loads(schema_path(name).read_text(encoding="utf-8"))


@functools.cache
def checker(name: str) -> SchemaChecker:
    """A yes/no ``SchemaChecker`` for a vendored schema, built once per process.

    Much faster than jsonschema and needs no import of it; callers ask ``validator`` (below)
    only to explain a document the checker says no to.
    """
    return SchemaChecker(load_schema(name))


Adjust = Callable[[dict[str, Any]], dict[str, Any]]


@functools.cache
def validator(name: str, entry: str | None = None, inline: bool = False, adjust: Adjust | None = None) -> Any:
    """The jsonschema validator for a vendored schema, compiled once per process.

    The one place creg builds one, and only to explain a document ``checker`` rejected.
    ``adjust`` gives the schema to use in place of the file's own (Argo's strict + lenient
    reading); ``entry`` (``#/definitions/X``) validates against that definition, not the root;
    ``inline`` replaces every non-recursive ``$ref`` by its target, because jsonschema
    resolves a reference at every visit and a pipeline of thousands of tasks would spend most
    of its validation time there.
    """
    import jsonschema  # type: ignore[import-untyped]  # lazy: start-up (~33 ms); only a failure needs it

    schema = load_schema(name) if adjust is None else adjust(load_schema(name))
    if entry is not None:
        schema = {**{k: v for k, v in schema.items() if k in _ROOT_ONLY}, "$ref": entry}
    if inline:
        schema = inline_refs(schema)
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return cls(schema)


# What an entry point keeps of the root: its dialect, its base URI and the definitions it refers to.
_ROOT_ONLY = ("$schema", "$id", "$defs", "definitions")


def inline_refs(root: dict[str, Any]) -> dict[str, Any]:
    """``root`` with each local ``$ref`` replaced by its (shared, itself inlined) target.

    A reference back into a target being inlined stays a reference, so recursive schemas
    (a component's ``componentRef.spec`` is a whole component) keep working; the root's
    definitions stay in place for them.
    """
    kept = {k: v for k, v in root.items() if k in _ROOT_ONLY}
    body = _inlined({k: v for k, v in root.items() if k not in _ROOT_ONLY}, root, {}, {"#"})
    return {**body, **kept} if isinstance(body, dict) else {"allOf": [body], **kept}


def _inlined(node: Any, root: dict[str, Any], done: dict[str, Any], open_refs: set[str]) -> Any:
    if isinstance(node, list):
        return [_inlined(item, root, done, open_refs) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if ref in open_refs:  # recursive: jsonschema resolves it in the root's definitions
        return node
    rest = {k: _inlined(v, root, done, open_refs) for k, v in node.items() if k != "$ref"}
    if not isinstance(ref, str):
        return rest
    if ref not in done:
        open_refs.add(ref)
        done[ref] = _inlined(resolve(root, ref), root, done, open_refs)
        open_refs.discard(ref)
    target = done[ref]
    if not rest:
        return target
    # beside a $ref, other keywords apply too (2020-12): merge unless both say the same keyword
    if isinstance(target, dict) and not rest.keys() & target.keys():
        return {**target, **rest}
    return {**rest, "allOf": [target]}
