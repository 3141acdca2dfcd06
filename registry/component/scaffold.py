"""``creg new``: scaffold ``<dir>/<name>/<version>/component.yaml`` and a README from templates.

The templates live in ``registry/component/templates/``.  Every user value that lands in YAML goes
through the ``yaml_scalar`` filter, which emits it as a double-quoted YAML scalar built by
the YAML emitter itself, so a name or image can never inject keys or break the document.
The result is validated like any component.yaml before anything is written.
"""

from __future__ import annotations

from pathlib import Path

import jinja2
import yaml

from registry.component.model import load_component_from_text
from registry.component.version import NAME_PATTERN, VERSION_PATTERN, parse_semver
from registry.errors import ArgumentError, CregError
from registry.sources.store import atomic_write

SCAFFOLD_IMAGE = "alpine:3.20"
DEFAULT_VERSION = "0.1.0"
TEMPLATES = {"component.yaml": "component.yaml.j2", "README.md": "README.md.j2"}


class ScaffoldError(CregError):
    """The scaffold cannot be written."""


def yaml_scalar(value: object) -> str:
    """Any value -> one double-quoted YAML scalar (escapes included), never YAML structure."""
    return yaml.safe_dump(str(value), default_style='"', width=2**31 - 1, allow_unicode=True).rstrip("\n")


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("registry.component", "templates"),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
    env.filters["yaml_scalar"] = yaml_scalar
    return env


def scaffold_files(name: str, image: str, version: str, folder: str) -> dict[str, str]:
    """``{file name: text}`` of the scaffold."""
    env = _environment()
    values = {"name": name, "image": image, "version": version, "folder": folder,
              "description": f"TODO: say what {name} does."}
    return {target: env.get_template(template).render(**values) for target, template in TEMPLATES.items()}


def scaffold(name: str, base_dir: str | Path = "components", image: str = SCAFFOLD_IMAGE,
             version: str = DEFAULT_VERSION) -> Path:
    """Write the scaffold and return its folder; refuses to overwrite an existing component."""
    _check_name_and_version(name, version)
    _check_image(image)
    folder = Path(base_dir) / name / version
    if (folder / "component.yaml").exists():
        raise ScaffoldError.at(str(folder / "component.yaml"), 0, 0, "", "already exists; not overwriting it")
    files = scaffold_files(name, image, version, folder.as_posix())
    load_component_from_text(files["component.yaml"], str(folder / "component.yaml"))
    for target, text in files.items():
        atomic_write(folder / target, text.encode("utf-8"))
    return folder


def _check_image(image: str) -> None:
    """An empty image validates as YAML but no cluster can pull it."""
    if not image.strip():
        raise ArgumentError.bad_value("image", f"{image!r} is not an image reference "
                                               "(e.g. alpine:3.20, python:3.11-slim)")


def _check_name_and_version(name: str, version: str) -> None:
    if not NAME_PATTERN.match(name):
        raise ArgumentError("name", f"'{name}' is not a valid component name: letters, digits, '.', '_', '-', "
                                    "parts separated by '/' (e.g. text/upper)")
    # A new component starts on semver: publish checks every later version number against it.
    if not VERSION_PATTERN.match(version) or parse_semver(version) is None:
        raise ArgumentError.bad_value("version", f"'{version}' is not a semantic version MAJOR.MINOR.PATCH "
                                                 "(e.g. 0.1.0)")
