"""Named errors for Keel's problems (application/problem+json, RFC 9457).

A problem's `type` is https://keel.dev/problems/<slug>; the slug picks the class, the same way
for a request Keel refused at once and for a job that failed after a wait. Every error carries
the problem as Keel sent it (`.problem`, a `Problem` dataclass) and the HTTP status.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Type

from ._wire import from_wire
from .models import Problem

PROBLEM_BASE = "https://keel.dev/problems/"


class KeelError(Exception):
    """Anything Keel answered with a problem, or a call the client could not complete."""

    def __init__(
        self,
        message: str,
        *,
        problem: Optional[Problem] = None,
        status: Optional[int] = None,
        retry_after: Optional[float] = None,
    ) -> None:
        super().__init__(message)
        #: The problem as Keel sent it (None when Keel never answered, e.g. a wait timed out).
        self.problem = problem
        #: The HTTP status (for a failed job: the problem's status).
        self.status = status if status is not None else (problem.status if problem else None)
        #: Seconds Keel asked to wait before retrying (`Retry-After`), when it said.
        self.retry_after = retry_after

    @property
    def slug(self) -> Optional[str]:
        """The stable part of the problem's `type`, e.g. `invalid-request`."""
        if self.problem is None or not self.problem.type.startswith(PROBLEM_BASE):
            return None
        return self.problem.type[len(PROBLEM_BASE) :]

    @property
    def job_id(self) -> Optional[str]:
        return self.problem.job_id if self.problem else None


class ValidationError(KeelError):
    """The request is not valid; `problem.errors` names each offending field (`input.body`)."""


class AuthError(KeelError):
    """The key is missing, not valid, lacks a role, or its tenant or plan does not allow this."""


class NotFoundError(KeelError):
    """No such task, job, review, batch… for this tenant; or no such method on the path (405)."""


class RateLimitedError(KeelError):
    """A request, token or concurrency limit was reached and the retries ran out."""


class BudgetExceededError(KeelError):
    """The tenant's monthly budget is spent (`problem.budget`)."""


class UnavailableError(KeelError):
    """Keel could not take the request now (overloaded, Temporal or the tenant store down)."""


class JobFailedError(KeelError):
    """The task ran and did not produce an answer: every candidate failed, a rule or a reviewer
    rejected it, it was cancelled or timed out."""


class WaitTimeoutError(KeelError):
    """The job was still running when the client's wait ended; `job_id` says which to look at."""

    def __init__(self, message: str, job_id: str) -> None:
        super().__init__(message)
        self._job_id = job_id

    @property
    def job_id(self) -> Optional[str]:
        return self._job_id


class KeelConnectionError(KeelError):
    """Keel could not be reached, or the connection broke, and the retries ran out."""


_BY_SLUG: Dict[str, Type[KeelError]] = {
    **dict.fromkeys(
        [
            "invalid-request",
            "malformed-json",
            "invalid-route",
            "input-rejected",
            "invalid-edit",
            "payload-too-large",
            "unsupported-media-type",
            "too-many-items",
            "idempotency-key-reused",
            "webhook-url-refused",
        ],
        ValidationError,
    ),
    **dict.fromkeys(
        ["unauthorized", "forbidden", "tenant-suspended", "task-not-in-plan", "policy-denied"],
        AuthError,
    ),
    "rate-limited": RateLimitedError,
    "too-many-auth-failures": RateLimitedError,
    "budget-exceeded": BudgetExceededError,
    **dict.fromkeys(
        [
            "overloaded",
            "temporal-unavailable",
            "tenant-store-unavailable",
            "not-ready",
            "too-many-streams",
        ],
        UnavailableError,
    ),
    **dict.fromkeys(
        [
            "task-failed",
            "all-candidates-failed",
            "output-rejected",
            "review-rejected",
            "review-expired",
            "task-cancelled",
            "task-timed-out",
            "stream-interrupted",
        ],
        JobFailedError,
    ),
}


def error_class(slug: Optional[str]) -> Type[KeelError]:
    """The class for a problem slug; `KeelError` itself for one without a class of its own."""
    if slug is None:
        return KeelError
    if slug in _BY_SLUG:
        return _BY_SLUG[slug]
    if slug in ("not-found", "method-not-allowed", "unknown-task") or slug.endswith("-not-found"):
        return NotFoundError
    return KeelError


def problem_error(
    data: Any, status: Optional[int] = None, retry_after: Optional[float] = None
) -> KeelError:
    """The named error for a problem body (parsed JSON) answered with `status`."""
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        data = {"type": "about:blank", "title": f"HTTP {status}", "status": status or 0}
    problem = from_wire(Problem, data)
    slug = problem.type[len(PROBLEM_BASE) :] if problem.type.startswith(PROBLEM_BASE) else None
    message = f"{problem.title} ({status or problem.status}{', ' + slug if slug else ''})"
    if problem.detail:
        message += f": {problem.detail}"
    if problem.errors:
        message += " [" + "; ".join(f"{e.field}: {e.message}" for e in problem.errors) + "]"
    return error_class(slug)(message, problem=problem, status=status, retry_after=retry_after)
