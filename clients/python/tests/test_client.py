"""The client's behaviour against a scripted Keel (a local http.server answering what each test
queues): retries after Retry-After, the idempotency key kept across them, a 202 waited on the
event stream or by polling, failed jobs and problems as named errors.

    cd clients/python && python3 -m unittest discover -s tests
"""
from __future__ import annotations

import json
import threading
import unittest
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional, Tuple
from unittest import mock

from keel_client import (
    ClassifyTicketOutput,
    JobFailedError,
    Keel,
    KeelConnectionError,
    RateLimitedError,
    ValidationError,
    WaitTimeoutError,
)

META = {
    "provider": "local",
    "model": "keel-local-1",
    "promptVersion": "classify-ticket@1",
    "attempts": 1,
    "path": "primary",
    "reasons": [],
    "latencyMs": 3,
    "providerMs": 1,
    "costUsd": 0,
}
OUTPUT = {"category": "BILLING", "confidence": 1, "rationale": "charged twice"}
JOB = "classify-ticket-00000000-0000-4000-8000-000000000000"
Reply = Tuple[int, Dict[str, str], Any]


def problem(slug: str, status: int, retry_after: Optional[str] = None, **extra: Any) -> Reply:
    body = {"type": f"https://keel.dev/problems/{slug}", "title": slug, "status": status, **extra}
    headers = {"content-type": "application/problem+json"}
    if retry_after is not None:
        headers["retry-after"] = retry_after
    return status, headers, body


def job(status: str, **extra: Any) -> Dict[str, Any]:
    return {"jobId": JOB, "task": "classify-ticket", "status": status, **extra}


class FakeKeel:
    """Answers each request with the next reply queued for its `METHOD path`, and records it."""

    def __init__(self) -> None:
        self.replies: Dict[str, List[Reply]] = {}
        self.seen: List[Tuple[str, Dict[str, str], Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def handle_one(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                key = f"{self.command} {self.path}"
                fake.seen.append((key, {k.lower(): v for k, v in self.headers.items()}, body))
                queue = fake.replies.get(key) or [problem("not-found", 404)]
                status, headers, payload = queue.pop(0) if len(queue) > 1 else queue[0]
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                headers = {"content-type": "application/json", **headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = handle_one

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def on(self, key: str, *replies: Reply) -> None:
        self.replies[key] = list(replies)

    def keys(self) -> List[str]:
        return [k for k, _, _ in self.seen]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def sse(*events: Tuple[str, Dict[str, Any]]) -> Reply:
    text = "retry: 2000\n\n" + "".join(f"event: {e}\ndata: {json.dumps(d)}\n\n" for e, d in events)
    return 200, {"content-type": "text/event-stream"}, text.encode()


class ClientTest(unittest.TestCase):
    def setUp(self) -> None:
        self.keel_server = FakeKeel()
        self.addCleanup(self.keel_server.close)
        self.sleeps: List[float] = []
        self.no_sleep = mock.patch("keel_client.client._sleep", self.sleeps.append)
        self.no_sleep.start()
        self.addCleanup(mock.patch.stopall)

    def keel(self, **kw: Any) -> Keel:
        return Keel(self.keel_server.url, "keel_test_key", **kw)

    def test_answer_typed_with_a_generated_idempotency_key(self) -> None:
        answer = {**job("completed"), "output": OUTPUT, "meta": META}
        self.keel_server.on("POST /v1/tasks/classify-ticket", (200, {}, answer))
        result = self.keel().tasks.classify_ticket(subject="Refund", body="charged twice")
        self.assertIsInstance(result.output, ClassifyTicketOutput)
        self.assertEqual((result.output.category, result.output.confidence), ("BILLING", 1.0))
        self.assertEqual((result.job_id, result.meta.prompt_version), (JOB, "classify-ticket@1"))
        _, headers, body = self.keel_server.seen[0]
        self.assertEqual(body, {"input": {"subject": "Refund", "body": "charged twice"}})
        self.assertRegex(headers["idempotency-key"], r"^[0-9a-f-]{36}$")
        self.assertEqual(headers["authorization"], "Bearer keel_test_key")

    def test_429_waits_retry_after_then_succeeds_with_the_same_key(self) -> None:
        self.keel_server.on(
            "POST /v1/tasks/classify-ticket",
            problem("rate-limited", 429, retry_after="2", rateLimit="tenant-requests"),
            (200, {}, {**job("completed"), "output": OUTPUT, "meta": META}),
        )
        result = self.keel().tasks.classify_ticket(body="charged twice")
        self.assertEqual(result.output.category, "BILLING")
        self.assertEqual(self.sleeps, [2.0])
        keys = {h["idempotency-key"] for _, h, _ in self.keel_server.seen}
        self.assertEqual((len(self.keel_server.seen), len(keys)), (2, 1))

    def test_retry_after_as_a_date_is_capped(self) -> None:
        now = formatdate(timeval=None, usegmt=True)  # no wait
        far = formatdate(timeval=4102444800, usegmt=True)  # 2100: capped
        self.keel_server.on(
            "GET /v1/jobs/" + JOB,
            problem("overloaded", 503, retry_after=far),
            problem("overloaded", 503, retry_after=now),
            (200, {}, job("running")),
        )
        self.keel(max_retry_delay=7).jobs.get(JOB)
        self.assertEqual(self.sleeps[0], 7)
        self.assertLessEqual(self.sleeps[1], 1)

    def test_rate_limited_after_the_retries(self) -> None:
        self.keel_server.on("POST /v1/tasks/classify-ticket", problem("rate-limited", 429, retry_after="1"))
        with self.assertRaises(RateLimitedError) as raised:
            self.keel(max_retries=1).tasks.classify_ticket(body="x")
        self.assertEqual((raised.exception.status, raised.exception.retry_after), (429, 1.0))
        self.assertEqual(len(self.keel_server.seen), 2)

    def test_validation_error_is_not_retried_and_names_the_field(self) -> None:
        errors = [{"field": "input.body", "message": "Required"}]
        self.keel_server.on("POST /v1/tasks/classify-ticket", problem("invalid-request", 400, errors=errors))
        with self.assertRaises(ValidationError) as raised:
            self.keel().run_task("classify-ticket", {"subject": "Refund"})
        self.assertEqual([e.field for e in raised.exception.problem.errors], ["input.body"])
        self.assertEqual(len(self.keel_server.seen), 1)

    def test_202_waited_on_the_event_stream(self) -> None:
        self.keel_server.on("POST /v1/tasks/classify-ticket", (202, {}, job("running")))
        ended = {**job("completed"), "output": OUTPUT, "meta": META}
        self.keel_server.on(f"GET /v1/jobs/{JOB}/events", sse(("job.status", job("running")), ("job.completed", ended)))
        result = self.keel().tasks.classify_ticket(body="x", options={"maxSyncMs": 0})
        self.assertTrue(result.waited)
        self.assertIsInstance(result.output, ClassifyTicketOutput)
        self.assertEqual(self.keel_server.keys(), ["POST /v1/tasks/classify-ticket", f"GET /v1/jobs/{JOB}/events"])

    def test_202_polls_when_the_stream_is_refused_and_raises_the_job_failure(self) -> None:
        self.keel_server.on("POST /v1/tasks/classify-ticket", (202, {}, job("running")))
        self.keel_server.on(f"GET /v1/jobs/{JOB}/events", problem("too-many-streams", 503))
        error = problem("all-candidates-failed", 502, reasons=["openai:ok: 500"])[2]
        self.keel_server.on(f"GET /v1/jobs/{JOB}", (200, {}, job("running")), (200, {}, job("failed", error=error)))
        with self.assertRaises(JobFailedError) as raised:
            self.keel().tasks.classify_ticket(body="x")
        self.assertEqual((raised.exception.slug, raised.exception.job_id), ("all-candidates-failed", JOB))
        self.assertEqual(raised.exception.problem.reasons, ["openai:ok: 500"])

    def test_wait_timeout_names_the_job(self) -> None:
        self.keel_server.on(f"GET /v1/jobs/{JOB}", (200, {}, job("awaiting_review")))
        self.no_sleep.stop()  # real waits: polling until the 0.3 s are spent
        with self.assertRaises(WaitTimeoutError) as raised:
            self.keel(use_events=False).jobs.wait(JOB, timeout=0.3)
        self.assertEqual(raised.exception.job_id, JOB)
        self.assertGreaterEqual(len(self.keel_server.seen), 2)

    def test_unreachable_is_a_connection_error_after_the_retries(self) -> None:
        url = self.keel_server.url
        self.keel_server.close()
        with self.assertRaises(KeelConnectionError):
            Keel(url, "k", max_retries=2).jobs.get(JOB)
        self.assertEqual(len(self.sleeps), 2)


if __name__ == "__main__":
    unittest.main()
