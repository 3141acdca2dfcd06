"""The user config file (``$XDG_CONFIG_HOME/creg/config.yaml``): which registries to search.

```yaml
registries:
  - https://example.org/creg
  - /srv/team-registry
indexMaxAge: 30   # days; an older remote index gets a warning (optional)
```
Unknown keys are errors (a typo would otherwise silently drop every registry).  Edits are
written atomically and hold a lock against concurrent edits.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from registry.errors import ArgumentError, CregError, Problem, did_you_mean
from registry.sources.fetch import is_remote, local_path
from registry.sources.store import atomic_write, file_lock

if TYPE_CHECKING:
    from registry.yamlio import Document

KEYS = ("registries", "indexMaxAge")


def config_path() -> Path:
    xdg = os.environ.get("XDG_CONFIG_HOME")
    return (Path(xdg) if xdg else Path.home() / ".config") / "creg" / "config.yaml"


def normalize_root(root: str) -> str:
    """URLs lose a trailing '/', ``file://`` URLs and paths become absolute paths."""
    root = root.strip()
    if is_remote(root):
        return root.rstrip("/")
    return str(local_path(root).expanduser().resolve())


def read_config(path: Path | None = None) -> tuple[str, ...]:
    """The registries the config file lists, checked."""
    return tuple(_read_data(path or config_path()).get("registries", []))


def configured_max_age(path: Path | None = None) -> float | None:
    """The config file's ``indexMaxAge`` (days), or None."""
    value = _read_data(path or config_path()).get("indexMaxAge")
    return float(value) if value is not None else None


def _read_data(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    from registry.yamlio import load_mapping  # lazy: start-up (yaml; only when a config file exists)

    doc = load_mapping(raw, str(path))
    problems = _config_problems(doc)
    if problems:
        raise CregError(problems=problems)
    return doc.data


def _config_problems(doc: Document) -> list[Problem]:
    """Unknown keys (a typo would silently drop every registry) and registries that are not text."""
    problems = [doc.positions.problem(doc.data, [key], f"unknown key '{key}'{did_you_mean(str(key), KEYS)}; "
                                      f"expected one of: {', '.join(KEYS)}", key=True)
                for key in doc.data if key not in KEYS]
    registries = doc.data.get("registries", [])
    if not isinstance(registries, list) or not all(isinstance(r, str) for r in registries):
        problems.append(doc.positions.problem(doc.data, ["registries"],
                                              "expected a list of registry URLs or directories"))
    age = doc.data.get("indexMaxAge")
    if "indexMaxAge" in doc.data and (isinstance(age, bool) or not isinstance(age, (int, float)) or age <= 0):
        problems.append(doc.positions.problem(doc.data, ["indexMaxAge"], "expected a number of days above 0"))
    return problems


def configured_registries(path: Path | None = None) -> list[str]:
    return list(read_config(path))


def add_registry(root: str, path: Path | None = None) -> bool:
    """Append ``root`` to the config; False when it was already there.

    A local folder must hold an ``index.yaml`` now: a typo would otherwise break every later
    command.  (URLs are not fetched here; ``creg search`` shows whether they answer.)
    """
    root = normalize_root(root)
    if not is_remote(root) and not (Path(root) / "index.yaml").is_file():
        raise ArgumentError("root", f"{root}: no index.yaml in this folder; create one with "
                                    f"'creg index build {root}' or 'creg publish COMPONENT --to {root}' first")
    return _edit(root, add=True, path=path or config_path())


def remove_registry(root: str, path: Path | None = None) -> bool:
    """Remove ``root`` (as given or normalized); False when it was not configured."""
    path = path or config_path()
    if not path.is_file():
        return False
    return _edit(root.strip(), add=False, path=path) or _edit(normalize_root(root), add=False, path=path)


def _edit(root: str, add: bool, path: Path) -> bool:
    from registry.yamlio import dump  # lazy: start-up (yaml)

    with file_lock(path.with_name(path.name + ".lock")):
        registries = read_config(path)
        if (root in registries) == add:
            return False
        changed = [*registries, root] if add else [r for r in registries if r != root]
        age = configured_max_age(path)
        kept = {"indexMaxAge": int(age) if age == int(age) else age} if age is not None else {}
        atomic_write(path, dump({"registries": changed, **kept}).encode("utf-8"))
    return True
