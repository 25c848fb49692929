"""Keel's Python client: typed task calls over Keel's HTTP API, standard library only.

    from keel_client import Keel, ValidationError

    keel = Keel("http://127.0.0.1:3000", api_key="...")
    result = keel.tasks.classify_ticket(subject="Refund", body="I was charged twice")
    print(result.output.category, result.meta.model, result.job_id)
"""
from ._version import __version__
from .client import Jobs, Keel
from .errors import (
    AuthError,
    BudgetExceededError,
    JobFailedError,
    KeelConnectionError,
    KeelError,
    NotFoundError,
    RateLimitedError,
    UnavailableError,
    ValidationError,
    WaitTimeoutError,
)
from .models import *  # noqa: F401,F403 - the generated dataclasses
from .models import TASK_MODELS, Job, Problem, ResultMeta, TaskOptions
from .result import TaskResult

__all__ = [
    "__version__",
    "Keel",
    "Jobs",
    "TaskResult",
    "TaskOptions",
    "Job",
    "Problem",
    "ResultMeta",
    "TASK_MODELS",
    "KeelError",
    "ValidationError",
    "AuthError",
    "NotFoundError",
    "RateLimitedError",
    "BudgetExceededError",
    "UnavailableError",
    "JobFailedError",
    "WaitTimeoutError",
    "KeelConnectionError",
]
