"""The folders carry the architecture: floors from the README's table, no upward import, no cycle.

The README's Development table is the data: each package's floor number.  Every module's
imports (module level, inside functions and under ``TYPE_CHECKING`` alike) are read with
``ast``, so a lazy import cannot hide a cycle or a dependency that goes up.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from registry.cycles import find_cycle

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "registry"
MAX_TOP_LEVEL_MODULES = 8


def floors() -> dict[str, int]:
    """``registry.<package>`` (or ``registry`` for the base) -> floor, from the README table."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d+) \| `(registry(?:\.\w+)?)`", readme, flags=re.M)
    assert rows, "README.md lost its floors table"
    return {package: int(floor) for floor, package in rows}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """Every ``registry`` module ``path`` imports, resolved to a module (not a name in one)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("registry"))
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import; write 'from registry.... import'"
            if node.module and node.module.startswith("registry"):
                found.update(_as_module(node.module, alias.name) for alias in node.names)
    return found


def _as_module(module: str, name: str) -> str:
    candidate = f"{module}.{name}"
    as_path = PACKAGE.parent.joinpath(*candidate.split("."))
    return candidate if as_path.with_suffix(".py").exists() or as_path.is_dir() else module


# ``python -m registry`` is the CLI's door, kept where Python looks for it.
ENTRY_POINTS = {"registry.__main__": "registry.commands"}


def package_of(module: str) -> str:
    if module in ENTRY_POINTS:
        return ENTRY_POINTS[module]
    parts = module.split(".")
    is_package = len(parts) > 1 and (PACKAGE / parts[1]).is_dir()
    return ".".join(parts[:2]) if is_package else "registry"


def graph() -> dict[str, set[str]]:
    return {module_name(path): imported_modules(path) for path in PACKAGE.rglob("*.py")}


def test_every_package_has_a_floor() -> None:
    table = floors()
    packages = {package_of(module) for module in graph()}
    assert packages == set(table), f"README floors table vs registry/: {packages ^ set(table)}"


def test_no_import_goes_up_a_floor() -> None:
    table = floors()
    upward = [f"{module} (floor {table[package_of(module)]}) imports {target} "
              f"(floor {table[package_of(target)]})"
              for module, targets in graph().items() for target in targets
              if table[package_of(target)] > table[package_of(module)]]
    assert upward == []


def test_no_import_cycle() -> None:
    edges = {module: sorted(t for t in targets if t != module) for module, targets in graph().items()}
    assert find_cycle(edges) is None


def test_at_most_eight_modules_at_the_top() -> None:
    top = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top


@pytest.mark.parametrize("forbidden, allowed", [("click", "registry.commands"),
                                                ("requests", "registry.sources.fetch")])
def test_only_one_place_imports(forbidden: str, allowed: str) -> None:
    importers = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n == forbidden or n.startswith(forbidden + ".") for n in names):
                importers.add(module_name(path))
    assert importers and all(m.startswith(allowed) for m in importers), importers


def test_the_checker_sees_a_cycle_and_an_upward_import(tmp_path: Path) -> None:
    """The two rules bite: a planted cycle and a planted upward import are both found."""
    edges = {"registry.a": ["registry.b"], "registry.b": ["registry.a"]}
    assert find_cycle(edges) is not None
    table = floors()
    assert table["registry.sources"] < table["registry.commands"]
    planted = tmp_path / "m.py"
    planted.write_text("from registry.commands.group import main\n", encoding="utf-8")
    assert imported_modules(planted) == {"registry.commands.group"}
