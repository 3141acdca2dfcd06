"""Every example compiles, matches its golden file, and passes both our validator and Argo's
schema as checked by ../shared/argo/validate.py --strict --lenient.

Golden files are rewritten only with CREG_REGEN_GOLDEN=1 (never in CI): review the diff.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers_pipelines import EXAMPLES, GOLDEN, builtin_loader, dag_tasks, gcs_registry, parse, templates
from helpers_registry import RegistryServer
from registry.argo.check import validate
from registry.index.resolve import RegistryOptions
from registry.argo.compiler import compile_pipeline, registry_loader

LOCAL = ["calculation", "recommender", "conditional", "volume", "file-outputs", "calculation-schedule", "run-ids"]


def check_golden(name: str, text: str) -> None:
    golden = GOLDEN / f"{name}.yaml"
    if os.environ.get("CREG_REGEN_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert golden.is_file(), f"{golden} is missing; run with CREG_REGEN_GOLDEN=1 and review it"
    assert text == golden.read_text(encoding="utf-8"), f"{name}: output differs from {golden}"


def argo_validate(shared: Path, path: Path) -> subprocess.CompletedProcess[str]:
    script = shared / "argo" / "validate.py"
    return subprocess.run([sys.executable, str(script), "--strict", "--lenient", "--all", str(path)],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name", LOCAL)
def test_example_compiles_to_golden_and_argo_accepts_it(name: str, shared_dir: Path, tmp_path: Path) -> None:
    text = compile_pipeline(EXAMPLES / f"{name}.yaml", loader=registry_loader(RegistryOptions()))
    check_golden(name, text)
    doc = parse(text)
    validate(doc)
    out = tmp_path / f"{name}.yaml"
    out.write_text(text, encoding="utf-8")
    result = argo_validate(shared_dir, out)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK ")


@pytest.mark.parametrize("name", LOCAL)
def test_compiling_twice_gives_the_same_bytes(name: str) -> None:
    first = compile_pipeline(EXAMPLES / f"{name}.yaml", loader=builtin_loader())
    second = compile_pipeline(EXAMPLES / f"{name}.yaml", loader=builtin_loader())
    assert first == second


def test_calculation_passes_values_through_the_chain() -> None:
    doc = parse(compile_pipeline(EXAMPLES / "calculation.yaml", loader=builtin_loader()))
    tasks = dag_tasks(doc, "calculation")
    assert tasks["divmod"]["depends"] == "add-1"
    args = {p["name"]: p["value"] for p in tasks["add-2"]["arguments"]["parameters"]}
    assert args == {"a": "{{tasks.divmod.outputs.parameters.quotient}}", "b": "{{workflow.parameters.c}}"}
    params = {p["name"]: p["value"] for p in doc["spec"]["arguments"]["parameters"]}
    assert params == {"a": "7", "b": "8", "c": "17"}
    assert templates(doc)["add"]["metadata"]["annotations"]["creg.dev/component-version"] == "1.0.0"


def test_recommender_env_comes_from_the_secret_and_runs_in_order() -> None:
    doc = parse(compile_pipeline(EXAMPLES / "recommender.yaml", loader=builtin_loader()))
    tasks = dag_tasks(doc, "recommender")
    assert (tasks["trainmodel"]["depends"], tasks["publishmodel"]["depends"]) == ("updatedata", "trainmodel")
    env = {e["name"]: e for e in templates(doc)["recommender-model-publish"]["container"]["env"]}
    assert env["MINIO_SECRET"]["valueFrom"] == {"secretKeyRef": {"name": "minio-credentials", "key": "secretkey"}}
    assert {"KAFKA_BROKERS", "DEFAULT_RECOMMENDER_URL", "ALTERNATIVE_RECOMMENDER_URL"} <= set(env)
    assert "KAFKA_BROKERS" not in {e["name"] for e in templates(doc)["recommender-train"]["container"]["env"]}


def test_conditional_branches_compare_the_random_number() -> None:
    doc = parse(compile_pipeline(EXAMPLES / "conditional.yaml", loader=builtin_loader()))
    tasks = dag_tasks(doc, "conditional")
    # An expression tag: Argo evaluates the output as a variable (data), never as spliced text.
    ref = "asFloat(tasks['random-int'].outputs.parameters.output)"
    assert tasks["process-small"]["when"] == f"{{{{={ref} < 10}}}}"
    assert tasks["process-medium"]["when"] == f"{{{{={ref} > 10 && {ref} < 50}}}}"
    assert tasks["process-large"]["when"] == f"{{{{={ref} > 50}}}}"


def test_volume_example_creates_a_5gi_rwo_claim_mounted_by_both_steps() -> None:
    doc = parse(compile_pipeline(EXAMPLES / "volume.yaml", loader=builtin_loader()))
    claim = doc["spec"]["volumeClaimTemplates"][0]
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert claim["spec"]["resources"]["requests"]["storage"] == "5Gi"
    for name in ("download", "process"):
        mounts = templates(doc)[name]["container"]["volumeMounts"]
        assert mounts == [{"name": claim["metadata"]["name"], "mountPath": "/data_processing"}]


def test_file_output_travels_as_an_artifact() -> None:
    doc = parse(compile_pipeline(EXAMPLES / "file-outputs.yaml", loader=builtin_loader()))
    echo = dag_tasks(doc, "file-outputs")["echo"]
    assert echo["arguments"]["artifacts"] == [
        {"name": "download-downloaded", "from": "{{tasks.download.outputs.artifacts.downloaded}}"}]
    assert templates(doc)["echo"]["container"]["args"][1] == "/tmp/inputs/download-downloaded/data"


def test_schedule_makes_a_cron_workflow() -> None:
    doc = parse(compile_pipeline(EXAMPLES / "calculation-schedule.yaml", loader=builtin_loader()))
    assert doc["kind"] == "CronWorkflow"
    assert doc["spec"]["schedules"] == ["0 6 * * *"]
    assert doc["spec"]["concurrencyPolicy"] == "Forbid"
    assert doc["spec"]["workflowSpec"]["entrypoint"] == "calculation-schedule"


def test_gcs_download_from_the_0_2_5_archive_served_over_http(shared_dir: Path, tmp_path: Path) -> None:
    root = gcs_registry(tmp_path / "registry", shared_dir / "corpus")
    with RegistryServer(root) as server:
        loader = registry_loader(RegistryOptions(registries=(server.url,)))
        text = compile_pipeline(EXAMPLES / "gcs-download.yaml", loader=loader)
        assert server.count("archives/pipelines-0.2.5.tar.gz") == 1
    check_golden("gcs-download", text)
    doc = parse(text)
    download = templates(doc)["google-cloud-storage-download"]
    notes = download["metadata"]["annotations"]
    assert notes["creg.dev/component-version"] == "0.2.5"
    member = shared_dir / "corpus/kfp-components/0.2.5/components/google-cloud/storage/download/component.yaml"
    from helpers_pipelines import sha
    assert notes["creg.dev/component-digest"] == sha(member.read_bytes())
    assert download["container"]["command"][-2:] == ["{{inputs.parameters.gcs-path}}", "/tmp/outputs/Data/data"]
    out = tmp_path / "gcs.yaml"
    out.write_text(text, encoding="utf-8")
    result = argo_validate(shared_dir, out)
    assert result.returncode == 0, result.stdout + result.stderr
