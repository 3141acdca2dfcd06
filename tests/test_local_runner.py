"""``creg run``: pipelines executed on this machine, as real processes, with real files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers_registry import RegistryServer, creg
from registry.index.resolve import RegistryOptions
from registry.local.runner import RunResult, run_pipeline_file

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

# Programs for inline containers: write argv[2] (or the sum of the JSON list argv[2]) to argv[1].
WRITE = ("import os, sys; p = sys.argv[1]; os.makedirs(os.path.dirname(p), exist_ok=True); "
         "v = sys.argv[2]; open(p, 'w').write(v)")
SUM = WRITE.replace("import os", "import json, os").replace("write(v)", "write(str(sum(json.loads(v))))")


def run(path: Path, tmp_path: Path, **params: str) -> RunResult:
    return run_pipeline_file(path, RegistryOptions(), params, tmp_path / "run")


def outputs(result: RunResult) -> dict[str, dict[str, str]]:
    return {node.id: node.parameters for node in result.nodes}


def phases(result: RunResult) -> dict[str, str]:
    return {node.id: node.phase for node in result.nodes}


def pipeline(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pipeline.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_calculation_example_computes_the_chapter_result(tmp_path: Path) -> None:
    result = run(EXAMPLES / "calculation.yaml", tmp_path)
    assert result.phase == "Succeeded"
    got = outputs(result)
    assert got["calculation.add-1"] == {"sum": "11.0"}                 # 7 + 4
    assert got["calculation.divmod"]["quotient"] == "1.0"              # divmod(11, 8)
    assert got["calculation.add-2"] == {"sum": "18.0"}                 # 1 + 17
    remainder = result.folder / "nodes" / "calculation.divmod" / "outputs" / "remainder" / "data"
    assert remainder.read_text() == "3.0"
    divmod_node = next(n for n in result.nodes if n.id == "calculation.divmod")
    assert divmod_node.shown_outputs() == {"quotient": "1.0", "remainder": "3.0"}  # unread outputs show too


def test_params_override_defaults(tmp_path: Path) -> None:
    result = run(EXAMPLES / "calculation.yaml", tmp_path, a="100")
    assert outputs(result)["calculation.add-2"] == {"sum": "30.0"}     # (100+4)//8 + 17


@pytest.mark.parametrize("value, taken", [(5, "process-small"), (30, "process-medium"), (70, "process-large")])
def test_conditions_pick_one_branch(tmp_path: Path, value: int, taken: str) -> None:
    text = (EXAMPLES / "conditional.yaml").read_text().replace(
        "args: {minimum: 0, maximum: 100}", f"args: {{minimum: {value}, maximum: {value}}}")
    assert str(value) in text, "the example changed shape; update this test"
    result = run(pipeline(tmp_path, text), tmp_path)
    branches = {k.split(".")[-1]: v for k, v in phases(result).items() if ".process-" in k}
    assert branches == {name: ("Succeeded" if name == taken else "Skipped")
                        for name in ("process-small", "process-medium", "process-large")}


# With a parallelism limit the loop runs inside a wrapper DAG, which must hand its outputs on.
@pytest.mark.parametrize("limit", ["", ", parallelism: 2"])
def test_loops_fan_out_and_aggregate_and_exit_handler_sees_status(tmp_path: Path, limit: str) -> None:
    path = pipeline(tmp_path, f"""
name: loops
params:
  factor: {{type: Integer, default: 3}}
tasks:
  make-list:
    image: python:3.11
    command: [python3, -c, "{WRITE}"]
    args: [/tmp/outputs/list/data, '[1, 2, 3]']
    outputs: {{list: /tmp/outputs/list/data}}
  scale:
    image: python:3.11
    loop: {{output: make-list{limit}}}
    command: [python3, -c, "import os, sys; p = sys.argv[1]; os.makedirs(os.path.dirname(p), exist_ok=True); open(p, 'w').write(str(int(sys.argv[2]) * int(sys.argv[3])))"]
    args: [/tmp/outputs/v/data, {{item: null}}, {{param: factor}}]
    outputs: {{v: /tmp/outputs/v/data}}
  total:
    image: python:3.11
    command: [python3, -c, "{SUM}"]
    args: [/tmp/outputs/t/data, {{output: scale}}]
    outputs: {{t: /tmp/outputs/t/data}}
finally:
  report:
    image: python:3.11
    command: [python3, -c, "import sys; print('status', sys.argv[1])"]
    args: ['{{{{workflow.status}}}}']
""")
    result = run(path, tmp_path)
    assert result.phase == "Succeeded", [(n.id, n.message) for n in result.nodes]
    iterations = {k.rsplit(".", 1)[-1]: v for k, v in outputs(result).items() if "scale(" in k}
    assert [iterations[f"scale({i}:{i + 1})"]["v"] for i in range(3)] == ["3", "6", "9"]
    assert (result.folder / "nodes" / "loops.total" / "outputs" / "t" / "data").read_text() == "18"
    assert "status Succeeded" in (result.folder / "nodes" / "loops.onExit.report" / "log.txt").read_text()


def test_a_failure_omits_dependents_fails_the_run_and_still_runs_finally(tmp_path: Path) -> None:
    path = pipeline(tmp_path, """
name: broken
tasks:
  fail:
    image: python:3.11
    command: [python3, -c, "import sys; print('about to fail'); sys.exit(3)"]
  after-fail:
    image: python:3.11
    command: [python3, -c, "print('never')"]
    after: fail
  after-after:
    image: python:3.11
    command: [python3, -c, "print('never either')"]
    after: after-fail
finally:
  report:
    image: python:3.11
    command: [python3, -c, "import sys; print('status', sys.argv[1])"]
    args: ['{{workflow.status}}']
""")
    result = run(path, tmp_path)
    got = phases(result)
    assert result.phase == "Failed"
    assert got["broken.fail"] == "Failed" and got["broken.after-fail"] == "Omitted"
    assert got["broken.after-after"] == "Omitted"  # omission travels down the chain
    failed = next(n for n in result.nodes if n.id == "broken.fail")
    assert "about to fail" in failed.message
    assert "status Failed" in (result.folder / "nodes" / "broken.onExit.report" / "log.txt").read_text()
    cli = creg("run", str(path), "--workdir", str(tmp_path / "cli"))
    assert cli.returncode == 1 and "Traceback" not in cli.stderr
    assert "broken: Failed" in cli.stdout


def test_retries_and_volumes_share_files_between_attempts_and_tasks(tmp_path: Path) -> None:
    path = pipeline(tmp_path, """
name: flaky
volumes:
  work: {size: 1Gi, accessMode: RWO}
tasks:
  flaky:
    image: python:3.11
    command: [python3, -c, "import pathlib, sys; c = pathlib.Path('/work/count'); n = int(c.read_text()) + 1 if c.exists() else 1; c.write_text(str(n)); sys.exit(0 if n >= 3 else 1)"]
    mounts: {/work: work}
    retries: 2
  reader:
    image: python:3.11
    command: [python3, -c, "import pathlib; print('count', pathlib.Path('/work/count').read_text())"]
    mounts: {/work: work}
    after: flaky
""")
    result = run(path, tmp_path)
    assert result.phase == "Succeeded"
    flaky = next(n for n in result.nodes if n.id == "flaky.flaky")
    assert flaky.message == "3 attempt(s)"
    assert "count 3" in (result.folder / "nodes" / "flaky.reader" / "log.txt").read_text()


def test_timeout_stops_a_task(tmp_path: Path) -> None:
    path = pipeline(tmp_path, """
name: slow
tasks:
  sleep:
    image: python:3.11
    command: [python3, -c, "import time; time.sleep(60)"]
    timeout: 1s
""")
    result = run(path, tmp_path)
    assert phases(result)["slow.sleep"] == "Failed"
    assert "timed out after 1s" in next(n for n in result.nodes if n.id == "slow.sleep").message


def test_secret_env_comes_from_creg_secret_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = pipeline(tmp_path, f"""
name: secret
tasks:
  show:
    image: python:3.11
    command: [python3, -c, "{WRITE.replace('v = sys.argv[2]', 'import os; v = os.environ[chr(75)]')}"]
    args: [/tmp/outputs/k/data]
    env: {{K: {{secret: minio-credentials, key: accesskey}}}}
    outputs: {{k: /tmp/outputs/k/data}}
""")
    missing = run(path, tmp_path)
    assert "set CREG_SECRET_MINIO_CREDENTIALS_ACCESSKEY" in missing.nodes[0].message
    monkeypatch.setenv("CREG_SECRET_MINIO_CREDENTIALS_ACCESSKEY", "s3cr3t")
    shutil.rmtree(tmp_path / "run")
    assert (run(path, tmp_path).folder / "nodes" / "secret.show" / "outputs" / "k" / "data").read_text() == "s3cr3t"


def test_a_task_sees_only_the_variables_its_template_declares(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREG_SECRET_DB_PASSWORD", "db-s3cr3t")
    monkeypatch.setenv("CREG_SECRET_MINIO_CREDENTIALS_ACCESSKEY", "minio-s3cr3t")
    monkeypatch.setenv("ARGO_TOKEN", "argo-s3cr3t")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws-s3cr3t")
    path = pipeline(tmp_path, """
name: isolated
tasks:
  plain:
    image: sh
    command: [sh, -c, env]
  keyed:
    image: sh
    command: [sh, -c, env]
    env: {K: {secret: minio-credentials, key: accesskey}, MODE: fast}
""")
    result = run(path, tmp_path)
    assert result.phase == "Succeeded"
    plain = (result.folder / "nodes" / "isolated.plain" / "log.txt").read_text()
    keyed = (result.folder / "nodes" / "isolated.keyed" / "log.txt").read_text()
    assert "s3cr3t" not in plain and "PATH=" in plain and "HOME=" in plain
    assert "K=minio-s3cr3t" in keyed and "MODE=fast" in keyed
    assert "db-s3cr3t" not in keyed and "argo-s3cr3t" not in keyed and "aws-s3cr3t" not in keyed
    for log in (result.folder / "nodes").glob("*/log.txt"):
        assert log.stat().st_mode & 0o777 == 0o600, log


HOSTILE = "x\n  evil: true {{workflow.name}} $(id); rm -rf / 'q' \"dq\""


def test_hostile_values_reach_the_program_unchanged(tmp_path: Path) -> None:
    path = pipeline(tmp_path, f"""
name: hostile
params:
  text: {{type: String, default: {json.dumps(HOSTILE)}}}
tasks:
  echo:
    image: python:3.11
    command: [python3, -c, "{WRITE}"]
    args: [/tmp/outputs/out/data, {{param: text}}]
    outputs: {{out: /tmp/outputs/out/data}}
""")
    result = run(path, tmp_path)
    assert (result.folder / "nodes" / "hostile.echo" / "outputs" / "out" / "data").read_text() == HOSTILE


@pytest.mark.skipif(shutil.which("wget") is None, reason="the download component needs wget on this machine")
def test_file_output_passes_as_an_artifact_over_a_local_server(tmp_path: Path) -> None:
    served = tmp_path / "served"
    served.mkdir()
    (served / "data.txt").write_text("".join(f"line {i}\n" for i in range(10)))
    with RegistryServer(served) as server:
        result = run(EXAMPLES / "file-outputs.yaml", tmp_path, url=f"{server.url}/data.txt")
    assert result.phase == "Succeeded", [(n.id, n.message) for n in result.nodes]
    log = (result.folder / "nodes" / "file-outputs.echo" / "log.txt").read_text()
    assert log.splitlines() == [f"line {i}" for i in range(5)]


def test_runs_a_compiled_workflow_file_and_checks_params(tmp_path: Path) -> None:
    compiled = tmp_path / "calculation.yaml"
    assert creg("compile", str(EXAMPLES / "calculation.yaml"), "-o", str(compiled)).returncode == 0
    # A relative --workdir means relative to where creg runs, not to each task's folder.
    ok = creg("run", str(compiled), "--param", "a=100", "--format", "json", "--workdir", "w", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    report = json.loads(ok.stdout)
    assert report["phase"] == "Succeeded"
    assert {n["id"]: n["parameters"] for n in report["nodes"]}["calculation.add-2"] == {"sum": "30.0"}
    assert report["folder"] == str(tmp_path / "w")
    typo = creg("run", str(compiled), "--param", "aa=1")
    assert typo.returncode == 2 and "did you mean 'a'" in typo.stderr and "Traceback" not in typo.stderr


def test_python_dash_m_run_help() -> None:
    result = subprocess.run([sys.executable, "-m", "registry", "run", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "CREG_SECRET_" in result.stdout


def test_a_scheduled_pipeline_runs_once_under_its_own_name(tmp_path: Path) -> None:
    result = run(EXAMPLES / "calculation-schedule.yaml", tmp_path)
    assert result.name == "calculation-schedule" and result.phase == "Succeeded"
    assert outputs(result)["calculation-schedule.add-2"] == {"sum": "18.0"}


def test_a_task_without_a_command_fails_with_the_reason(tmp_path: Path) -> None:
    result = run(EXAMPLES / "recommender.yaml", tmp_path)
    first = next(n for n in result.nodes if n.id == "recommender.updatedata")
    assert first.phase == "Failed" and "no command" in first.message


def test_loop_iterations_run_side_by_side(tmp_path: Path) -> None:
    # Each iteration records when it started and ended; all must start before any ends.
    path = pipeline(tmp_path, """
name: fan
tasks:
  wait:
    image: python:3.11
    loop: {items: [1, 2, 3, 4]}
    command: [python3, -c, "import os, sys, time; p = sys.argv[1]; os.makedirs(os.path.dirname(p), exist_ok=True); s = time.time(); time.sleep(1.5); open(p, 'w').write(f'{s} {time.time()}')"]
    args: [/tmp/outputs/span/data, {item: null}]
    outputs: {span: /tmp/outputs/span/data}
""")
    result = run_pipeline_file(path, RegistryOptions(), {}, tmp_path / "run", parallelism=4)
    spans = [[float(x) for x in (result.folder / "nodes" / f"fan.wait_{i}_{i + 1}_" / "outputs" / "span" / "data")
              .read_text().split()] for i in range(4)]
    assert max(start for start, _ in spans) < min(end for _, end in spans)


def test_the_pipeline_timeout_stops_the_run_and_the_programs_children(tmp_path: Path) -> None:
    import os
    import time

    path = pipeline(tmp_path, """
name: deadline
timeout: 2s
volumes:
  work: {size: 1Gi, accessMode: RWO}
tasks:
  slow:
    image: busybox
    command: [sh, -c, "sleep 60 & echo $! > /work/pid; wait"]
    mounts: {/work: work}
""")
    result = run(path, tmp_path)
    slow = next(n for n in result.nodes if n.id == "deadline.slow")
    assert result.phase == "Failed" and slow.phase == "Failed" and "timed out" in slow.message
    pid = int((result.folder / "volumes" / "work" / "pid").read_text())
    for _ in range(50):  # the kernel reaps the killed child shortly after
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"the program's child {pid} outlived the timeout")


def test_a_reused_workdir_never_counts_an_old_output(tmp_path: Path) -> None:
    text = """
name: maybe
params:
  write: {type: String, default: 'yes'}
tasks:
  out:
    image: python:3.11
    command: [python3, -c, "import os, sys; p = sys.argv[1]; os.makedirs(os.path.dirname(p), exist_ok=True); sys.argv[2] == 'yes' and open(p, 'w').write('FRESH')"]
    args: [/tmp/outputs/o/data, {param: write}]
    outputs: {o: /tmp/outputs/o/data}
"""
    path = pipeline(tmp_path, text)
    assert run(path, tmp_path).phase == "Succeeded"
    again = run(path, tmp_path, write="no")
    assert again.phase == "Failed" and "nothing written" in again.nodes[0].message


def test_a_workdir_holding_other_files_is_refused(tmp_path: Path) -> None:
    busy = tmp_path / "mine"
    busy.mkdir()
    (busy / "thesis.tex").write_text("precious")
    result = creg("run", str(EXAMPLES / "calculation.yaml"), "--workdir", str(busy))
    assert result.returncode == 2 and "--workdir must be a new or empty folder" in result.stderr
    assert (busy / "thesis.tex").read_text() == "precious" and sorted(p.name for p in busy.iterdir()) == ["thesis.tex"]


def test_a_folder_output_passes_as_an_artifact(tmp_path: Path) -> None:
    path = pipeline(tmp_path, """
name: folders
tasks:
  make:
    image: python:3.11
    command: [python3, -c, "import os, sys; d = sys.argv[1]; os.makedirs(d); [open(os.path.join(d, n), 'w').write(n) for n in ('a', 'b')]"]
    args: [/tmp/outputs/d/data]
    outputs: {d: /tmp/outputs/d/data}
  list:
    image: python:3.11
    command: [python3, -c, "import os, sys; print(sorted(os.listdir(sys.argv[1])))"]
    args: [{file: make.d}]
""")
    result = run(path, tmp_path)
    assert result.phase == "Succeeded", [(n.id, n.message) for n in result.nodes]
    assert "['a', 'b']" in (result.folder / "nodes" / "folders.list" / "log.txt").read_text()


def test_a_malformed_workflow_file_is_reported_not_run(tmp_path: Path) -> None:
    bad = tmp_path / "wf.yaml"
    bad.write_text("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: x-}\n"
                   "spec:\n  templates:\n  - name: main\n    container: {image: alpine, command: ['true']}\n")
    result = creg("run", str(bad))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "$.spec.entrypoint: the Workflow names no entrypoint" in result.stderr, result.stderr
    typo = tmp_path / "typo.yaml"
    typo.write_text(bad.read_text().replace("spec:\n", "spec:\n  entrypoint: main\n  templatez: []\n"))
    result = creg("run", str(typo))
    assert result.returncode == 1, result.stderr
    assert "typo.yaml:6:14: error: $.spec.templatez: unknown key 'templatez' (did you mean 'templates'?)" \
        in result.stderr, result.stderr


ESCAPING_WORKFLOW = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: escape-}
spec:
  entrypoint: main
  volumes: [{name: ../../vol, emptyDir: {}}]
  templates:
  - name: main
    outputs:
      artifacts: [{name: ../../../escaped, path: /tmp/out}]
    container:
      image: alpine
      command: [sh, -c, 'echo hi > /tmp/out']
      volumeMounts: [{name: ../../vol, mountPath: /data}]
"""


def test_a_workflow_whose_names_would_leave_the_run_folder_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "deep" / "er" / "wf.yaml"
    source.parent.mkdir(parents=True)
    source.write_text(ESCAPING_WORKFLOW, encoding="utf-8")
    result = creg("run", str(source), "--workdir", str(tmp_path / "deep" / "er" / "run"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "'../../../escaped' is not a valid Argo name" in result.stderr
    assert "'../../vol' is not a valid volume name" in result.stderr
    assert f"{source}:10:" in result.stderr  # positioned in the file
    assert sorted(p.name for p in (tmp_path / "deep").rglob("*")) == ["er", "wf.yaml"]  # no run folder, no escape


def test_a_nul_character_in_an_argument_fails_the_task_not_creg(tmp_path: Path) -> None:
    path = pipeline(tmp_path, 'name: nul\nparams: {p: {type: String, default: "a\\0b"}}\n'
                              "tasks:\n  t: {image: sh, command: [echo, {param: p}]}\n")
    result = run(path, tmp_path)
    assert result.phase == "Failed"
    assert "holds a NUL character" in next(n.message for n in result.nodes if n.id == "nul.t")


def test_a_task_writes_only_inside_the_run_folder(tmp_path: Path) -> None:
    """The script makes its output's folder and reads it back through $(dirname ...) and a pipe;
    a volume at /data must not rewrite the already-relocated output path a second time."""
    unique = f"/tmp/creg-test-{tmp_path.name}"
    path = pipeline(tmp_path, f"""
name: confined
artifactRepository:
  s3: {{endpoint: 'minio:9000', bucket: b, keyPrefix: runs}}
volumes:
  data: {{size: 1Gi}}
tasks:
  write:
    image: busybox
    command: [sh, -c, 'mkdir -p {unique}/deep && echo hi > {unique}/deep/out.csv && ls $(dirname {unique}/deep/out.csv)|cat > /data/listing && echo "pod {{{{pod.name}}}}" >> /data/listing']
    mounts: {{/data: data}}
    outputs: {{csv: {unique}/deep/out.csv}}
  read:
    image: busybox
    command: [sh, -c, 'cat "$0" /data/listing']
    args: [{{file: write.csv}}]
    mounts: {{/data: data}}
""")
    result = run(path, tmp_path)
    assert result.phase == "Succeeded", [(n.id, n.message) for n in result.nodes]
    assert not Path(unique).exists()  # nothing on this machine's /tmp
    log = (result.folder / "nodes" / "confined.read" / "log.txt").read_text().splitlines()
    assert log[0] == "hi" and log[-1].startswith("pod confined-")
    assert not any("No such file" in line for line in log)  # $(dirname ...) and '|' found the folder
    assert (result.folder / "volumes" / "data" / "listing").is_file()


def test_the_run_ids_example_gets_argos_variables(tmp_path: Path) -> None:
    import re
    import uuid

    result = run(EXAMPLES / "run-ids.yaml", tmp_path)
    assert result.phase == "Succeeded", [(n.id, n.message) for n in result.nodes]
    location = outputs(result)["run-ids.where"]["location"]
    bucket, uid, model = location.rsplit("/", 2)
    assert (bucket, model) == ("s3://models", "model") and uuid.UUID(uid)
    greetings = sorted(str(n.result) for n in result.nodes if ".greet(" in n.id)
    name = re.search(r"of (run-ids-\w{5});", greetings[0]).group(1)  # type: ignore[union-attr]
    assert all(re.fullmatch(rf"hello \w+ from {name}-greet-\d+, attempt 0 of {name}; model at {location}", g)
               for g in greetings), greetings
    report = str(next(n for n in result.nodes if n.id.endswith("report")).result)
    assert re.fullmatch(rf"{name} Succeeded on \d{{4}}-\d\d-\d\d", report)
