"""Argo's schema in a prepared form: parsed once per machine, not on every compile.

The vendored schema is 610 kB of JSON; parsing it was ~5 ms of every ``creg compile`` (3x that
on a busy machine).  Its parsed form is kept with ``marshal`` (several times faster to read)
in the user cache folder, under a name made of the source file's size and modification time
and the Python version (marshal's format is the interpreter's), so an updated schema or
interpreter is parsed afresh: the JSON file stays the one source of truth.  The entry is
written atomically; one that cannot be read or written only costs the parse.
"""

from __future__ import annotations

import marshal
import os
import sys
from pathlib import Path
from typing import Any

from registry.resources import load_schema, schema_path
from registry.sources.store import cache_root


def prepared_schema(name: str) -> dict[str, Any]:
    """The parsed schema ``name``, as ``load_schema`` gives it, from the cache when it can."""
    entry = _entry(name)
    if entry is not None:
        try:
            data = marshal.loads(entry.read_bytes())
            if isinstance(data, dict):
                return data
        except (OSError, EOFError, ValueError, TypeError):
            pass  # absent or damaged: parse and write it again
    data = load_schema(name)
    if entry is not None:
        _write(entry, marshal.dumps(data))
    return data


def _entry(name: str) -> Path | None:
    try:
        stat = os.stat(str(schema_path(name)))
    except (OSError, TypeError):
        return None  # not a plain file (a zipped install): parse every time
    version = f"{sys.version_info.major}{sys.version_info.minor}"
    return cache_root() / "schemas" / f"{name}-{stat.st_size}-{stat.st_mtime_ns}-py{version}.marshal"


def _write(entry: Path, data: bytes) -> None:
    import tempfile  # lazy: start-up (~4 ms; only the first compile of a schema writes the entry)

    try:
        entry.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-")
    except OSError:
        return
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, entry)
    except OSError:
        Path(temporary).unlink(missing_ok=True)
