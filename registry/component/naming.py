"""What a component's input and output names become: Argo names and container paths (KFP v1).

On the component floor because validating a spec must know them: two names that become one
Argo parameter or one file (``A``/``a``, ``x y``/``x_y``), or a name that becomes a path
outside ``/tmp/inputs/`` (``..``), would hand a program the wrong value.  The pipeline floor
writes Argo text with the same rules (an op's command line holds ``{{inputs.parameters.NAME}}``,
a ``when`` compiles to task outputs, graph components name their inner tasks), and the argo
floor declares the same names and paths.
"""

from __future__ import annotations

import functools
import re

_INPUT_PATH = "/tmp/inputs/{}/data"
_OUTPUT_PATH = "/tmp/outputs/{}/data"


@functools.lru_cache(maxsize=4096)
def argo_name(name: str) -> str:
    """A KFP input/output name -> an Argo parameter/artifact name (``GCS path`` -> ``gcs-path``)."""
    return re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-") or "value"


def slug(text: str, fallback: str = "component") -> str:
    """A name -> a lowercase DNS label (Argo template and task names)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:63].strip("-") or fallback


def file_name(name: str) -> str:
    """A KFP input/output name -> a path segment, as KFP v1 sanitizes it (``GCS path`` -> ``GCS_path``)."""
    return re.sub(r"[^-\w.]", "_", name)


@functools.lru_cache(maxsize=4096)
def input_path(name: str) -> str:
    """Where a container reads the input ``name`` given as a file."""
    return _INPUT_PATH.format(file_name(name))


@functools.lru_cache(maxsize=4096)
def output_path(name: str) -> str:
    """Where a container writes the output ``name``."""
    return _OUTPUT_PATH.format(file_name(name))


def collisions(names: list[str]) -> list[tuple[int, str, str]]:
    """(index, earlier name, what both become) for each name that turns into the same Argo
    name or the same file as an earlier one."""
    found: list[tuple[int, str, str]] = []
    argo: dict[str, str] = {}
    files: dict[str, str] = {}
    for index, name in enumerate(names):
        for table, made, what in ((argo, argo_name(name), "the Argo name"), (files, file_name(name), "the file")):
            earlier = table.setdefault(made, name)
            if earlier != name:
                found.append((index, earlier, f"{what} {made!r}"))
                break
    return found


def leaves_its_folder(name: str) -> bool:
    """A name whose file would be ``/tmp/inputs/../data``: outside its folder, shared with an output."""
    return file_name(name) in (".", "..")
