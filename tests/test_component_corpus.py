"""Every real KFP v1 component file: creg accepts what KFP 1.8.22 accepts, rejects what it rejects.

Walks ../shared/corpus when it exists (skips, visibly, in a user's clone).  The KFP 1.8.22
SDK loads every file of kfp-components (tags 0.2.5 and 1.8.22) and rejects exactly one SDK
test file: contrib/samples/openvino/deployer/component.yaml (its second, duplicate
``container`` key uses the unknown ``outputValue`` placeholder).
"""

from __future__ import annotations

from pathlib import Path

from registry import load_component_from_file
from registry.errors import CregError

FOLDERS = ["kfp-components/0.2.5", "kfp-components/1.8.22", "kfp-sdk-testdata/1.8.22"]
KFP_REJECTS = {"kfp-sdk-testdata/1.8.22/contrib/samples/openvino/deployer/component.yaml"}


def _corpus_files(corpus: Path) -> list[Path]:
    files = [p for folder in FOLDERS for p in sorted((corpus / folder).rglob("*.yaml"))]
    return [p for p in files if p.name == "component.yaml" or p.name.endswith(".component.yaml")]


def test_corpus_matches_kfp(shared_dir: Path) -> None:
    corpus = shared_dir / "corpus"
    files = _corpus_files(corpus)
    assert len(files) >= 84 + 287 + 10, f"corpus looks incomplete: {len(files)} files"
    rejected: dict[str, CregError] = {}
    for path in files:
        try:
            spec = load_component_from_file(path)
        except CregError as exc:
            rejected[path.relative_to(corpus).as_posix()] = exc
        else:
            assert spec.digest.startswith("sha256:") and spec.source == str(path)
    assert set(rejected) == KFP_REJECTS, {k: str(v) for k, v in rejected.items()}
    (problem, *_) = rejected[next(iter(KFP_REJECTS))].problems
    assert problem.line > 0 and problem.column > 0 and problem.file.endswith("deployer/component.yaml")
    assert "container" in problem.message


def test_corpus_has_graph_and_v2_placeholder_components(shared_dir: Path) -> None:
    """The corpus exercises the rarer parts of the format, so the test above means something."""
    texts = [p.read_text(encoding="utf-8") for p in _corpus_files(shared_dir / "corpus")]
    assert any("graph:" in t and "taskOutput" in t for t in texts)
    assert any("fileOutputs" in t for t in texts)
    assert any("isPresent" in t for t in texts)
