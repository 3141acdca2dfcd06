"""A registry whose components have moved on, for ``outdated``, ``upgrade`` and ``who-uses``.

``add``: 1.0.0 (inputs a, b; output sum), 1.1.0 (a compatible minor: optional input c),
1.2.0 (deprecated, replaced by add@^1.3), 1.3.0, 2.0.0 (breaking: input b removed, required
input scale added), 2.1.0.  ``divide``: 1.0.0 and 2.0.0, a major that only adds an output (safe
for every pipeline).  ``echo``: 1.0.0 and 2.0.0, whose only output changes type.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helpers_publish import component_text
from helpers_registry import path_entry, write_index

A = {"name": "a", "type": "Float"}
B = {"name": "b", "type": "Float"}
C = {"name": "c", "type": "Float", "default": "0"}
SCALE = {"name": "scale", "type": "Float"}
SUM = {"name": "sum", "type": "Float"}
ADD = {"1.0.0": ([A, B], [SUM]), "1.1.0": ([A, B, C], [SUM]), "1.2.0": ([A, B, C], [SUM]),
       "1.3.0": ([A, B, C], [SUM]), "2.0.0": ([A, SCALE], [SUM]), "2.1.0": ([A, SCALE, C], [SUM])}
DIVIDE = {"1.0.0": ([A, B], [{"name": "quotient", "type": "Float"}]),
          "2.0.0": ([A, B], [{"name": "quotient", "type": "Float"}, {"name": "remainder", "type": "Float"}])}
ECHO = {"1.0.0": ([{"name": "text", "type": "String"}], [{"name": "out", "type": "String"}]),
        "2.0.0": ([{"name": "text", "type": "String"}], [{"name": "out", "type": "Integer"}])}
DEPRECATED = {"message": "rounds wrongly", "replacement": "add@^1.3"}


def entries(root: Path, name: str, table: dict[str, Any], **extra: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for version, (inputs, outputs) in table.items():
        more = extra.get(version, {})
        out.append(path_entry(root, name, version, component_text(inputs, outputs, description=f"{name} {version}"),
                              **more))
    return out


def moved_registry(root: Path) -> Path:
    write_index(root, {"add": entries(root, "add", ADD, **{"1.2.0": {"deprecated": DEPRECATED}}),
                       "divide": entries(root, "divide", DIVIDE), "echo": entries(root, "echo", ECHO)})
    return root


def digest_of(root: Path, name: str, version: str) -> str:
    from helpers_registry import sha

    return sha((root / "components" / name / version / "component.yaml").read_bytes())
