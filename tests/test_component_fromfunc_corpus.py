"""from-func on the kubeflow/pipelines function components: the interface KFP generated, and the same outputs.

``../shared/corpus/kfp-function-components/1.8.22`` holds 69 sources, each beside the
``component.yaml`` KFP generated from it: 48 container components made from one function by a
``create_component_from_func``/``func_to_container_op`` call, and 21 graph or TFX components
(out of scope: their sources hold no such call).  For each of the 48, ``creg component from-func
component.py`` (following the file's own call) must give KFP's name, inputs (name, type,
optional, default), outputs (name, type) and image.  Two committed files were not generated from
the source as it stands (see STALE); real KFP 1.8.22 run on those sources gives what creg gives.

The components that need only the standard library also run: a one-task pipeline with KFP's
``component.yaml`` and one with creg's, run by ``creg run`` with the same arguments, must write
the same outputs.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import SHARED
from helpers_publish import CREG

CORPUS = SHARED / "corpus" / "kfp-function-components" / "1.8.22" / "components"
CONVERTERS = ("create_component_from_func", "func_to_container_op")

# Committed files that KFP did not generate from the source beside them, field by field:
# Onnx: the source's annotation was changed to OutputPath('TensorflowSavedModel') after the YAML
# was generated; hyperparameter_tuning_job: the YAML was edited by hand (its name is not one
# KFP derives from 'hyperparameter_tuning_job_run_op', its default is an int, and its program is
# not a generated launcher).
STALE: dict[str, dict[str, Any]] = {
    "_converters/OnnxModel/to_TensorflowSavedModel": {"outputs": [("converted_model", "TensorflowModel")]},
    "google-cloud/google_cloud_pipeline_components/experimental/hyperparameter_tuning_job": {
        "name": "hyperparameter_tuning_job", "inputs[8].default": 0},
}

# Arguments for the standard-library components (a test fails if one is missing here).
ARGUMENTS: dict[str, list[dict[str, Any]]] = {
    "json/Build_list": [{"item_1": '{"b": 2, "a": [1, "x"]}', "item_3": "[1, 2]"}, {}],
    "json/Build_dict": [{"key_1": "first", "value_1": '{"z": 1, "a": null}', "key_2": "second",
                         "value_2": '"text"'}, {"value_3": "[3]"}],
    "json/Combine_lists": [{"list_1": "[1, 2]", "list_2": '["a"]', "list_5": '[{"k": true}]'}, {"list_4": "[]"}],
    "ml_metrics/Aggregate_regression_metrics": [
        {"metrics_1": json.dumps({"number_of_items": 3, "max_absolute_error": 2.5, "mean_absolute_error": 1.0,
                                  "mean_squared_error": 1.5}),
         "metrics_2": json.dumps({"number_of_items": 1, "max_absolute_error": 4, "mean_absolute_error": 4,
                                  "mean_squared_error": 16})}],
    "google-cloud/google_cloud_pipeline_components/experimental/forecasting/prepare_data_for_train": [
        {"input_tables": json.dumps([{"table_type": "FORECASTING_PRIMARY", "forecasting_primary_table_metadata": {
            "time_series_identifier_columns": ["store"], "target_column": "sales", "time_column": "date",
            "unavailable_at_forecast_columns": ["promo"], "time_granularity": {"unit": "DAY", "quantity": 1},
            "weight_column": "w"}}]),
         "preprocess_metadata": json.dumps({"processed_bigquery_table_uri": "bq://p.d.t", "column_metadata": {
             "key": {"tag": "vertex_time_series_key", "type": "STRING"},
             "store": {"tag": "primary_table", "type": "STRING"},
             "sales": {"tag": "primary_table", "type": "FLOAT64"},
             "promo": {"tag": "primary_table", "type": "INT64"},
             "temp": {"tag": "primary_table", "type": "FLOAT"},
             "w": {"tag": "primary_table", "type": "FLOAT"},
             "region": {"tag": "attribute_table", "type": "STRING"}}}),
         "model_feature_columns": '["store", "sales", "temp"]'}],
}


def _sources() -> list[Path]:
    return sorted(CORPUS.rglob("component.py")) if CORPUS.is_dir() else []


def _parse(source: Path) -> ast.Module:
    with warnings.catch_warnings():  # hyperparameter_tuning_job's docstring has invalid escapes ('\\/')
        warnings.simplefilter("ignore")
        return ast.parse(source.read_text(encoding="utf-8"))


def _calls(source: Path) -> list[ast.Call]:
    tree = _parse(source)
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call) and
            (getattr(n.func, "id", None) or getattr(n.func, "attr", None)) in CONVERTERS]


def _key(source: Path) -> str:
    return source.parent.relative_to(CORPUS).as_posix()


FUNCTION_SOURCES = [s for s in _sources() if _calls(s)]
OTHER_SOURCES = [s for s in _sources() if not _calls(s)]


def _params(sources: list[Path]) -> list[Any]:
    if sources:
        return [pytest.param(s, id=_key(s)) for s in sources]
    return [pytest.param(None, id="corpus-absent")]


def _need(source: Path | None, shared_dir: Path) -> Path:
    assert source is not None, f"{CORPUS} is missing although {shared_dir} exists"
    return source


def interface(data: dict[str, Any]) -> dict[str, Any]:
    """What the issue compares: name, inputs (name, type, optional, default), outputs (name, type), image."""
    return {"name": data["name"],
            "inputs": [(i["name"], i.get("type"), bool(i.get("optional", False)), i.get("default"))
                       for i in data.get("inputs", [])],
            "outputs": [(o["name"], o.get("type")) for o in data.get("outputs", [])],
            "image": data["implementation"]["container"]["image"]}


def with_stale_fields(expected: dict[str, Any], stale: dict[str, Any]) -> dict[str, Any]:
    """``expected`` with the committed file's hand-made values in place (to compare with it)."""
    result = json.loads(json.dumps(expected))
    for field, value in stale.items():
        if field.startswith("inputs["):
            index = int(field[len("inputs["):field.index("]")])
            name, kind, optional, _ = result["inputs"][index]
            result["inputs"][index] = [name, kind, optional, value]
        else:
            result[field] = value
    return json.loads(json.dumps(result))


def creg(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CREG, *args], capture_output=True, text=True, timeout=300, cwd=cwd)


def test_the_corpus_has_48_function_components_and_21_others(shared_dir: Path) -> None:
    assert len(FUNCTION_SOURCES) == 48 and len(OTHER_SOURCES) == 21, (len(FUNCTION_SOURCES), len(OTHER_SOURCES))
    assert all(len(_calls(s)) == 1 for s in FUNCTION_SOURCES)


@pytest.mark.parametrize("source", _params(FUNCTION_SOURCES))
def test_interface_equals_kfps(source: Path | None, shared_dir: Path, tmp_path: Path) -> None:
    source = _need(source, shared_dir)
    copy = tmp_path / "component.py"
    copy.write_bytes(source.read_bytes())
    result = creg("component", "from-func", str(copy))  # follows the file's own call
    assert result.returncode == 0, result.stderr
    written = tmp_path / "component.yaml"  # every corpus call names output_component_file='component.yaml'
    assert f"wrote {written}" in result.stdout
    made = yaml.safe_load(written.read_text(encoding="utf-8"))
    committed = yaml.safe_load((source.parent / "component.yaml").read_text(encoding="utf-8"))
    ours, kfps = json.loads(json.dumps(interface(made))), json.loads(json.dumps(interface(committed)))
    stale = STALE.get(_key(source))
    if stale is None:
        assert ours == kfps
    else:  # the committed file differs from the source exactly in the stale fields
        assert ours != kfps and with_stale_fields(ours, stale) == kfps


def test_stale_committed_files_really_disagree_with_their_sources(shared_dir: Path) -> None:
    onnx = (CORPUS / "_converters/OnnxModel/to_TensorflowSavedModel/component.py").read_text()
    assert "OutputPath('TensorflowSavedModel')" in onnx and "TensorflowModel'" not in onnx
    hp = CORPUS / "google-cloud/google_cloud_pipeline_components/experimental/hyperparameter_tuning_job"
    assert "def hyperparameter_tuning_job_run_op(" in (hp / "component.py").read_text()
    assert "_creg" not in (hp / "component.yaml").read_text() and "- -ec" in (hp / "component.yaml").read_text()


@pytest.mark.parametrize("source", _params(OTHER_SOURCES))
def test_graph_and_tfx_sources_are_refused_with_a_reason(source: Path | None, shared_dir: Path) -> None:
    source = _need(source, shared_dir)
    result = creg("component", "from-func", str(source), "-o", "unused.yaml", cwd=source.parent)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "no create_component_from_func() or func_to_container_op() call" in result.stderr
    assert not (source.parent / "unused.yaml").exists()


# --- behaviour -------------------------------------------------------------------------------


def stdlib_only(source: Path) -> bool:
    """Imports only the standard library, installs nothing, runs on a plain python image."""
    committed = yaml.safe_load((source.parent / "component.yaml").read_text(encoding="utf-8"))
    container = committed["implementation"]["container"]
    if not container["image"].startswith("python:") or any("pip install" in str(c) for c in container["command"]):
        return False
    tree = _parse(source)
    (call,) = _calls(source)
    func = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == call.args[0].id)  # type: ignore[attr-defined]
    modules = {alias.name.split(".")[0] for n in ast.walk(func) if isinstance(n, ast.Import) for alias in n.names}
    modules |= {n.module.split(".")[0] for n in ast.walk(func) if isinstance(n, ast.ImportFrom) and n.module}
    return modules <= set(sys.stdlib_module_names)


STDLIB_SOURCES = [s for s in FUNCTION_SOURCES if stdlib_only(s)]


def test_every_standard_library_component_has_arguments(shared_dir: Path) -> None:
    assert sorted(_key(s) for s in STDLIB_SOURCES) == sorted(ARGUMENTS)


def run_one_task(folder: Path, component: Path, arguments: dict[str, Any]) -> dict[str, str]:
    """``creg run`` a pipeline of one task; returns {output name: the text it wrote}."""
    pipeline = {"name": "one", "tasks": {"only": {"component": f"./{component.name}", "args": arguments}}}
    (folder / "pipeline.yaml").write_text(yaml.safe_dump(pipeline), encoding="utf-8")
    result = creg("run", "pipeline.yaml", "--workdir", "run", "--format", "json", cwd=folder)
    assert result.returncode == 0, result.stdout + result.stderr
    (node,) = [n for n in json.loads(result.stdout)["nodes"] if n["id"] == "one.only"]
    files = {name: Path(path).read_text(encoding="utf-8") for name, path in node["artifacts"].items()}
    return {**node["parameters"], **files}


@pytest.mark.parametrize("source", _params(STDLIB_SOURCES))
def test_kfps_and_cregs_components_write_the_same_outputs(source: Path | None, shared_dir: Path,
                                                           tmp_path: Path) -> None:
    source = _need(source, shared_dir)
    ours = tmp_path / "creg" / "component.yaml"
    ours.parent.mkdir()
    result = creg("component", "from-func", str(source), "-o", str(ours))
    assert result.returncode == 0, result.stderr
    kfps = tmp_path / "kfp" / "component.yaml"
    kfps.parent.mkdir()
    kfps.write_bytes((source.parent / "component.yaml").read_bytes())
    for arguments in ARGUMENTS[_key(source)]:
        expected = run_one_task(kfps.parent, kfps, arguments)
        assert expected, "KFP's component wrote no output"
        assert run_one_task(ours.parent, ours, arguments) == expected
