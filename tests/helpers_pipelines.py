"""Helpers for the pipeline tests: a loader over the built-in components folder, pipeline files
in tmp_path, the 0.2.5 archive registry of example 7, and a parser for compiled output."""

from __future__ import annotations

import hashlib
import sys
import textwrap
from pathlib import Path
from typing import Any, Callable

import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
GOLDEN = EXAMPLES / "golden"
DATA = ROOT / "tests" / "data" / "pipelines"
CREG = ROOT / ".venv" / "bin" / "creg"
GCS_MEMBER = "pipelines-0.2.5/components/google-cloud/storage/download/component.yaml"


def builtin_loader(calls: list[str] | None = None) -> Callable[[str], Any]:
    """``name@version`` -> the spec under ``components/name/version/component.yaml``."""
    from registry.component.model import load_component_from_file

    def load(ref: str) -> Any:
        if calls is not None:
            calls.append(ref)
        name, _, version = ref.partition("@")
        return load_component_from_file(ROOT / "components" / name / version / "component.yaml")

    return load


def write_pipeline(folder: Path, text: str, name: str = "pipeline.yaml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def parse(text: str) -> dict[str, Any]:
    return yaml.safe_load(text)


def templates(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    body = doc["spec"].get("workflowSpec", doc["spec"])
    return {t["name"]: t for t in body["templates"]}


def dag_tasks(doc: dict[str, Any], template: str) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in templates(doc)[template]["dag"]["tasks"]}


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def gcs_registry(root: Path, corpus: Path) -> Path:
    """A registry folder whose index serves download@0.2.5 from a tar.gz of the 0.2.5 release."""
    sys.path.insert(0, str(ROOT / "tests"))
    from helpers_registry import tar_tree, write_index

    source = corpus / "kfp-components" / "0.2.5"
    archive = tar_tree(root / "archives" / "pipelines-0.2.5.tar.gz", source, "pipelines-0.2.5")
    member = source / "components/google-cloud/storage/download/component.yaml"
    entry = {"version": "0.2.5", "digest": sha(member.read_bytes()), "description": "Download from GCS",
             "created": "2020-02-28",
             "source": {"archive": "archives/pipelines-0.2.5.tar.gz",
                        "archiveDigest": sha(archive.read_bytes()), "member": GCS_MEMBER}}
    write_index(root, {"google-cloud/storage/download": [entry]})
    return root
