"""``creg graph --format svg|png`` with the real Graphviz, where it is installed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpers_registry import creg

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed (apt-get install graphviz)")


@needs_dot
def test_svg_from_real_graphviz(tmp_path: Path) -> None:
    out = tmp_path / "calculation.svg"
    result = creg("graph", str(EXAMPLES / "calculation.yaml"), "--format", "svg", "-o", str(out))
    assert result.returncode == 0, result.stderr
    import html

    svg = html.unescape(out.read_text(encoding="utf-8"))  # Graphviz writes '-' as &#45;
    assert svg.lstrip().startswith(("<?xml", "<svg")) and "</svg>" in svg
    for label in ("add-1", "divmod", "add-2", "add@1.0.0", "quotient"):
        assert label in svg


@needs_dot
def test_png_from_real_graphviz(tmp_path: Path) -> None:
    out = tmp_path / "calculation.png"
    result = creg("graph", str(EXAMPLES / "conditional.yaml"), "--format", "png", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
