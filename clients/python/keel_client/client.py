"""`Keel`: run tasks, wait for jobs, cancel them. Standard library only."""
from __future__ import annotations

import http.client
import random
import socket
import time
import uuid
from typing import Any, Dict, Optional
from urllib.parse import quote

from ._transport import Response, Transport, parse_retry_after
from ._wire import from_wire, to_wire
from .errors import (
    PROBLEM_BASE,
    KeelConnectionError,
    KeelError,
    WaitTimeoutError,
    problem_error,
)
from .models import TASK_MODELS, Job, ResultMeta
from .result import TaskResult
from .tasks import Tasks

#: Job statuses after which nothing changes.
ENDED = ("completed", "failed", "cancelled", "timed_out")
#: Statuses Keel answers when retrying later is the remedy (its problems say nothing started).
RETRY_STATUSES = (429, 503)


class Keel:
    """A client of one Keel deployment, as one tenant's API key.

    >>> keel = Keel("http://127.0.0.1:3000", api_key=os.environ["KEEL_API_KEY"])
    >>> result = keel.tasks.classify_ticket(subject="Refund", body="I was charged twice")
    >>> result.output.category
    'BILLING'
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 60.0,
        max_retries: int = 2,
        max_retry_delay: float = 30.0,
        wait_timeout: float = 300.0,
        use_events: bool = True,
    ) -> None:
        """
        :param base_url: Keel's address without `/v1`, e.g. `http://127.0.0.1:3000`.
        :param api_key: a key of the tenant (`Authorization: Bearer`).
        :param timeout: seconds for each request's connect and each read (a task answers within
            its maxSyncMs, 8 s for most, or 202).
        :param max_retries: retries of a 429, a 503 or a connection failure; the idempotency key
            makes a retried task call return the same job instead of a second one.
        :param max_retry_delay: the longest wait between two attempts, whatever `Retry-After` says.
        :param wait_timeout: how long a task call waits for a job Keel answered 202 for.
        :param use_events: wait on the job's event stream (`/v1/jobs/{id}/events`); polling
            `GET /v1/jobs/{id}` when False or when the stream is not available.
        """
        self._http = Transport(base_url, api_key, timeout)
        self.max_retries = max_retries
        self.max_retry_delay = max_retry_delay
        self.wait_timeout = wait_timeout
        self.use_events = use_events
        #: One typed method per task: `keel.tasks.classify_ticket(subject=…, body=…)`.
        self.tasks = Tasks(self.run_task)
        #: `keel.jobs.get(id)`, `.wait(id)`, `.cancel(id)`.
        self.jobs = Jobs(self)

    def run_task(
        self,
        task: str,
        input: Any,
        options: Any = None,
        *,
        idempotency_key: Optional[str] = None,
        wait_timeout: Optional[float] = None,
    ) -> TaskResult[Any]:
        """Run `task` on `input` (its `…Input` dataclass or a dict of wire names) and return the
        validated output; a 202 is waited for. Raises the `KeelError` named by the problem."""
        body: Dict[str, Any] = {"input": to_wire(input)}
        if options is not None:
            body["options"] = to_wire(options)
        headers = {"idempotency-key": idempotency_key or str(uuid.uuid4())}
        res = self.call("POST", f"/v1/tasks/{quote(task, safe='')}", body, headers)
        data = res.json()
        single_flight = res.headers.get("x-keel-single-flight")
        if res.status == 200:
            return _result(task, data, waited=False, single_flight=single_flight)
        job = self.jobs.wait(data["jobId"], timeout=wait_timeout)
        if job.status != "completed":
            raise _job_error(job)
        return _result(task, job, waited=True, single_flight=single_flight)

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: Optional[Dict[str, str]] = None,
    ) -> Response:
        """One API call with the retries above; a problem answer raises its `KeelError`."""
        retry_connection = method == "GET" or "idempotency-key" in (headers or {})
        attempt = 0
        while True:
            try:
                res = self._http.request(method, path, body, headers)
            except (OSError, http.client.HTTPException) as err:
                if not retry_connection or attempt >= self.max_retries:
                    raise KeelConnectionError(f"{method} {path}: {err}") from err
                self._sleep(attempt, None)
                attempt += 1
                continue
            if res.status < 400:
                return res
            retry_after = parse_retry_after(res.headers.get("retry-after"))
            if res.status in RETRY_STATUSES and attempt < self.max_retries:
                self._sleep(attempt, retry_after)
                attempt += 1
                continue
            try:
                problem = res.json()
            except ValueError:
                problem = None
            raise problem_error(problem, res.status, retry_after)

    def _sleep(self, attempt: int, retry_after: Optional[float]) -> None:
        if retry_after is None:
            retry_after = 0.5 * (2**attempt) * (0.5 + random.random() / 2)
        _sleep(min(retry_after, self.max_retry_delay))

    def _events(self, job_id: str, deadline: float) -> Optional[Dict[str, Any]]:
        """The ended job from its event stream; None when the stream cannot say (poll instead)."""
        try:
            path = f"/v1/jobs/{quote(job_id, safe='')}/events"
            for _, data in self._http.events(path, deadline):
                if isinstance(data, Response):
                    if data.status in RETRY_STATUSES or data.status >= 500:
                        return None
                    raise problem_error(_json_or_none(data), data.status)
                if isinstance(data, dict) and data.get("status") in ENDED:
                    return data
        except socket.timeout:
            return None
        except (OSError, http.client.HTTPException, ValueError):
            return None
        return None


class Jobs:
    """`/v1/jobs/{id}`: a job's state, a wait for its end, its cancellation."""

    def __init__(self, keel: Keel) -> None:
        self._keel = keel

    def get(self, job_id: str) -> Job:
        """The job as Keel has it now; once completed, `output` is its task's `…Output`."""
        return _job(self._keel.call("GET", f"/v1/jobs/{quote(job_id, safe='')}").json())

    def cancel(self, job_id: str) -> Job:
        """Cancel a running job (an in-flight model call is aborted); the job as it stands.
        A job that has already ended raises `KeelError` with slug `job-ended`."""
        res = self._keel.call("POST", f"/v1/jobs/{quote(job_id, safe='')}/cancel")
        return _job(res.json())

    def wait(self, job_id: str, timeout: Optional[float] = None) -> Job:
        """Block until the job has ended (completed, failed, cancelled or timed out) and return
        it; `WaitTimeoutError` after `timeout` seconds (the client's `wait_timeout`)."""
        limit = self._keel.wait_timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        if self._keel.use_events:
            ended = self._keel._events(job_id, deadline)
            if ended is not None:
                return _job(ended)
        interval = 0.25
        while True:
            job = self.get(job_id)
            if job.status in ENDED:
                return job
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WaitTimeoutError(
                    f"job {job_id} is still {job.status} after {limit:g} s", job_id
                )
            _sleep(min(interval, remaining))
            interval = min(interval * 1.5, 2.0)


def _sleep(seconds: float) -> None:
    time.sleep(seconds)  # one place for the client's waits (the tests record them)


def _json_or_none(res: Response) -> Any:
    try:
        return res.json()
    except ValueError:
        return None


def _job(data: Dict[str, Any]) -> Job:
    job = from_wire(Job, data)
    models = TASK_MODELS.get(job.task or "")
    if models and isinstance(job.output, dict):
        job.output = from_wire(models[1], job.output)
    return job


def _result(task: str, data: Any, *, waited: bool, single_flight: Optional[str]) -> TaskResult[Any]:
    if isinstance(data, Job):
        output, meta, job_id = data.output, data.meta, data.job_id
        if isinstance(output, dict) and task in TASK_MODELS:
            output = from_wire(TASK_MODELS[task][1], output)
    else:
        models = TASK_MODELS.get(task)
        output = from_wire(models[1], data["output"]) if models else data["output"]
        meta, job_id = from_wire(ResultMeta, data["meta"]), data["jobId"]
    return TaskResult(job_id, output, meta, waited=waited, single_flight=single_flight)


def _job_error(job: Job) -> KeelError:
    if job.error is not None:
        data = to_wire(job.error)
    else:
        ended = {"cancelled": ("task-cancelled", 409), "timed_out": ("task-timed-out", 504)}
        slug, status = ended.get(job.status, ("task-failed", 500))
        data = {"type": PROBLEM_BASE + slug, "title": f"Job {job.status}", "status": status}
    data.setdefault("jobId", job.job_id)
    return problem_error(data, data.get("status"))
