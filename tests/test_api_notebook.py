"""examples/calculation.ipynb, executed end to end by nbclient with a real ipykernel running this
interpreter: functions in cells become components, the pipeline compiles and runs locally, and
the displays carry the expected HTML."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import nbclient
import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "examples" / "calculation.ipynb"
KERNEL = "creg-test"


def install_kernel() -> None:
    """A kernelspec for this interpreter in the (isolated) HOME, so the kernel imports this creg."""
    subprocess.run([sys.executable, "-m", "ipykernel", "install", "--user", "--name", KERNEL],
                   check=True, capture_output=True, timeout=120)


def outputs_of(cell: Any) -> tuple[str, str]:
    """The cell's text/html and text/plain (display data, results and printed text)."""
    html, plain = "", ""
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        html += data.get("text/html", "")
        plain += data.get("text/plain", "") + output.get("text", "")
    return html, plain


def cell_with(nb: Any, source: str) -> Any:
    return next(cell for cell in nb.cells if cell.cell_type == "code" and cell.source.strip().startswith(source))


def test_the_notebook_is_committed_without_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    assert all(not cell.get("outputs") and cell.get("execution_count") is None
               for cell in nb.cells if cell.cell_type == "code")


def test_the_calculation_notebook_runs_end_to_end(tmp_path: Path) -> None:
    install_kernel()
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, kernel_name=KERNEL, timeout=300,
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    errors = [o for cell in nb.cells for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []

    add_html, add_plain = outputs_of(cell_with(nb, "add_op ="))
    assert "component Add" in add_html and "<td style=\"text-align:left\">python:3.11</td>" in add_html
    assert add_plain.startswith("<Component 'Add' (a: Float, b: Float) -> (Output: Float)")
    divmod_html, _ = outputs_of(cell_with(nb, "divmod_op ="))
    assert ">quotient<" in divmod_html and ">remainder<" in divmod_html

    pipeline_html, _ = outputs_of(cell_with(nb, "pipeline = registry.Pipeline.load"))
    svg = ET.fromstring(pipeline_html[pipeline_html.index("<svg"):pipeline_html.index("</svg>") + 6])
    labels = {t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")}
    assert {"add-1", "divmod", "add-2"} <= labels
    lint_html, _ = outputs_of(cell_with(nb, "pipeline.lint()"))
    assert "no problems" in lint_html
    _, yaml_text = outputs_of(cell_with(nb, "workflow = pipeline.compile()"))
    assert yaml_text.startswith("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\n")

    run_html, run_plain = outputs_of(cell_with(nb, "run = pipeline.run"))
    assert re.fullmatch(r"<Run 'calculation-[a-z0-9]{5}' Succeeded 3/3 tasks>", run_plain.strip()), run_plain
    assert run_html.count(">Succeeded</span>") == 4  # the run and each of its three tasks
    assert 'data-phase="Succeeded"' in run_html
    _, result = outputs_of(cell_with(nb, "run.outputs"))
    values = json.loads(result.replace("'", '"'))
    assert values["add-1"] == {"output": "11.0"}  # 7 + 4
    assert values["divmod"] == {"quotient": "1.0", "remainder": "3.0"}  # divmod(11, 8)
    assert values["add-2"] == {"output": "18.0"}  # 1 + 17
    assert (tmp_path / "calculation-run" / "nodes").is_dir()
