"""HTTP for the client on the standard library's http.client: one connection per request, and
a server-sent event reader whose every read is bounded by the caller's deadline."""
from __future__ import annotations

import http.client
import json
import socket
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Dict, Iterator, Optional, Tuple
from urllib.parse import urlsplit

from ._version import __version__

USER_AGENT = f"keel-client-python/{__version__}"


@dataclass
class Response:
    status: int
    #: Header names in lower case.
    headers: Dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8")) if self.body else None


def parse_retry_after(value: Optional[str], now: Optional[float] = None) -> Optional[float]:
    """`Retry-After` in seconds: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class Transport:
    """Requests to one Keel base URL with its API key."""

    def __init__(self, base_url: str, api_key: str, timeout: float) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base_url must be an http(s) URL, not {base_url!r}")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self._api_key = api_key
        self.timeout = timeout

    def _open(
        self,
        method: str,
        path: str,
        body: Optional[bytes],
        headers: Dict[str, str],
        timeout: float,
    ) -> Tuple[http.client.HTTPConnection, socket.socket, http.client.HTTPResponse]:
        cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        conn = cls(self._host, self._port, timeout=timeout)
        all_headers = {
            "authorization": f"Bearer {self._api_key}",
            "user-agent": USER_AGENT,
            **headers,
        }
        if body is not None:
            all_headers["content-type"] = "application/json"
        try:
            conn.request(method, self._prefix + path, body=body, headers=all_headers)
            sock = conn.sock  # kept: getresponse() may drop it from conn for a closing response
            return conn, sock, conn.getresponse()
        except BaseException:
            conn.close()
            raise

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: Optional[Dict[str, str]] = None,
    ) -> Response:
        """One request; raises OSError (and http.client errors) when Keel cannot be reached."""
        data = None if body is None else json.dumps(body).encode("utf-8")
        accept = {"accept": "application/json, application/problem+json"}
        conn, _, res = self._open(method, path, data, {**accept, **(headers or {})}, self.timeout)
        try:
            raw = res.read()
            return Response(res.status, {k.lower(): v for k, v in res.getheaders()}, raw)
        finally:
            conn.close()

    def events(self, path: str, deadline: float) -> Iterator[Tuple[str, Any]]:
        """Server-sent events of `path` as (event, parsed data), until the stream closes.

        Yields ("", Response) once first when the answer is not an event stream. Raises
        socket.timeout when the deadline passes between two lines (heartbeats keep it alive).
        """
        remaining = max(0.05, deadline - time.monotonic())
        headers = {"accept": "text/event-stream"}
        conn, sock, res = self._open("GET", path, None, headers, min(self.timeout, remaining))
        try:
            if res.status != 200:
                heads = {k.lower(): v for k, v in res.getheaders()}
                yield "", Response(res.status, heads, res.read())
                return
            event, data = "", []
            while True:
                sock.settimeout(max(0.05, deadline - time.monotonic()))
                line = res.readline()
                if not line:
                    return
                text = line.decode("utf-8").rstrip("\r\n")
                if text == "":
                    if data:
                        yield event or "message", json.loads("\n".join(data))
                    event, data = "", []
                elif text.startswith("event:"):
                    event = text[6:].strip()
                elif text.startswith("data:"):
                    data.append(text[5:].lstrip(" "))
        finally:
            conn.close()
