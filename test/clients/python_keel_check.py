"""Keel's own Python client (clients/python, `keel_client`) against a running Keel, as a caller uses it.

Run by test/e2e/client-python.test.ts with the venv test/clients/install-python-keel.sh fills.
Reads KEEL_BASE_URL (without /v1) and KEEL_API_KEY; prints one JSON line of what it saw.
Every check runs even when an earlier one fails; the test asserts on the results.
"""

import dataclasses
import json
import os
import traceback
import uuid

import keel_client
from keel_client import (
    ClassifyTicketOutput,
    Keel,
    KeelError,
    SummarizeOutput,
    TaskOptions,
    ValidationError,
)

env = os.environ
keel = Keel(env["KEEL_BASE_URL"], env["KEEL_API_KEY"], timeout=30, wait_timeout=60)
polling = Keel(env["KEEL_BASE_URL"], env["KEEL_API_KEY"], wait_timeout=60, use_events=False)


def error_of(e: BaseException) -> dict:
    """What a Python caller reads of an exception."""
    seen = {"class": type(e).__name__, "message": str(e)[:300]}
    if isinstance(e, KeelError):
        seen.update(
            is_keel_error=True,
            status=e.status,
            slug=e.slug,
            fields=[f.field for f in (e.problem.errors or [])] if e.problem else None,
        )
    return seen


def answered() -> dict:
    result = keel.tasks.classify_ticket(subject="Refund", body="I was charged twice for my subscription")
    again = keel.jobs.get(result.job_id)
    return {
        "output_class": type(result.output).__name__,
        "output": dataclasses.asdict(result.output),
        "job_id": result.job_id,
        "waited": result.waited,
        "meta": {
            "provider": result.meta.provider,
            "model": result.meta.model,
            "prompt_version": result.meta.prompt_version,
            "path": result.meta.path,
            "latency_ms_is_int": isinstance(result.meta.latency_ms, int),
        },
        "job": {
            "status": again.status,
            "task": again.task,
            "output_class": type(again.output).__name__,
            "same_output": again.output == result.output,
            "steps": [s.name for s in again.steps or []],
        },
    }


def waited_on_events() -> dict:
    """options.maxSyncMs 0: Keel answers 202 and the client waits on the job's event stream
    (the requests it made are counted: no GET /v1/jobs/{id} poll)."""
    requests = []
    send = keel._http.request
    keel._http.request = lambda method, path, *a, **k: requests.append(f"{method} {path}") or send(method, path, *a, **k)
    try:
        result = keel.tasks.classify_ticket(body="I cannot reset my password", options=TaskOptions(max_sync_ms=0))
    finally:
        keel._http.request = send
    assert isinstance(result.output, ClassifyTicketOutput)
    return {
        "waited": result.waited,
        "category": result.output.category,
        "job_id": result.job_id,
        "requests": requests,
    }


def waited_by_polling() -> dict:
    """The same through run_task with wire-named dicts, waiting by polling GET /v1/jobs/{id}."""
    text = "The outage began at 09:12 UTC. Writes failed for 41 minutes. Service was restored at 09:53 UTC."
    result = polling.run_task("summarize", {"text": text, "maxWords": 20}, {"maxSyncMs": 0})
    assert isinstance(result.output, SummarizeOutput)
    return {
        "waited": result.waited,
        "key_points": len(result.output.key_points),
        "summary_words": len(result.output.summary.split()),
    }


def idempotent() -> dict:
    """One Idempotency-Key twice: the same job."""
    key = str(uuid.uuid4())
    first = keel.tasks.classify_ticket(body="The app crashes on start", idempotency_key=key)
    second = keel.tasks.classify_ticket(body="The app crashes on start", idempotency_key=key)
    other = keel.tasks.classify_ticket(body="The app crashes on start")
    return {"same_job": first.job_id == second.job_id, "default_key_new_job": other.job_id != first.job_id}


def invalid() -> dict:
    try:
        keel.tasks.classify_ticket(subject="Refund", body="")
    except ValidationError as e:
        return error_of(e)
    return {"class": None}


def check(fn) -> dict:
    try:
        return fn()
    except Exception as e:  # noqa: BLE001 - reported, asserted on by the test
        return {"raised": error_of(e), "trace": traceback.format_exc()[-1500:]}


def expect_error(fn) -> dict:
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return error_of(e)
    return {"class": None}


print(
    json.dumps(
        {
            "version": keel_client.__version__,
            "module": keel_client.__file__,
            "answered": check(answered),
            "waited_on_events": check(waited_on_events),
            "waited_by_polling": check(waited_by_polling),
            "idempotent": check(idempotent),
            "invalid": check(invalid),
            "job_not_found": expect_error(lambda: keel.jobs.get("classify-ticket-nope")),
            "bad_key": expect_error(
                lambda: Keel(env["KEEL_BASE_URL"], "keel_test_not-a-key").tasks.classify_ticket(body="x")
            ),
        }
    )
)
