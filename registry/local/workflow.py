"""The parts of an Argo Workflow the local runner reads, for the type checker.

Plain dicts at run time: the runner substitutes ``{{...}}`` into the document as Argo does, so
it stays data.  It has been checked against Argo's schema before it gets here (a compiled
Workflow when it was compiled, a Workflow file by the runner), which refuses a null section:
every key is absent or of the type given, and ``Required`` keys are there.
"""

from __future__ import annotations

from typing import Required, TypedDict


class ValueFromYaml(TypedDict, total=False):
    path: str  # an output parameter read from a file
    parameter: str  # a DAG's output parameter taken from one of its tasks
    default: object


class ParameterYaml(TypedDict, total=False):
    name: Required[str]
    value: object
    default: object
    valueFrom: ValueFromYaml


class RawYaml(TypedDict):
    data: object


# 'from' is a Python keyword, hence the functional form.
ArtifactYaml = TypedDict("ArtifactYaml", {
    "name": Required[str],
    "path": str,
    "from": str,
    "raw": RawYaml,
    "optional": bool,
}, total=False)


class ParametersAndArtifactsYaml(TypedDict, total=False):
    """A template's ``inputs`` or ``outputs``, or a task's ``arguments``."""

    parameters: list[ParameterYaml]
    artifacts: list[ArtifactYaml]


class SecretKeyRefYaml(TypedDict, total=False):
    name: str
    key: str


class EnvSourceYaml(TypedDict, total=False):
    secretKeyRef: SecretKeyRefYaml


class EnvVarYaml(TypedDict, total=False):
    name: Required[str]
    value: object
    valueFrom: EnvSourceYaml


class VolumeMountYaml(TypedDict, total=False):
    name: Required[str]
    mountPath: Required[str]
    subPath: str


class ContainerYaml(TypedDict, total=False):
    image: str
    command: list[object]
    args: list[object]
    env: list[EnvVarYaml]
    volumeMounts: list[VolumeMountYaml]


class ScriptYaml(ContainerYaml, total=False):
    source: str


class DagTaskYaml(TypedDict, total=False):
    name: Required[str]
    template: str
    depends: str
    dependencies: list[str]
    when: str
    arguments: ParametersAndArtifactsYaml
    withItems: list[object]
    withParam: str


class DagYaml(TypedDict):
    tasks: list[DagTaskYaml]


class RetryStrategyYaml(TypedDict, total=False):
    limit: int | str


class TemplateYaml(TypedDict, total=False):
    name: Required[str]
    inputs: ParametersAndArtifactsYaml
    outputs: ParametersAndArtifactsYaml
    container: ContainerYaml
    script: ScriptYaml
    dag: DagYaml
    steps: list[list[DagTaskYaml]]  # groups run one after another; a group's steps side by side
    parallelism: int | str
    retryStrategy: RetryStrategyYaml
    activeDeadlineSeconds: int | str
    volumes: list[NameYaml]  # the template's own volumes


class NameYaml(TypedDict):
    name: str


class ClaimTemplateYaml(TypedDict):
    metadata: NameYaml


class WorkflowSpecYaml(TypedDict, total=False):
    entrypoint: str
    onExit: str
    templates: list[TemplateYaml]
    arguments: ParametersAndArtifactsYaml
    volumeClaimTemplates: list[ClaimTemplateYaml]
    volumes: list[NameYaml]
    activeDeadlineSeconds: int | str
    serviceAccountName: str
    priority: int
    workflowSpec: WorkflowSpecYaml  # a CronWorkflow's spec holds the workflow's


class MetadataYaml(TypedDict, total=False):
    name: str
    generateName: str
    namespace: str
    labels: dict[str, str]
    annotations: dict[str, str]


class WorkflowYaml(TypedDict, total=False):
    apiVersion: str
    kind: str
    metadata: MetadataYaml
    spec: WorkflowSpecYaml
