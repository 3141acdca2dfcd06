"""What a checked pipeline file becomes: the typed records ``argo`` compiles and draws.

``load`` and ``tasks`` build them once the schema has passed the file, so every field holds
what the schema allows with its default already applied, and readers need no fallbacks.
Values the file writes freely (param defaults, loop items, tolerations) stay as YAML gave them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from registry.pipeline.kfptypes import serialize
from registry.pipeline.ops import Op, OutputRef


@dataclass(frozen=True)
class PipelineParam:
    """A declared param; its ``default`` is the ``--param`` text when one was given."""

    name: str
    type: str | None
    default: object  # None: no default
    description: str | None

    def default_text(self) -> str | None:
        """The default as the text of a workflow argument (KFP v1's serialisation)."""
        return None if self.default is None else serialize(self.default)


@dataclass(frozen=True)
class SecretRef:
    """A value kept in a Kubernetes secret: an env variable's, or an S3 key's."""

    secret: str
    key: str


# An env variable: a constant or a '{{workflow.parameters.NAME}}' reference, or a secret.
EnvValue = str | SecretRef


@dataclass(frozen=True)
class Retries:
    """A task's retry strategy as the pipeline wrote it (Argo's retryStrategy)."""

    limit: int
    policy: str | None = None
    backoff: Mapping[str, int | str] | None = None  # duration, factor, maxDuration as written


@dataclass(frozen=True)
class Resources:
    """Container limits as written (Argo gets their text); None where the file sets none."""

    cpu: str | int | float | None = None
    memory: str | None = None
    gpu: int | None = None
    gpu_vendor: str | None = None


Toleration = Mapping[str, str | int]  # Kubernetes' own keys, passed on as written


@dataclass(frozen=True)
class TaskSettings:
    """How a task's pod runs: each setting the task's own, else the pipeline's default."""

    retries: Retries | None = None
    timeout: int | None = None  # seconds
    resources: Resources | None = None
    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: Sequence[Toleration] = ()


NO_SETTINGS = TaskSettings()


@dataclass(frozen=True)
class Loop:
    """What a task iterates over: literal ``items``, a ``param``'s JSON list or a task ``output``'s."""

    items: Sequence[object] | None = None
    param: str | None = None
    output: OutputRef | None = None
    parallelism: int | None = None


@dataclass
class Task:
    """One DAG task: an op plus how and when it runs.

    A graph component's inner tasks are Tasks too, with every setting left at its default.
    """

    id: str
    op: Op
    depends: list[str] = field(default_factory=list)  # upstream task ids, file order
    when: str | None = None  # Argo expression
    when_source: str | None = None  # as the file wrote it
    loop: Loop | None = None
    env: dict[str, EnvValue] = field(default_factory=dict)
    mounts: dict[str, str] = field(default_factory=dict)  # path -> volume
    settings: TaskSettings = NO_SETTINGS


@dataclass(frozen=True)
class ClaimTemplate:
    """A volume claimed for the run alone (Argo's ``volumeClaimTemplates``)."""

    size: str
    access_mode: str = "RWO"  # as written: RWO or ReadWriteOnce, ...
    storage_class: str | None = None


@dataclass(frozen=True)
class ExistingClaim:
    """A persistent volume claim that outlives the run."""

    claim: str
    read_only: bool | None = None


Volume = ClaimTemplate | ExistingClaim


@dataclass(frozen=True)
class S3Repository:
    """Where task outputs are stored when the pipeline names an S3 bucket."""

    endpoint: str
    bucket: str
    region: str | None = None
    insecure: bool | None = None
    key_prefix: str = ""
    access_key: SecretRef | None = None
    secret_key: SecretRef | None = None


@dataclass(frozen=True)
class ConfigMapRepository:
    """The artifact repository a ConfigMap of the cluster describes."""

    config_map: str
    key: str | None = None


ArtifactRepository = S3Repository | ConfigMapRepository


@dataclass(frozen=True)
class Schedule:
    """When a CronWorkflow runs the pipeline; None where the file leaves Argo's default."""

    cron: str
    timezone: str | None = None
    concurrency_policy: str | None = None
    suspend: bool | None = None
    starting_deadline_seconds: int | None = None
    successful_jobs_history_limit: int | None = None
    failed_jobs_history_limit: int | None = None


@dataclass
class Pipeline:
    """A checked pipeline: params, volumes, tasks and settings, ready to compile or run."""

    name: str
    description: str | None
    source: str  # the file it was read from
    params: dict[str, PipelineParam]
    volumes: dict[str, Volume]
    artifact_repository: ArtifactRepository | None
    service_account: str | None
    timeout: int | None  # seconds
    schedule: Schedule | None
    tasks: dict[str, Task]
    exit_tasks: dict[str, Task]
    value_outputs: set[tuple[str, str]] = field(default_factory=set)  # outputs read as values
