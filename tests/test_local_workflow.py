"""KFP's compiler goldens (../shared/corpus/kfp-compiler-golden) run locally as Argo would run
them: spec.arguments bind the entrypoint (artifacts too), template volumes and subPath mounts,
fieldRef env (the downward API), output parameters with fixed values, KFP's own ``{{$...}}``
tags left alone.  Those a host cannot run are refused before anything runs, with the reason;
those that reach the network (gsutil, wget) are not run here."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.errors import CregError
from registry.local.runner import run_pipeline_file

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "kfp-compiler-golden"
if not CORPUS.is_dir():
    CORPUS = Path("/work/shared/corpus/kfp-compiler-golden")
TESTDATA = CORPUS / "1.8.22" / "sdk" / "python" / "tests" / "compiler" / "testdata"

SUCCEED = ["add_pod_env", "artifact_passing_using_volume", "imagepullsecrets", "input_artifact_raw_value",
           "loop_over_lightweight_output", "opsgroups", "parallelfor_item_argument_resolving",
           "parallelfor_pipeline_param_in_items_resolving", "withitem_basic", "withitem_nested", "withparam_global",
           "withparam_global_dict", "withparam_output", "withparam_output_dict"]
RESOURCE = ["param_substitutions", "resourceop_basic", "volume_snapshotop_rokurl", "volumeop_basic", "volumeop_dag",
            "volumeop_parallel", "volumeop_sequential"]


@pytest.mark.parametrize("name", SUCCEED)
def test_a_kfp_golden_runs_as_argo_would(name: str, tmp_path: Path) -> None:
    result = run_pipeline_file(TESTDATA / f"{name}.yaml", None, {}, tmp_path / "run")
    assert result.phase == "Succeeded", [(n.id, n.message) for n in result.nodes if n.phase == "Failed"]


@pytest.mark.parametrize("name", RESOURCE)
def test_a_kfp_golden_with_a_resource_template_is_refused(name: str, tmp_path: Path) -> None:
    with pytest.raises(CregError, match="is a resource template, which needs a cluster"):
        run_pipeline_file(TESTDATA / f"{name}.yaml", None, {}, tmp_path / "run")


def test_sidecars_are_refused_before_the_run(tmp_path: Path) -> None:
    with pytest.raises(CregError, match="has sidecars, which run beside its program in a pod"):
        run_pipeline_file(TESTDATA / "sidecar.yaml", None, {}, tmp_path / "run")


def test_the_downward_api_gives_the_pod_its_names(tmp_path: Path) -> None:
    result = run_pipeline_file(TESTDATA / "add_pod_env.yaml", None, {}, tmp_path / "run")
    log = next((result.folder / "nodes").glob("*echo/log.txt")).read_text().strip()
    workflow = result.nodes[-1].id
    assert log.startswith(f"{workflow}-") and log.rsplit("-", 1)[1].isdigit()  # KFP_POD_NAME: the pod's name


def test_workflow_artifacts_bind_the_entrypoint_and_kfp_tags_pass_through(tmp_path: Path) -> None:
    path = tmp_path / "wf.yaml"
    path.write_text("""
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: bind-}
spec:
  entrypoint: main
  arguments:
    parameters: [{name: text, value: hello}]
    artifacts: [{name: text, raw: {data: '{{workflow.parameters.text}} world'}}]
  templates:
  - name: main
    inputs: {artifacts: [{name: text, path: /tmp/in}]}
    container:
      image: alpine
      command: [sh, -c, 'cat /tmp/in; echo " {{$.inputs.parameters[''x'']}} {{custom}}"']
""")
    result = run_pipeline_file(path, None, {}, tmp_path / "run")
    assert result.phase == "Succeeded", [(n.id, n.message) for n in result.nodes]
    assert result.nodes[0].result == "hello world {{$.inputs.parameters['x']}} {{custom}}"
