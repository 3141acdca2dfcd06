"""The pipeline file as ``schemas/pipeline.schema.json`` lets it be, for the type checker.

These are plain dicts at run time (no cost, no copy): once the schema has passed a file, the
builders read it through these types, and what they build from it is ``model``.  Keys the
schema requires are ``Required``; every other key may be absent but, where present, has the
type given.  Values the schema leaves open (constants, args) are ``object``.
"""

from __future__ import annotations

from typing import Required, TypedDict


class ParamYaml(TypedDict, total=False):
    type: str
    default: object
    description: str


class SecretYaml(TypedDict):
    secret: str
    key: str


class RetriesYaml(TypedDict, total=False):
    limit: Required[int]
    policy: str
    backoff: dict[str, int | str]


class ResourcesYaml(TypedDict, total=False):
    cpu: str | int | float
    memory: str
    gpu: int
    gpuVendor: str


class SettingsYaml(TypedDict, total=False):
    """What a task sets for its pod, and what ``defaults`` sets for every task."""

    retries: int | RetriesYaml
    timeout: int | str
    resources: ResourcesYaml
    nodeSelector: dict[str, str]
    tolerations: list[dict[str, str | int]]


class LoopYaml(TypedDict, total=False):
    items: list[object]
    param: str
    output: str
    parallelism: int


class TaskYaml(SettingsYaml, total=False):
    component: str
    image: str
    command: list[object]
    args: object  # a mapping for a component task, a list for an inline container
    outputs: dict[str, str]
    after: str | list[str]
    when: str
    loop: LoopYaml
    mounts: dict[str, str]
    env: dict[str, object]


class VolumeYaml(TypedDict, total=False):
    """One of two shapes: ``size`` (+ ``accessMode``, ``storageClass``) or ``claim`` (+ ``readOnly``)."""

    size: str
    accessMode: str
    storageClass: str
    claim: str
    readOnly: bool


class S3Yaml(TypedDict, total=False):
    endpoint: Required[str]
    bucket: Required[str]
    region: str
    insecure: bool
    keyPrefix: str
    accessKey: SecretYaml
    secretKey: SecretYaml


class RepositoryYaml(TypedDict, total=False):
    """One of two shapes: ``s3``, or ``configMap`` (+ ``key``)."""

    s3: S3Yaml
    configMap: str
    key: str


class ScheduleYaml(TypedDict, total=False):
    cron: Required[str]
    timezone: str
    concurrencyPolicy: str
    suspend: bool
    startingDeadlineSeconds: int
    successfulJobsHistoryLimit: int
    failedJobsHistoryLimit: int


# 'finally' is a Python keyword, hence the functional form.
PipelineYaml = TypedDict("PipelineYaml", {
    "apiVersion": str,
    "name": Required[str],
    "description": str,
    "params": dict[str, ParamYaml],
    "env": dict[str, object],
    "volumes": dict[str, VolumeYaml],
    "artifactRepository": RepositoryYaml,
    "serviceAccount": str,
    "timeout": int | str,
    "defaults": SettingsYaml,
    "schedule": ScheduleYaml,
    "tasks": Required[dict[str, TaskYaml]],
    "finally": dict[str, TaskYaml],
}, total=False)
