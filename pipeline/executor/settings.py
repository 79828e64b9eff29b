"""The `executor:` config section: where the stages' work runs (docs/cluster.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from pipeline.config import Settings

# Ray counts CPUs and GPUs in units of 1/10,000 (ray._raylet.RESOURCE_UNIT_SCALING): a smaller share is refused there.
RAY_GRANULARITY = 0.0001


class ExecutorSettings(Settings):
    """Where the stages' work runs: in this process, or on a Ray cluster (docs/cluster.md)."""

    kind: Literal["local", "ray"] = "local"
    """local: everything in this process; ray: ingest, detect, diagnose and translation fan out over Ray (`--executor`)."""
    address: str | None = None
    """Ray cluster to join (HOST:PORT of the head, 6379 by default, or `auto`); null: $RAY_ADDRESS, and without it a Ray
    started on this machine for the run."""
    connect_timeout_s: float = Field(default=10.0, ge=0.1, le=600)
    """How long to try reaching the cluster's address before saying it is unreachable (Ray itself retries for minutes)."""
    translate_actors: int = Field(default=1, ge=1)
    """Translation actors; each loads the model once and translates one batch at a time."""
    actor_cpus: float = Field(default=1.0, ge=RAY_GRANULARITY, le=1024)
    """CPUs Ray gives each translation actor; its CTranslate2/torch threads are this many (translate.threads is not used).
    Ray counts resources in steps of 0.0001."""
    actor_gpus: float = Field(default=0.0, ge=0, le=1024)
    """GPUs per translation actor (0: CPU only; else at least 0.0001, Ray's step)."""
    actor_memory_mb: int = Field(default=1024, ge=64)
    """Memory Ray reserves per translation actor: the model and its batches (CTranslate2 int8 opus-mt needs 0.4-1 GB)."""
    task_cpus: float = Field(default=1.0, ge=RAY_GRANULARITY, le=1024)
    """CPUs per ingest, detect and diagnose task."""
    tasks_in_flight: int | None = Field(default=None, ge=1)
    """Most tasks of a stage queued at once (bounds the driver's memory); null: twice the cluster's CPUs."""
    local_cpus: int | None = Field(default=None, ge=1)
    """CPUs of a Ray started on this machine (no address given); null: every core."""
    local_object_store_mb: int | None = Field(default=None, ge=75)
    """Object store of a Ray started on this machine (Ray's least is 75 MB); null: Ray's default (30% of memory)."""

    @field_validator("actor_gpus")
    @classmethod
    def _gpu_step(cls, value: float) -> float:
        if 0 < value < RAY_GRANULARITY:
            raise ValueError(f"a GPU share below {RAY_GRANULARITY} is none to Ray: give 0, or at least {RAY_GRANULARITY}")
        return value
