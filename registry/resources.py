"""Files shipped with creg: JSON Schemas, the built-in components and their index.

In a wheel they live in ``registry/_data/`` (see pyproject's force-include); in a source
checkout or an editable install they are the top-level ``schemas/``, ``components/`` and
``index.yaml`` next to the package.  Everything else reads them through this module.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any


@functools.cache
def data_root() -> Traversable:
    packaged = resources.files("registry") / "_data"
    if packaged.is_dir():
        return packaged
    return resources.files("registry") / ".."


def builtin_root() -> Path:
    """Directory holding the built-in ``index.yaml`` and ``components/``."""
    return Path(str(data_root()))


def schema_path(name: str) -> Traversable:
    return data_root() / "schemas" / name


@functools.cache
def load_schema(name: str) -> dict[str, Any]:
    """A vendored JSON Schema by file name, parsed once per process."""
    return json.loads(schema_path(name).read_text(encoding="utf-8"))


@functools.cache
def checker(name: str) -> Any:
    """A yes/no ``SchemaChecker`` for a vendored schema, built once per process.

    Much faster than jsonschema and needs no import of it; callers ask jsonschema (below)
    only to explain a document the checker says no to.
    """
    from registry.schemacheck import SchemaChecker

    return SchemaChecker(load_schema(name))


@functools.cache
def validator(name: str) -> Any:
    """A compiled jsonschema validator for a vendored schema, built once per process."""
    import jsonschema  # heavy; only commands that validate pay for it

    schema = load_schema(name)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)
