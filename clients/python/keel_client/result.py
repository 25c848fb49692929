"""What a task call returns: the job's id, its validated output (typed), and Keel's meta."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Optional, TypeVar

from .models import ResultMeta

O = TypeVar("O")


@dataclass
class TaskResult(Generic[O]):
    #: The job that produced the answer (as `GET /v1/jobs/{id}`, webhooks and usage name it).
    job_id: str
    #: The validated output: the task's `…Output` dataclass (a dict for a task newer than this).
    output: O
    #: Which provider and model answered, the path taken, validation, tokens, cost, latency.
    meta: ResultMeta
    #: True when Keel answered 202 and the client waited for the job.
    waited: bool = False
    #: With `options.singleFlight`: `leader` or `joined` (header x-keel-single-flight).
    single_flight: Optional[str] = None
