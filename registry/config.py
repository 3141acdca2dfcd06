"""The user config file (``$XDG_CONFIG_HOME/creg/config.yaml``): which registries to search.

```yaml
registries:
  - https://example.org/creg
  - /srv/team-registry
```
Edits keep every other key, are written atomically and hold a lock against concurrent edits.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .errors import CregError
from .fetch import is_remote


def config_path() -> Path:
    xdg = os.environ.get("XDG_CONFIG_HOME")
    return (Path(xdg) if xdg else Path.home() / ".config") / "creg" / "config.yaml"


def normalize_root(root: str) -> str:
    """URLs lose a trailing '/', ``file://`` URLs and paths become absolute paths."""
    root = root.strip()
    if is_remote(root):
        return root.rstrip("/")
    from .fetch import local_path

    return str(local_path(root).expanduser().resolve())


def read_config(path: Path | None = None) -> dict[str, Any]:
    path = path or config_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    from .yamlio import load_mapping

    doc = load_mapping(raw, str(path))
    registries = doc.data.get("registries", [])
    if not isinstance(registries, list) or not all(isinstance(r, str) for r in registries):
        raise CregError(problems=[doc.positions.problem(doc.data, ["registries"],
                                                        "expected a list of registry URLs or directories")])
    return doc.data


def configured_registries(path: Path | None = None) -> list[str]:
    return list(read_config(path).get("registries", []))


def add_registry(root: str, path: Path | None = None) -> bool:
    """Append ``root`` to the config; False when it was already there."""
    return _edit(normalize_root(root), add=True, path=path or config_path())


def remove_registry(root: str, path: Path | None = None) -> bool:
    """Remove ``root`` (as given or normalized); False when it was not configured."""
    path = path or config_path()
    return _edit(root.strip(), add=False, path=path) or _edit(normalize_root(root), add=False, path=path)


def _edit(root: str, add: bool, path: Path) -> bool:
    from .store import atomic_write, file_lock
    from .yamlio import dump

    with file_lock(path.with_name(path.name + ".lock")):
        data = read_config(path)
        registries = list(data.get("registries", []))
        if (root in registries) == add:
            return False
        data["registries"] = registries + [root] if add else [r for r in registries if r != root]
        atomic_write(path, dump(data).encode("utf-8"))
    return True
